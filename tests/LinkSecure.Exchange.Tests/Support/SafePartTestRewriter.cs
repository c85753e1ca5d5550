using System;
using System.IO;
using System.Threading;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Handling;
using LinkSecure.Exchange.Downgrade;

namespace LinkSecure.Exchange.Tests.Support;

/// <summary>The production rewriter (the core's safe-part downgrader) with a call counter and an optional injected failure.</summary>
internal sealed class SafePartTestRewriter : IDowngradeRewriter
{
    private readonly CoreDowngradeRewriter inner = new();

    public int Calls { get; private set; }

    public Func<Exception>? Throw { get; set; }

    public DowngradeOutcome Rewrite(Stream source, Stream destination, LinkSecureSettings settings, string reason, out DowngradeFailure failure, out string? detail, CancellationToken cancellationToken)
    {
        Calls++;
        if (Throw is not null)
        {
            throw Throw();
        }

        return inner.Rewrite(source, destination, settings, reason, out failure, out detail, cancellationToken);
    }
}
