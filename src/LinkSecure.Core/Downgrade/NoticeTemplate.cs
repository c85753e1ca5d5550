using System;
using System.Net;
using System.Text;

namespace LinkSecure.Core.Downgrade;

/// <summary>
/// The administrator's notice, compiled: what a recipient gets when the sender asked for <c>fallback=safe-part</c> but
/// marked no part safe. Every substitution is escaped for where it lands: plain text as is (control characters
/// removed), HTML entity-encoded, URL components percent-encoded, the Subject encoded and folded by MimeKit.
/// Immutable and thread-safe.
/// </summary>
internal sealed class NoticeTemplate
{
    /// <summary>Longest substituted value, in characters; longer values are cut with an ellipsis.</summary>
    internal const int MaxValueLength = 500;

    private readonly TemplateText? subject;
    private readonly TemplateText? text;
    private readonly TemplateText? html;
    private readonly TemplateText? pickupUrl;

    public NoticeTemplate(TemplateText? subject, TemplateText? text, TemplateText? html, TemplateText? pickupUrl)
    {
        this.subject = subject;
        this.text = text;
        this.html = html;
        this.pickupUrl = pickupUrl;
    }

    public bool HasSubject => subject is not null;

    /// <summary>Checks a URL template: it must render, with sample values, to an absolute https URL.</summary>
    public static bool TryValidateUrl(TemplateText template, string raw, out string? error)
    {
        foreach (var c in raw)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c) || c == '"' || c == '<' || c == '>' || c == '`' || c == '\'')
            {
                error = $"the URL template contains '{(char.IsControl(c) || char.IsWhiteSpace(c) ? "whitespace or a control character" : c.ToString())}'; write it percent-encoded";
                return false;
            }
        }

        var sample = template.Render(p => Uri.EscapeDataString(SampleValue(p)));
        if (!Uri.TryCreate(sample, UriKind.Absolute, out var uri) || !string.Equals(uri.Scheme, "https", StringComparison.OrdinalIgnoreCase) || string.IsNullOrEmpty(uri.Host))
        {
            error = "must be an absolute https:// URL (the pickup page is where the recipient reads the message securely)";
            return false;
        }

        error = null;
        return true;
    }

    public string RenderSubject(NoticeValues values) =>
        subject is null ? string.Empty : Sanitize(subject.Render(p => Plain(values, p)), singleLine: true);

    public string? RenderText(NoticeValues values) =>
        text is null ? null : NormalizeNewLines(text.Render(p => Plain(values, p)));

    public string? RenderHtml(NoticeValues values) =>
        html is null ? null : NormalizeNewLines(html.Render(p => WebUtility.HtmlEncode(Plain(values, p))));

    /// <summary>Removes control characters (a value from a hostile header must not add lines or terminal escapes) and
    /// limits the length.</summary>
    internal static string Sanitize(string? value, bool singleLine = true)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        var builder = new StringBuilder(value!.Length);
        var lastWasSpace = false;
        foreach (var c in value)
        {
            var isLineBreak = c == '\r' || c == '\n';
            if (char.IsControl(c) || (singleLine && isLineBreak) || c == '\u2028' || c == '\u2029')
            {
                if (!lastWasSpace)
                {
                    builder.Append(' ');
                    lastWasSpace = true;
                }

                continue;
            }

            lastWasSpace = c == ' ';
            builder.Append(c);
        }

        var result = builder.ToString().Trim();
        if (result.Length > MaxValueLength)
        {
            var cut = MaxValueLength - 1;
            if (char.IsHighSurrogate(result[cut - 1]))
            {
                cut--;
            }

            result = result.Substring(0, cut) + "\u2026";
        }

        return result;
    }

    private static string SampleValue(Placeholder placeholder) => placeholder switch
    {
        Placeholder.Sender => "Sample Sender <sender@example.com>",
        Placeholder.SenderAddress => "sender@example.com",
        Placeholder.SafeSubject => "Sample subject",
        Placeholder.MessageId => "sample.123@example.com",
        Placeholder.Date => "Mon, 1 Jan 2024 00:00:00 +0000",
        Placeholder.Reason => "sample reason",
        _ => string.Empty,
    };

    /// <summary>One line-break convention (MimeKit writes the output's), and a final line break.</summary>
    private static string NormalizeNewLines(string value)
    {
        var text = value.Replace("\r\n", "\n").Replace('\r', '\n');
        return text.EndsWith("\n", StringComparison.Ordinal) ? text : text + "\n";
    }

    private string Plain(NoticeValues values, Placeholder placeholder) => placeholder switch
    {
        Placeholder.Sender => values.Sender,
        Placeholder.SenderAddress => values.SenderAddress,
        Placeholder.SafeSubject => values.SafeSubject,
        Placeholder.MessageId => values.MessageId,
        Placeholder.Date => values.Date,
        Placeholder.Reason => values.Reason,
        Placeholder.PickupUrl => PickupUrl(values),
        _ => throw new ArgumentOutOfRangeException(nameof(placeholder), placeholder.ToString()),
    };

    private string PickupUrl(NoticeValues values) =>
        pickupUrl is null ? string.Empty : pickupUrl.Render(p => Uri.EscapeDataString(Plain(values, p)));
}

/// <summary>The values substituted into a notice, taken from the message's kept header fields and the call's context;
/// each already sanitised (no control characters, bounded length).</summary>
internal sealed class NoticeValues
{
    public string Sender { get; init; } = string.Empty;

    public string SenderAddress { get; init; } = string.Empty;

    public string SafeSubject { get; init; } = string.Empty;

    public string MessageId { get; init; } = string.Empty;

    public string Date { get; init; } = string.Empty;

    public string Reason { get; init; } = string.Empty;
}
