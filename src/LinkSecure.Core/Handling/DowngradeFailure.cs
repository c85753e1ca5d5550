namespace LinkSecure.Core.Handling;

/// <summary>Why a downgrade could not produce a copy that may travel over an insecure link.</summary>
public enum DowngradeFailure
{
    /// <summary>No part of the message is marked safe for insecure links, and no notice template applies.</summary>
    NoSafePart,

    /// <summary>The message could not be parsed (<see cref="Downgrade.MalformedMessageException"/>).</summary>
    Malformed,

    /// <summary>The message is larger than the host rewrites.</summary>
    TooLarge,

    /// <summary>The content is not MIME where the host sees it (for example TNEF from Outlook or OWA), so no safe part can
    /// be taken out of it.</summary>
    NotMime,

    /// <summary>The rewrite failed for another reason, or ran out of its time budget.</summary>
    RewriteFailed,
}
