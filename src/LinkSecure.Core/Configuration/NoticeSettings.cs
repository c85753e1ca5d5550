using LinkSecure.Core.Downgrade;

namespace LinkSecure.Core.Configuration;

/// <summary>
/// The administrator's notice for messages that asked for <c>fallback=safe-part</c> but mark no part safe (JSON section
/// <c>downgrade.notice</c>; docs/downgrade.md, "Notice template"). The recipient gets this notice, with the message's
/// kept header fields, instead of a bounce. Immutable.
/// </summary>
public sealed class NoticeSettings
{
    internal static readonly string[] Properties = { "subject", "text", "html", "pickupUrl" };

    internal NoticeSettings(string? subject, string? text, string? html, string? pickupUrl, NoticeTemplate template)
    {
        Subject = subject;
        Text = text;
        Html = html;
        PickupUrl = pickupUrl;
        Template = template;
    }

    /// <summary>Gets the Subject template; <see langword="null"/> keeps the downgrade's Subject rule
    /// (<c>Link-Security-Subject</c> if present, otherwise the original Subject).</summary>
    public string? Subject { get; }

    /// <summary>Gets the plain-text body template, or <see langword="null"/>.</summary>
    public string? Text { get; }

    /// <summary>Gets the HTML body template, or <see langword="null"/>. With <see cref="Text"/> as well, the notice is
    /// <c>multipart/alternative</c>.</summary>
    public string? Html { get; }

    /// <summary>Gets the pickup URL template (absolute <c>https://</c>), used by the <c>{pickupUrl}</c> placeholder, or
    /// <see langword="null"/>.</summary>
    public string? PickupUrl { get; }

    internal NoticeTemplate Template { get; }
}
