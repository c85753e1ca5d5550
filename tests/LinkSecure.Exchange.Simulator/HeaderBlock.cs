using System;
using System.Collections.Generic;
using System.Text;

namespace LinkSecure.Exchange.Simulator;

/// <summary>
/// A minimal RFC 5322 header-block reader and writer, so that the simulator needs no MIME library (the load-test
/// host compiles it too, and must not carry the agent's dependencies).
/// </summary>
internal static class HeaderBlock
{
    /// <summary>Reads the top-level header fields (unfolded values) of a message.</summary>
    public static List<KeyValuePair<string, string>> Parse(byte[] mime)
    {
        var text = Encoding.UTF8.GetString(mime, 0, HeaderLength(mime));
        var fields = new List<KeyValuePair<string, string>>();
        string? name = null;
        var value = new StringBuilder();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length > 0 && (line[0] == ' ' || line[0] == '\t'))
            {
                if (name is not null)
                {
                    value.Append(' ').Append(line.Trim());
                }

                continue;
            }

            if (name is not null)
            {
                fields.Add(new KeyValuePair<string, string>(name, value.ToString()));
                name = null;
            }

            var colon = line.IndexOf(':');
            if (colon > 0)
            {
                name = line.Substring(0, colon).Trim();
                value.Clear().Append(line.Substring(colon + 1).Trim());
            }
        }

        if (name is not null)
        {
            fields.Add(new KeyValuePair<string, string>(name, value.ToString()));
        }

        return fields;
    }

    /// <summary>Adds or replaces a top-level header field.</summary>
    public static byte[] SetHeader(byte[] mime, string name, string value)
    {
        var length = HeaderLength(mime);
        var header = Encoding.UTF8.GetString(mime, 0, length);
        var newline = header.IndexOf("\r\n", StringComparison.Ordinal) >= 0 ? "\r\n" : "\n";
        var kept = new StringBuilder();
        var skipping = false;
        foreach (var line in header.Split('\n'))
        {
            var raw = line.TrimEnd('\r');
            if (raw.Length == 0)
            {
                continue;
            }

            if (raw[0] == ' ' || raw[0] == '\t')
            {
                if (!skipping)
                {
                    kept.Append(raw).Append(newline);
                }

                continue;
            }

            skipping = raw.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase);
            if (!skipping)
            {
                kept.Append(raw).Append(newline);
            }
        }

        kept.Append(name).Append(": ").Append(value).Append(newline);
        var head = Encoding.UTF8.GetBytes(kept.ToString());
        var result = new byte[head.Length + (mime.Length - length)];
        Buffer.BlockCopy(head, 0, result, 0, head.Length);
        Buffer.BlockCopy(mime, length, result, head.Length, mime.Length - length);
        return result;
    }

    /// <summary>Replaces the whole top-level header block by the given fields (one line each), keeping the body.</summary>
    public static byte[] ReplaceHeaders(byte[] mime, IEnumerable<KeyValuePair<string, string>> fields)
    {
        var length = HeaderLength(mime);
        var header = Encoding.UTF8.GetString(mime, 0, length);
        var newline = header.IndexOf("\r\n", StringComparison.Ordinal) >= 0 ? "\r\n" : "\n";
        var text = new StringBuilder();
        foreach (var field in fields)
        {
            text.Append(field.Key).Append(": ").Append(field.Value).Append(newline);
        }

        var head = Encoding.UTF8.GetBytes(text.ToString());
        var result = new byte[head.Length + (mime.Length - length)];
        Buffer.BlockCopy(head, 0, result, 0, head.Length);
        Buffer.BlockCopy(mime, length, result, head.Length, mime.Length - length);
        return result;
    }

    /// <summary>The length of the header block, without the blank line that ends it.</summary>
    private static int HeaderLength(byte[] mime)
    {
        for (var i = 0; i + 1 < mime.Length; i++)
        {
            if (mime[i] == '\n' && (mime[i + 1] == '\n' || (mime[i + 1] == '\r' && i + 2 < mime.Length && mime[i + 2] == '\n')))
            {
                return i + 1;
            }
        }

        return mime.Length;
    }
}
