namespace LinkSecure.Core.Protocol;

/// <summary>
/// The cumulative link-security levels of the protocol (docs/protocol.md, "Levels").
/// </summary>
/// <remarks>
/// Each level includes every property of the levels below it. The numbering follows the
/// proposal's list of declarations an SMTP server can make about itself.
/// </remarks>
public enum LinkSecurityLevel
{
    /// <summary>Unknown, or known not to be link-secure. As a request: no request.</summary>
    None = 0,

    /// <summary>Every MX accepts STARTTLS with a certificate a sender can validate, and there is
    /// downgrade-resistant evidence that senders may refuse plaintext.</summary>
    TransportSecure = 1,

    /// <summary>Level 1, and users can read their mail only over TLS (IMAPS, POP3S, HTTPS).</summary>
    ReadSecure = 2,

    /// <summary>Level 2, and the domain bounces rather than forwards over an insecure link when asked.</summary>
    BounceInsecure = 3,

    /// <summary>Level 3, and the domain forwards only to servers of the same level.</summary>
    ForwardSecure = 4,
}
