namespace LinkSecure.Core.Network;

/// <summary>The mode of an MTA-STS policy (RFC 8461 §5).</summary>
public enum MtaStsMode
{
    /// <summary>Behave as if there were no policy.</summary>
    None,

    /// <summary>Deliver anyway and report failures (TLS-RPT); not enforced.</summary>
    Testing,

    /// <summary>Deliver only to matching MX hosts with a valid certificate over TLS; failures are temporary.</summary>
    Enforce,
}
