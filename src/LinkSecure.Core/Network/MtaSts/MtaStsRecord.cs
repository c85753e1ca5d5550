using System;
using System.Collections.Generic;
using LinkSecure.Core.Internal;

namespace LinkSecure.Core.Network;

/// <summary>The MTA-STS TXT record at <c>_mta-sts.&lt;domain&gt;</c> (RFC 8461 §3.1): <c>v=STSv1; id=&lt;1-32 alphanumerics&gt;</c>.</summary>
public sealed class MtaStsRecord
{
    /// <summary>The version tag every record starts with.</summary>
    public const string VersionTag = "v=STSv1";

    private MtaStsRecord(string id)
    {
        Id = id;
    }

    /// <summary>Gets the policy id; only "same" or "different" matters (RFC 8461 §3.1).</summary>
    public string Id { get; }

    /// <summary>
    /// Selects the record from all TXT records at the name (RFC 8461 §3.1): records that do not start with
    /// <c>v=STSv1;</c> are discarded; if the number left is not exactly one, or that one is invalid, the domain has no
    /// policy record.
    /// </summary>
    /// <param name="txtRecords">Each TXT record's character strings already joined without spaces.</param>
    /// <param name="record">The record, when exactly one valid candidate exists.</param>
    /// <param name="problem">Why no record was selected although candidates existed; otherwise <see langword="null"/>.</param>
    /// <returns><see langword="true"/> when a valid record was selected.</returns>
    public static bool TrySelect(IEnumerable<string> txtRecords, out MtaStsRecord? record, out string? problem)
    {
        record = null;
        problem = null;
        VersionedTxtRecord.TryFindSingle(txtRecords, VersionTag, out var candidate, out var count);
        if (count == 0)
        {
            return false;
        }

        if (count > 1)
        {
            problem = $"{count} TXT records start with 'v=STSv1;'; exactly one is allowed, so the domain has no MTA-STS record (RFC 8461 §3.1)";
            return false;
        }

        return TryParse(candidate!, out record, out problem);
    }

    /// <summary>Parses one record.</summary>
    /// <param name="text">The TXT record text.</param>
    /// <param name="record">The record.</param>
    /// <param name="problem">Why the record is invalid.</param>
    /// <returns><see langword="true"/> when the record is valid.</returns>
    public static bool TryParse(string text, out MtaStsRecord? record, out string? problem)
    {
        record = null;
        problem = null;
        if (text is null || !VersionedTxtRecord.StartsWithVersion(text, VersionTag))
        {
            problem = "the record does not start with 'v=STSv1;'";
            return false;
        }

        string? id = null;
        var fields = text.Split(';');
        for (var i = 1; i < fields.Length; i++)
        {
            var field = fields[i].Trim(' ', '\t');
            if (field.Length == 0)
            {
                continue;
            }

            var eq = field.IndexOf('=');
            if (eq <= 0)
            {
                problem = $"field '{Shorten(field)}' is not name=value (RFC 8461 §3.1)";
                return false;
            }

            var name = field.Substring(0, eq);
            var value = field.Substring(eq + 1);
            if (string.Equals(name, "id", StringComparison.Ordinal) && id is null)
            {
                if (!IsValidId(value))
                {
                    problem = $"id '{Shorten(value)}' is not 1 to 32 letters and digits (RFC 8461 §3.1)";
                    return false;
                }

                id = value;
            }

            // Extension fields (sts-ext-name=sts-ext-value) are ignored.
        }

        if (id is null)
        {
            problem = "the record has no id (RFC 8461 §3.1)";
            return false;
        }

        record = new MtaStsRecord(id);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => "v=STSv1; id=" + Id;

    private static bool IsValidId(string value)
    {
        if (value.Length is 0 or > 32)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            {
                return false;
            }
        }

        return true;
    }


    private static string Shorten(string text) => text.Length <= 40 ? text : text.Substring(0, 40) + "…";
}
