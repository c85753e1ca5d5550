using System;
using System.Globalization;

namespace LinkSecure.Core.Protocol;

/// <summary>
/// The EHLO keyword a server announces after STARTTLS: <c>LINKSECURE &lt;level&gt; &lt;max-age&gt;</c>
/// (docs/protocol.md, "EHLO keyword"; the extension syntax of RFC 5321 §4.1.1.1).
/// </summary>
public sealed class EhloKeyword
{
    /// <summary>The keyword.</summary>
    public const string Keyword = "LINKSECURE";

    private EhloKeyword(LinkSecurityLevel level, TimeSpan maxAge)
    {
        Level = level;
        MaxAge = maxAge;
    }

    /// <summary>Gets the announced level (1–4).</summary>
    public LinkSecurityLevel Level { get; }

    /// <summary>Gets how long a sender may remember the announcement.</summary>
    public TimeSpan MaxAge { get; }

    /// <summary>Parses an EHLO response line's text (without the <c>250-</c> prefix).</summary>
    /// <param name="line">For example <c>LINKSECURE 3 86400</c>.</param>
    /// <param name="keyword">The parsed keyword.</param>
    /// <returns><see langword="true"/> when the line is a valid LINKSECURE announcement.</returns>
    public static bool TryParse(string? line, out EhloKeyword? keyword)
    {
        keyword = null;
        if (line is null)
        {
            return false;
        }

        var parts = line.Trim().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 || !string.Equals(parts[0], Keyword, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (parts[1].Length != 1 || parts[1][0] < '1' || parts[1][0] > '4')
        {
            return false;
        }

        if (parts[2].Length > 10 || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return false;
        }

        keyword = new EhloKeyword((LinkSecurityLevel)(parts[1][0] - '0'), TimeSpan.FromSeconds(Math.Min(seconds, DeclaredRecord.MaxMaxAgeSeconds)));
        return true;
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Format(CultureInfo.InvariantCulture, "LINKSECURE {0} {1}", (int)Level, (long)MaxAge.TotalSeconds);
}
