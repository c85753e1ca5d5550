using System;

namespace LinkSecure.Core.Decisions;

/// <summary>An SMTP reply code with its enhanced status code (RFC 3463) and the codes the product uses.</summary>
public readonly struct EnhancedStatusCode : IEquatable<EnhancedStatusCode>
{
    /// <summary>5.7.30 "REQUIRETLS support required" (RFC 8689 §7.3): the destination is not known to meet the requested level.</summary>
    public static readonly EnhancedStatusCode RequiredLevelNotMet = new("550", "5.7.30");

    /// <summary>5.7.10 "Encryption needed" (RFC 5248 registry; RFC 8689 §4.2.1): TLS itself cannot be negotiated or authenticated.</summary>
    public static readonly EnhancedStatusCode EncryptionNeeded = new("550", "5.7.10");

    /// <summary>5.1.10 "Recipient address has null MX" (RFC 7505 §4.2).</summary>
    public static readonly EnhancedStatusCode NullMx = new("556", "5.1.10");

    /// <summary>4.4.3 "Directory server failure" (RFC 3463 §3.5): a DNS or policy lookup failed temporarily.</summary>
    public static readonly EnhancedStatusCode LookupFailed = new("451", "4.4.3");

    /// <summary>4.7.5 "Cryptographic failure" (RFC 3463 §3.8): DNSSEC validation failed (RFC 7672 §2.1.1).</summary>
    public static readonly EnhancedStatusCode DnssecFailed = new("451", "4.7.5");

    /// <summary>4.3.0 "Other or undefined mail system status" (RFC 3463 §3.4), transient: the host could not process the
    /// message; it is retried.</summary>
    internal static readonly EnhancedStatusCode SystemErrorTransient = new("451", "4.3.0");

    /// <summary>5.3.0 "Other or undefined mail system status" (RFC 3463 §3.4), permanent: the message could not be
    /// processed safely within the deferral limit.</summary>
    internal static readonly EnhancedStatusCode SystemErrorPermanent = new("550", "5.3.0");

    /// <summary>Creates a status code.</summary>
    /// <param name="replyCode">The three-digit SMTP reply code.</param>
    /// <param name="enhanced">The enhanced status code, e.g. <c>5.7.30</c>.</param>
    public EnhancedStatusCode(string replyCode, string enhanced)
    {
        ReplyCode = replyCode ?? throw new ArgumentNullException(nameof(replyCode));
        Enhanced = enhanced ?? throw new ArgumentNullException(nameof(enhanced));
    }

    /// <summary>Gets the SMTP reply code, e.g. <c>550</c>.</summary>
    public string ReplyCode { get; }

    /// <summary>Gets the enhanced status code, e.g. <c>5.7.30</c>.</summary>
    public string Enhanced { get; }

    /// <summary>Gets a value indicating whether the code is permanent (5.x.x).</summary>
    public bool IsPermanent => Enhanced is not null && Enhanced.StartsWith("5", StringComparison.Ordinal);

    /// <inheritdoc />
    public bool Equals(EnhancedStatusCode other) =>
        string.Equals(ReplyCode, other.ReplyCode, StringComparison.Ordinal) && string.Equals(Enhanced, other.Enhanced, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is EnhancedStatusCode other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Enhanced ?? string.Empty);

    /// <summary>Formats as <c>550 5.7.30</c>.</summary>
    /// <returns>The reply and enhanced codes.</returns>
    public override string ToString() => ReplyCode + " " + Enhanced;

    /// <summary>Compares two codes.</summary>
    /// <param name="left">The first code.</param>
    /// <param name="right">The second code.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public static bool operator ==(EnhancedStatusCode left, EnhancedStatusCode right) => left.Equals(right);

    /// <summary>Compares two codes.</summary>
    /// <param name="left">The first code.</param>
    /// <param name="right">The second code.</param>
    /// <returns><see langword="true"/> when different.</returns>
    public static bool operator !=(EnhancedStatusCode left, EnhancedStatusCode right) => !left.Equals(right);
}
