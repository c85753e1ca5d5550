using System.Globalization;

namespace LinkSecure.Core.Downgrade;

/// <summary>The result of one downgrade: the outcome, a reason for logs and diagnostics, and the bytes written.
/// Immutable.</summary>
public sealed class DowngradeResult
{
    internal DowngradeResult(DowngradeOutcome outcome, string reason, long bytesWritten)
    {
        Outcome = outcome;
        Reason = reason;
        BytesWritten = bytesWritten;
    }

    /// <summary>Gets what happened.</summary>
    public DowngradeOutcome Outcome { get; }

    /// <summary>Gets a one-line explanation, e.g. "safe part text/plain (612 bytes) kept" or "multipart/mixed at byte
    /// 1042 has no boundary parameter". It names structure and offsets, never content.</summary>
    public string Reason { get; }

    /// <summary>Gets the number of bytes written to the output (0 unless <see cref="IsWritten"/>).</summary>
    public long BytesWritten { get; }

    /// <summary>Gets a value indicating whether a message was written to the output
    /// (<see cref="DowngradeOutcome.Downgraded"/> or <see cref="DowngradeOutcome.NoticeUsed"/>).</summary>
    public bool IsWritten => Outcome is DowngradeOutcome.Downgraded or DowngradeOutcome.NoticeUsed;

    /// <inheritdoc />
    public override string ToString() => string.Format(CultureInfo.InvariantCulture, "{0}: {1}", Outcome, Reason);

    internal static DowngradeResult Malformed(string reason) => new(DowngradeOutcome.Malformed, reason, 0);
}
