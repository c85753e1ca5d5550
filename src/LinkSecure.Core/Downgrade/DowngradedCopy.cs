using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Downgrade;

/// <summary>
/// What a host puts at the top of a copy it rewrote (docs/agent.md, "The downgraded copy"): a marker the next hop of the
/// same organisation honours (it does not decide again), and the original's organisation-internal transport fields, which
/// the rewrite itself drops with every other <c>X-</c> field (<see cref="DowngradeKeepList"/>). Also the last resort of
/// a host that cannot keep a recipient from a copy: the copy <em>contained</em>, its header fields only.
/// </summary>
public static class DowngradedCopy
{
    /// <summary>The marker field. Exchange's header firewall removes the <c>X-MS-Exchange-Organization-</c> namespace from
    /// mail of untrusted origin, so it does not travel beyond the organisation (lab item: client submissions).</summary>
    public const string MarkerField = "X-MS-Exchange-Organization-LinkSecure-Downgraded";

    /// <summary>The prefix of the organisation-internal fields a rewritten copy keeps.</summary>
    public const string OrganizationPrefix = "X-MS-Exchange-Organization-";

    /// <summary>The marker's value suffix of a contained copy.</summary>
    public const string ContainedSuffix = "; contained";

    private const int MaxFieldLength = 2000;

    /// <summary>Tells whether a field of the original is one a rewritten copy keeps (an organisation field, not the marker).</summary>
    /// <param name="name">The field name.</param>
    /// <returns><see langword="true"/> for a field to keep.</returns>
    public static bool KeepsField(string? name) =>
        name is not null && name.StartsWith(OrganizationPrefix, StringComparison.OrdinalIgnoreCase) && !string.Equals(name, MarkerField, StringComparison.OrdinalIgnoreCase);

    /// <summary>Writes the marker and the kept fields whose decoded value is one line of printable ASCII (others are left out).</summary>
    /// <param name="destination">The stream the copy is built in.</param>
    /// <param name="level">The requested level, recorded in the marker.</param>
    /// <param name="contained">Whether the copy is contained.</param>
    /// <param name="originalFields">The original's fields for which <see cref="KeepsField"/> is true (name, decoded value).</param>
    public static void WriteTop(Stream destination, LinkSecurityLevel level, bool contained, IEnumerable<KeyValuePair<string, string?>> originalFields)
    {
        if (destination is null)
        {
            throw new ArgumentNullException(nameof(destination));
        }

        var text = new StringBuilder();
        text.Append(MarkerField).Append(": level=").Append((int)level).Append(contained ? ContainedSuffix : string.Empty).Append("\r\n");
        foreach (var field in originalFields ?? Array.Empty<KeyValuePair<string, string?>>())
        {
            if (KeepsField(field.Key) && IsPrintableLine(field.Value))
            {
                text.Append(field.Key).Append(": ").Append(field.Value).Append("\r\n");
            }
        }

        var bytes = Encoding.ASCII.GetBytes(text.ToString());
        destination.Write(bytes, 0, bytes.Length);
    }

    /// <summary>Writes the body of a contained copy after <see cref="WriteTop"/>: the keep-list header fields of the
    /// original with the subject replaced (<see cref="HeadersOnlyCopy"/>), or a minimal header when even those cannot be
    /// read, and an empty body. Never a byte of the original's content.</summary>
    /// <param name="original">The original message.</param>
    /// <param name="destination">The stream the copy is built in.</param>
    public static void WriteContained(Stream original, Stream destination)
    {
        if (destination is null)
        {
            throw new ArgumentNullException(nameof(destination));
        }

        var start = destination.Length;
        HeadersOnlyCopy.Write(original, destination, new HeadersOnlyOptions { KeepListOnly = true, ReplaceSubject = true });
        var tail = destination.Length == start ? "Subject: Message withheld\r\nMIME-Version: 1.0\r\n\r\n" : "\r\n";
        var bytes = Encoding.ASCII.GetBytes(tail);
        destination.Write(bytes, 0, bytes.Length);
    }

    private static bool IsPrintableLine(string? value)
    {
        if (value is null || value.Length > MaxFieldLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is < ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }
}
