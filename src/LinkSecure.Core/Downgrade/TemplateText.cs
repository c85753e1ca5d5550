using System;
using System.Collections.Generic;
using System.Text;

namespace LinkSecure.Core.Downgrade;

/// <summary>Values a notice template can refer to as <c>{name}</c> (docs/downgrade.md, "Notice template").</summary>
internal enum Placeholder
{
    Sender,
    SenderAddress,
    SafeSubject,
    MessageId,
    Date,
    Reason,
    PickupUrl,
}

/// <summary>
/// A compiled template: literal text and <c>{placeholder}</c> references. <c>{{</c> and <c>}}</c> stand for literal
/// braces. Names are case-insensitive. Immutable.
/// </summary>
internal sealed class TemplateText
{
    private static readonly Dictionary<string, Placeholder> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sender"] = Placeholder.Sender,
        ["senderAddress"] = Placeholder.SenderAddress,
        ["safeSubject"] = Placeholder.SafeSubject,
        ["messageId"] = Placeholder.MessageId,
        ["date"] = Placeholder.Date,
        ["reason"] = Placeholder.Reason,
        ["pickupUrl"] = Placeholder.PickupUrl,
    };

    // Each part is either a string (literal) or a boxed Placeholder.
    private readonly object[] parts;

    private TemplateText(object[] parts) => this.parts = parts;

    /// <summary>Gets the placeholder names, for messages.</summary>
    public static string KnownNames => "{sender}, {senderAddress}, {safeSubject}, {messageId}, {date}, {reason}, {pickupUrl}";

    /// <summary>Compiles a template.</summary>
    /// <param name="text">The template text.</param>
    /// <param name="allowPickupUrl">Whether <c>{pickupUrl}</c> may be used (not inside the URL template itself).</param>
    /// <param name="template">The compiled template.</param>
    /// <param name="error">What is wrong; <see langword="null"/> on success.</param>
    /// <returns><see langword="true"/> when the text compiles.</returns>
    public static bool TryCompile(string text, bool allowPickupUrl, out TemplateText? template, out string? error)
    {
        var parts = new List<object>();
        var literal = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '{' && i + 1 < text.Length && text[i + 1] == '{')
            {
                literal.Append('{');
                i += 2;
                continue;
            }

            if (c == '}' && i + 1 < text.Length && text[i + 1] == '}')
            {
                literal.Append('}');
                i += 2;
                continue;
            }

            if (c == '}')
            {
                return Fail(out template, out error, $"unmatched '}}' at character {i + 1}; write '}}}}' for a literal brace");
            }

            if (c != '{')
            {
                literal.Append(c);
                i++;
                continue;
            }

            var close = text.IndexOf('}', i + 1);
            if (close < 0)
            {
                return Fail(out template, out error, $"unclosed '{{' at character {i + 1}; write '{{{{' for a literal brace");
            }

            var name = text.Substring(i + 1, close - i - 1).Trim();
            if (!Names.TryGetValue(name, out var placeholder))
            {
                return Fail(out template, out error, $"unknown placeholder '{{{name}}}'; expected one of: {KnownNames}");
            }

            if (placeholder == Placeholder.PickupUrl && !allowPickupUrl)
            {
                return Fail(out template, out error, "{pickupUrl} cannot be used here");
            }

            if (literal.Length > 0)
            {
                parts.Add(literal.ToString());
                literal.Clear();
            }

            parts.Add(placeholder);
            i = close + 1;
        }

        if (literal.Length > 0)
        {
            parts.Add(literal.ToString());
        }

        template = new TemplateText(parts.ToArray());
        error = null;
        return true;
    }

    /// <summary>Tells whether the template refers to a placeholder.</summary>
    public bool Uses(Placeholder placeholder)
    {
        foreach (var part in parts)
        {
            if (part is Placeholder p && p == placeholder)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Renders the template; <paramref name="value"/> returns each substitution already escaped for the context.</summary>
    public string Render(Func<Placeholder, string> value)
    {
        var builder = new StringBuilder();
        foreach (var part in parts)
        {
            if (part is string literal)
            {
                builder.Append(literal);
            }
            else
            {
                builder.Append(value((Placeholder)part));
            }
        }

        return builder.ToString();
    }

    private static bool Fail(out TemplateText? template, out string? error, string message)
    {
        template = null;
        error = message;
        return false;
    }
}
