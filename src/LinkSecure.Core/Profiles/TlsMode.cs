namespace LinkSecure.Core.Profiles;

/// <summary>The TLS treatment a sender must apply to reach a domain.</summary>
public enum TlsMode
{
    /// <summary>No requirement is known: opportunistic TLS at best.</summary>
    None = 0,

    /// <summary>TLS is mandatory but the certificate cannot be authenticated by PKIX (RFC 7672 §2.2:
    /// secure TLSA records that are all unusable).</summary>
    EncryptOnly = 1,

    /// <summary>TLS with a certificate that chains to a trusted root and matches one of
    /// <see cref="TlsRequirement.MxPatterns"/> (RFC 8461 §4), or any valid certificate when no pattern is known.</summary>
    Pkix = 2,

    /// <summary>TLS authenticated by DANE TLSA records (RFC 7672 §3); takes precedence over MTA-STS (RFC 8461 §2).</summary>
    Dane = 3,
}
