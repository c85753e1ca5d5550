namespace LinkSecure.Core.Profiles;

/// <summary>Whether a domain profile is a verdict or the record of a failed lookup.</summary>
public enum ProfileStatus
{
    /// <summary>The profile is a verdict: its <see cref="DomainProfile.Level"/> can be relied on.</summary>
    Ok = 0,

    /// <summary>A lookup failed temporarily; the level is unknown and tagged mail must wait (Defer).</summary>
    TemporaryFailure = 1,

    /// <summary>The domain publishes a null MX (RFC 7505): it accepts no mail.</summary>
    NoMail = 2,
}
