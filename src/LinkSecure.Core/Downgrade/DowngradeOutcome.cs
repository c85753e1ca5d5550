namespace LinkSecure.Core.Downgrade;

/// <summary>What <see cref="SafePartDowngrader"/> did with a message.</summary>
public enum DowngradeOutcome
{
    /// <summary>The safe part was found; the downgraded message was written.</summary>
    Downgraded = 0,

    /// <summary>No part is marked safe; the administrator's notice was written instead.</summary>
    NoticeUsed = 1,

    /// <summary>No part is marked safe and there is no notice template; nothing was written. The caller bounces.</summary>
    NoSafePart = 2,

    /// <summary>The input is not a message that can be downgraded safely (unparseable, over a limit, structurally
    /// broken, or unreadable); nothing was written. The caller bounces.</summary>
    Malformed = 3,
}
