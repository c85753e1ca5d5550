using System;
using System.Collections.Generic;
using LinkSecure.Core.Internal;
using System.Globalization;

namespace LinkSecure.Core.Protocol;

/// <summary>
/// The declared record <c>_linksecure.&lt;domain&gt;</c> TXT <c>v=LS1; level=&lt;1-4&gt;; max-age=&lt;seconds&gt;</c>
/// (docs/protocol.md, "Declared record").
/// </summary>
/// <remarks>
/// Record selection follows RFC 8461 §3.1 for <c>_mta-sts</c>: of the TXT records at the name, exactly one
/// must start with <c>v=LS1;</c> (after joining its character strings); zero or several means "no record".
/// </remarks>
public sealed class DeclaredRecord
{
    /// <summary>The version tag every record starts with.</summary>
    public const string VersionTag = "v=LS1";

    /// <summary>The longest max-age honoured: one year, as RFC 8461 §3.2 bounds <c>max_age</c>.</summary>
    public const int MaxMaxAgeSeconds = 31_557_600;

    private DeclaredRecord(LinkSecurityLevel level, TimeSpan maxAge)
    {
        Level = level;
        MaxAge = maxAge;
    }

    /// <summary>Gets the declared level (1–4).</summary>
    public LinkSecurityLevel Level { get; }

    /// <summary>Gets how long a sender may remember the declaration.</summary>
    public TimeSpan MaxAge { get; }

    /// <summary>Selects and parses the record from all TXT records at <c>_linksecure.&lt;domain&gt;</c>.</summary>
    /// <param name="txtRecords">Each TXT record's character strings already joined.</param>
    /// <param name="record">The record when exactly one candidate exists and it is valid.</param>
    /// <param name="problem">Why no record was selected, when candidates existed; otherwise <see langword="null"/>.</param>
    /// <returns><see langword="true"/> when a valid record was selected.</returns>
    public static bool TrySelect(IEnumerable<string> txtRecords, out DeclaredRecord? record, out string? problem)
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
            problem = $"{count} TXT records start with 'v=LS1;'; exactly one is allowed, so none is used";
            return false;
        }

        return TryParse(candidate!, out record, out problem);
    }

    /// <summary>Parses one record.</summary>
    /// <param name="text">The TXT record text.</param>
    /// <param name="record">The parsed record.</param>
    /// <param name="problem">Why the record is invalid.</param>
    /// <returns><see langword="true"/> when the record is valid.</returns>
    public static bool TryParse(string text, out DeclaredRecord? record, out string? problem)
    {
        record = null;
        problem = null;
        if (text is null || !VersionedTxtRecord.StartsWithVersion(text, VersionTag))
        {
            problem = "the record does not start with 'v=LS1;'";
            return false;
        }

        int? level = null;
        long? maxAge = null;
        var fields = text.Split(';');
        for (var i = 1; i < fields.Length; i++)
        {
            var field = fields[i].Trim();
            if (field.Length == 0)
            {
                continue;
            }

            var eq = field.IndexOf('=');
            if (eq <= 0)
            {
                problem = $"field '{field}' is not name=value";
                return false;
            }

            var name = field.Substring(0, eq).Trim();
            var value = field.Substring(eq + 1).Trim();
            if (string.Equals(name, "level", StringComparison.OrdinalIgnoreCase))
            {
                // First occurrence wins, as RFC 8461 §3.2 does for repeated keys.
                if (level is null)
                {
                    if (value.Length != 1 || value[0] < '1' || value[0] > '4')
                    {
                        problem = $"level '{value}' is not 1, 2, 3 or 4";
                        return false;
                    }

                    level = value[0] - '0';
                }
            }
            else if (string.Equals(name, "max-age", StringComparison.OrdinalIgnoreCase))
            {
                if (maxAge is null)
                {
                    if (value.Length == 0 || value.Length > 10 || !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                    {
                        problem = $"max-age '{value}' is not a number of seconds";
                        return false;
                    }

                    maxAge = Math.Min(seconds, MaxMaxAgeSeconds);
                }
            }

            // Unknown fields are extensions and are ignored.
        }

        if (level is null)
        {
            problem = "the record has no level";
            return false;
        }

        if (maxAge is null)
        {
            problem = "the record has no max-age";
            return false;
        }

        record = new DeclaredRecord((LinkSecurityLevel)level.Value, TimeSpan.FromSeconds(maxAge.Value));
        return true;
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Format(CultureInfo.InvariantCulture, "v=LS1; level={0}; max-age={1}", (int)Level, (long)MaxAge.TotalSeconds);

}
