using System;
using System.Collections.Generic;

namespace LinkSecure.Core.Internal;

/// <summary>
/// The TXT record selection rule of RFC 8461 §3.1, shared by <c>_mta-sts</c> (<c>v=STSv1</c>) and the declared record
/// <c>_linksecure</c> (<c>v=LS1</c>): records that do not start with the version tag followed by <c>;</c> are
/// discarded, and exactly one must remain.
/// </summary>
internal static class VersionedTxtRecord
{
    /// <summary>Does the record start with <paramref name="versionTag"/>, optional white space and <c>;</c>?</summary>
    public static bool StartsWithVersion(string text, string versionTag)
    {
        if (!text.StartsWith(versionTag, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = text.Substring(versionTag.Length).TrimStart(' ', '\t');
        return rest.StartsWith(";", StringComparison.Ordinal);
    }

    /// <summary>Finds the single candidate record.</summary>
    /// <param name="txtRecords">Each TXT record's character strings joined.</param>
    /// <param name="versionTag">The version tag, e.g. <c>v=STSv1</c>.</param>
    /// <param name="candidate">The only candidate, when there is exactly one.</param>
    /// <param name="count">How many records start with the tag.</param>
    /// <returns><see langword="true"/> when exactly one record starts with the tag.</returns>
    public static bool TryFindSingle(IEnumerable<string> txtRecords, string versionTag, out string? candidate, out int count)
    {
        if (txtRecords is null)
        {
            throw new ArgumentNullException(nameof(txtRecords));
        }

        candidate = null;
        count = 0;
        foreach (var txt in txtRecords)
        {
            if (txt is not null && StartsWithVersion(txt, versionTag))
            {
                candidate = txt;
                count++;
            }
        }

        return count == 1;
    }
}
