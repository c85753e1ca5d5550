namespace LinkSecure.Core.Decisions;

/// <summary>What a host does with one recipient of a message.</summary>
public enum DecisionKind
{
    /// <summary>Deliver normally: no request, an explicit waiver, or an internal recipient.</summary>
    Pass = 0,

    /// <summary>Deliver over the secure route with the profile's TLS requirement; never in plaintext.</summary>
    Secure = 1,

    /// <summary>Return to the sender with a DSN (5.7.30, 5.7.10 or 5.1.10).</summary>
    Bounce = 2,

    /// <summary>Deliver only the safe part (or the administrator's notice): <c>fallback=safe-part</c>.</summary>
    Downgrade = 3,

    /// <summary>A lookup failed temporarily: try again later (4.4.3 or 4.7.5).</summary>
    Defer = 4,
}
