using System.IO;
using System.Threading;
using LinkSecure.Core.Configuration;

namespace LinkSecure.Exchange.Downgrade;

/// <summary>What a downgrade rewrite produced.</summary>
internal enum DowngradeOutcome
{
    /// <summary>The destination holds the message to deliver over an insecure link (the safe part, or the administrator's notice).</summary>
    Rewritten = 0,

    /// <summary>Nothing may travel over an insecure link (no part marked safe, no template): bounce instead.</summary>
    NothingSafe = 1,
}

/// <summary>
/// Rewrites a whole message (RFC 5322 bytes) for recipients whose link is not secure enough, when the sender
/// asked for <c>fallback=safe-part</c>: keep only the part marked <c>Link-Security-Part</c> (or the administrator's
/// template), mark the copy as downgraded. Host-agnostic: streams in, stream out.
/// </summary>
/// <remarks>
/// Assumption (to be replaced by the core's safe-part downgrade when it lands on main): the implementation reads
/// the source to the end, writes the complete new message to the destination, and
/// signals "no safe part and no template" by returning <see cref="DowngradeOutcome.NothingSafe"/> rather than
/// throwing. Exceptions mean an internal error (the agent then defers the copy).
/// </remarks>
internal interface IDowngradeRewriter
{
    /// <summary>Rewrites one message.</summary>
    /// <param name="source">The original message.</param>
    /// <param name="destination">Receives the rewritten message when the result is <see cref="DowngradeOutcome.Rewritten"/>.</param>
    /// <param name="settings">The settings in force (downgrade section).</param>
    /// <param name="cancellationToken">Cancels the rewrite.</param>
    /// <returns>The outcome.</returns>
    DowngradeOutcome Rewrite(Stream source, Stream destination, LinkSecureSettings settings, CancellationToken cancellationToken);
}

/// <summary>
/// The rewriter used until the core's safe-part downgrade is available: it never finds a safe part, so every
/// downgrade decision becomes a bounce. Fail-closed: nothing tagged is ever delivered insecurely by default.
/// </summary>
internal sealed class UnavailableDowngradeRewriter : IDowngradeRewriter
{
    /// <inheritdoc />
    public DowngradeOutcome Rewrite(Stream source, Stream destination, LinkSecureSettings settings, CancellationToken cancellationToken) => DowngradeOutcome.NothingSafe;
}
