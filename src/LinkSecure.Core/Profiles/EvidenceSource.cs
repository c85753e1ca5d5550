namespace LinkSecure.Core.Profiles;

/// <summary>Where a piece of evidence about a domain came from.</summary>
public enum EvidenceSource
{
    /// <summary>An administrator's override in the configuration.</summary>
    AdminOverride,

    /// <summary>An entry in the known-domain database.</summary>
    KnownDomainDatabase,

    /// <summary>An MTA-STS policy (RFC 8461).</summary>
    MtaSts,

    /// <summary>DANE TLSA records (RFC 7672).</summary>
    Dane,

    /// <summary>The declared record <c>_linksecure.&lt;domain&gt;</c>.</summary>
    DeclaredRecord,

    /// <summary>The <c>LINKSECURE</c> EHLO keyword seen at an MX.</summary>
    EhloKeyword,

    /// <summary>SMTP capabilities observed at the MX hosts by a probe (STARTTLS, certificate, REQUIRETLS).</summary>
    LearnedCapabilities,

    /// <summary>The MX records themselves (RFC 5321 §5.1, RFC 7505).</summary>
    Mx,
}
