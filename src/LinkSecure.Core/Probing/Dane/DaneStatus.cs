namespace LinkSecure.Core.Probing;

/// <summary>What DANE says about one MX host (RFC 7672 §2.2), as the check saw it.</summary>
public enum DaneStatus
{
    /// <summary>Not checked: no validating resolver is configured (<c>resolver.validatingDnsServers</c>), so the DNSSEC
    /// status is unknown.</summary>
    NotChecked,

    /// <summary>DANE does not apply: the zone is not signed, or the TLSA RRset is insecure or securely absent.</summary>
    NotApplicable,

    /// <summary>DNSSEC-validated TLSA records, at least one usable: the certificate must match one.</summary>
    Usable,

    /// <summary>DNSSEC-validated TLSA records, none usable: TLS is mandatory but unauthenticated.</summary>
    AllUnusable,

    /// <summary>The DNSSEC status could not be determined (SERVFAIL, timeout): a temporary failure.</summary>
    Failed,
}
