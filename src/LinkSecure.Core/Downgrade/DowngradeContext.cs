using System;

namespace LinkSecure.Core.Downgrade;

/// <summary>Per-call facts the downgrade records but cannot know itself. Immutable.</summary>
public sealed class DowngradeContext
{
    /// <summary>Creates a context.</summary>
    /// <param name="reason">Why the message is downgraded, for the <c>Link-Security-Downgraded</c> trace header and
    /// the notice's <c>{reason}</c>, e.g. "recipient domain example.com is link-security level 0, requested 2". Control
    /// characters are replaced by spaces and the text is cut at 500 characters.</param>
    /// <exception cref="ArgumentNullException"><paramref name="reason"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="reason"/> is empty or white space.</exception>
    public DowngradeContext(string reason)
    {
        if (reason is null)
        {
            throw new ArgumentNullException(nameof(reason));
        }

        var clean = NoticeTemplate.Sanitize(reason);
        if (clean.Length == 0)
        {
            throw new ArgumentException("The reason must not be empty.", nameof(reason));
        }

        Reason = clean;
    }

    /// <summary>Gets the sanitised reason.</summary>
    public string Reason { get; }
}
