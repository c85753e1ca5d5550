using System;
using System.Collections.Generic;
using System.Text;

namespace LinkSecure.Cli.Serve;

/// <summary>
/// A strict parser of a URL query (<c>application/x-www-form-urlencoded</c>, WHATWG URL §5.1): <c>+</c> is a space and
/// <c>%XX</c> an octet, and the octets must be UTF-8. ASP.NET Core's own parser replaces invalid UTF-8 with U+FFFD, which
/// would turn a malformed address into another one; this one refuses the query instead.
/// </summary>
internal static class QueryString
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Parses the query.</summary>
    /// <param name="query">The raw query, with or without its leading <c>?</c>; may be null or empty.</param>
    /// <returns>The name and value pairs, in order.</returns>
    /// <exception cref="FormatException">A malformed %-escape, or octets that are not UTF-8.</exception>
    public static List<KeyValuePair<string, string>> Parse(string? query)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        if (string.IsNullOrEmpty(query))
        {
            return pairs;
        }

        var text = query[0] == '?' ? query.Substring(1) : query;
        foreach (var part in text.Split('&'))
        {
            if (part.Length == 0)
            {
                continue;
            }

            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var name = Decode(equals < 0 ? part : part.Substring(0, equals));
            var value = equals < 0 ? string.Empty : Decode(part.Substring(equals + 1));
            pairs.Add(new KeyValuePair<string, string>(name, value));
        }

        return pairs;
    }

    private static string Decode(string text)
    {
        if (text.IndexOf('%', StringComparison.Ordinal) < 0 && text.IndexOf('+', StringComparison.Ordinal) < 0)
        {
            return text;
        }

        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '+')
            {
                bytes.Add((byte)' ');
            }
            else if (c == '%')
            {
                if (i + 2 >= text.Length || Hex(text[i + 1]) is not { } high || Hex(text[i + 2]) is not { } low)
                {
                    throw new FormatException("a % in the query is not followed by two hexadecimal digits");
                }

                bytes.Add((byte)((high << 4) | low));
                i += 2;
            }
            else if (c < 0x80)
            {
                bytes.Add((byte)c);
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }

        try
        {
            return StrictUtf8.GetString(bytes.ToArray());
        }
        catch (ArgumentException ex)
        {
            throw new FormatException("the %-escapes in the query are not UTF-8", ex);
        }
    }

    private static int? Hex(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => null,
    };
}
