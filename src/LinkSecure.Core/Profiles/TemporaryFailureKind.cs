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
}
