namespace LinkSecure.Core.Probing;

/// <summary>The steps of a probe's SMTP conversation (RFC 5321 §3, RFC 3207).</summary>
public enum SmtpProbeStage
{
    /// <summary>TCP connection to port 25 (or the configured port).</summary>
    Connect,

    /// <summary>The server's 220 greeting.</summary>
    Banner,

    /// <summary>EHLO in plaintext.</summary>
    Ehlo,

    /// <summary>The STARTTLS command (RFC 3207).</summary>
    StartTls,

    /// <summary>The TLS handshake.</summary>
    TlsHandshake,

    /// <summary>EHLO again inside TLS (RFC 3207 §4.2), where REQUIRETLS and LINKSECURE are announced.</summary>
    EhloAfterTls,

    /// <summary>QUIT; the probe never sends MAIL FROM.</summary>
    Quit,

    /// <summary>The conversation finished.</summary>
    Completed,
}
