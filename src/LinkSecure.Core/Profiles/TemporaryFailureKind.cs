namespace LinkSecure.Core.Profiles;

/// <summary>Why a lookup failed temporarily; selects the 4.x.x status code of a deferral.</summary>
public enum TemporaryFailureKind
{
    /// <summary>Not a failure.</summary>
    None = 0,

    /// <summary>DNS timeout, SERVFAIL, HTTPS failure for MTA-STS: 4.4.3 (RFC 3463 §3.5, routing server failure).</summary>
    Lookup = 1,

    /// <summary>DNSSEC validation failed (bogus or indeterminate, RFC 7672 §2.1.1): 4.7.5 (RFC 3463 §3.8, cryptographic failure).</summary>
    Dnssec = 2,

    /// <summary>The lookup did not finish within the host's time budget: 4.4.3.</summary>
    Timeout = 3,

    /// <summary>An MX failed the TLS requirement of an enforced policy (no STARTTLS, a certificate that does not match
    /// the MTA-STS names or the TLSA records): possibly an attack on the path, so delivery waits (RFC 8461 §5,
    /// RFC 7672 §2.2): 4.7.5 (RFC 3463 §3.8).</summary>
    PolicyViolation = 4,
}
