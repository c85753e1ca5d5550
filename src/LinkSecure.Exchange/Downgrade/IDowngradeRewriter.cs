using System;
using System.IO;
using System.Threading;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Downgrade;
using LinkSecure.Core.Handling;

namespace LinkSecure.Exchange.Downgrade;

/// <summary>What a downgrade rewrite produced, as the agent acts on it.</summary>
internal enum DowngradeOutcome
{
    /// <summary>The destination holds the message to deliver over an insecure link (the safe part, or the administrator's notice).</summary>
    Rewritten = 0,

    /// <summary>Nothing may travel over an insecure link (no part marked safe and no notice, or a message that cannot be
    /// rewritten safely): bounce instead.</summary>
    NothingSafe = 1,
}

/// <summary>
/// Rewrites a whole message (RFC 5322 bytes) for recipients whose link is not secure enough, when the sender
/// asked for <c>fallback=safe-part</c>. The seam exists so tests can inject failures; production uses
/// <see cref="CoreDowngradeRewriter"/>.
/// </summary>
internal interface IDowngradeRewriter
{
    /// <summary>Rewrites one message.</summary>
    /// <param name="source">The original message.</param>
    /// <param name="destination">Receives the rewritten message when the result is <see cref="DowngradeOutcome.Rewritten"/>.</param>
    /// <param name="settings">The settings in force (downgrade section).</param>
    /// <param name="reason">The trace reason written into <c>Link-Security-Downgraded</c>.</param>
    /// <param name="failure">Why nothing was written, when the result is <see cref="DowngradeOutcome.NothingSafe"/>.</param>
    /// <param name="detail">The technical detail of <paramref name="failure"/>, for the log and the DSN's diagnostic.</param>
    /// <param name="cancellationToken">Cancels the rewrite (the agent's rewrite budget).</param>
    /// <returns>The outcome. Exceptions, cancellation included, mean an internal error (the agent's fail-safe).</returns>
    DowngradeOutcome Rewrite(Stream source, Stream destination, LinkSecureSettings settings, string reason, out DowngradeFailure failure, out string? detail, CancellationToken cancellationToken);
}

/// <summary>The production rewriter: the core's streaming <see cref="SafePartDowngrader"/> (docs/downgrade.md).</summary>
internal sealed class CoreDowngradeRewriter : IDowngradeRewriter
{
    /// <inheritdoc />
    public DowngradeOutcome Rewrite(Stream source, Stream destination, LinkSecureSettings settings, string reason, out DowngradeFailure failure, out string? detail, CancellationToken cancellationToken)
    {
        if (settings is null)
        {
            throw new ArgumentNullException(nameof(settings));
        }

        var result = SafePartDowngrader.Downgrade(source, destination, settings.Downgrade, new DowngradeContext(reason), cancellationToken);
        if (result.IsWritten)
        {
            failure = DowngradeFailure.NoSafePart;
            detail = null;
            return DowngradeOutcome.Rewritten;
        }

        // NoSafePart and Malformed: a retry cannot change the message, and nothing tagged may go out in plaintext.
        var malformed = result.Outcome == Core.Downgrade.DowngradeOutcome.Malformed;
        failure = malformed ? DowngradeFailure.Malformed : DowngradeFailure.NoSafePart;
        detail = malformed ? "the message cannot be rewritten safely: " + result.Reason : "no part is marked safe for insecure links and no notice template is configured";
        return DowngradeOutcome.NothingSafe;
    }
}
