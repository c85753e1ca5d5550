namespace LinkSecure.Core.Probing;

/// <summary>What a probe of one MX address concluded about link security.</summary>
public enum SmtpProbeOutcome
{
    /// <summary>STARTTLS, TLS 1.2 or later, and a certificate authenticated for the MX host: PKIX-valid with a
    /// matching name, or matching a usable TLSA record when DANE applies.</summary>
    TlsAuthenticated,

    /// <summary>TLS works, but the certificate cannot be authenticated (untrusted, expired, wrong name, or no TLSA match
    /// when DANE applies).</summary>
    TlsNotAuthenticated,

    /// <summary>STARTTLS was not offered, was refused (e.g. 454), or EHLO itself was rejected.</summary>
    NoStartTls,

    /// <summary>The server accepted STARTTLS but the TLS handshake failed.</summary>
    TlsHandshakeFailed,

    /// <summary>No TCP connection could be made.</summary>
    Unreachable,

    /// <summary>The conversation ended before TLS was decided: greeting refused, connection dropped, protocol error or
    /// time budget exhausted. Nothing is learned from it.</summary>
    Inconclusive,
}
