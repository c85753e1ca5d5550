using System;
using System.IO;
using System.Linq;
using System.Threading;
using LinkSecure.Core.Configuration;
using LinkSecure.Exchange.Downgrade;
using MimeKit;

namespace LinkSecure.Exchange.Tests.Support;

/// <summary>A stand-in for the core's safe-part downgrade: keeps the part marked Link-Security-Part, or reports nothing safe.</summary>
internal sealed class SafePartTestRewriter : IDowngradeRewriter
{
    public int Calls { get; private set; }

    public Func<Exception>? Throw { get; set; }

    public DowngradeOutcome Rewrite(Stream source, Stream destination, LinkSecureSettings settings, CancellationToken cancellationToken)
    {
        Calls++;
        if (Throw is not null)
        {
            throw Throw();
        }

        var message = MimeMessage.Load(source, cancellationToken);
        var safe = message.BodyParts.FirstOrDefault(p => p.Headers.Contains("Link-Security-Part"));
        if (safe is null)
        {
            return DowngradeOutcome.NothingSafe;
        }

        message.Headers.Remove("Link-Security");
        message.Headers.Add("Link-Security-Downgraded", "safe-part");
        message.Body = safe;
        message.WriteTo(destination, cancellationToken);
        return DowngradeOutcome.Rewritten;
    }
}
