using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;
using LinkSecure.Core.Internal;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Database;

/// <summary>
/// Imports the EFF STARTTLS Everywhere <c>policy.json</c> format into known-domain entries.
/// </summary>
/// <remarks>
/// Only policies whose mode (after resolving <c>policy-alias</c>) is <c>enforce</c> import, as level 1;
/// <c>testing</c> policies are counted and skipped. <c>mxs</c> entries of the form <c>.example.net</c> become the
/// RFC 8461 §4.1 pattern <c>*.example.net</c> (one label), the safer of the list's two documented readings.
/// The list's top-level <c>expires</c> becomes every entry's expiry.
/// </remarks>
public static class EffPolicyImporter
{
    /// <summary>The result of an import.</summary>
    public sealed class Result
    {
        internal Result(IReadOnlyList<KnownDomainEntry> entries, int skippedTesting, IReadOnlyList<DocumentError> warnings, DateTimeOffset? expires)
        {
            Entries = entries;
            SkippedTesting = skippedTesting;
            Warnings = warnings;
            Expires = expires;
        }

        /// <summary>Gets the imported (enforce-mode) entries.</summary>
        public IReadOnlyList<KnownDomainEntry> Entries { get; }

        /// <summary>Gets how many policies were skipped because their mode is not <c>enforce</c>.</summary>
        public int SkippedTesting { get; }

        /// <summary>Gets problems with individual policies that were skipped.</summary>
        public IReadOnlyList<DocumentError> Warnings { get; }

        /// <summary>Gets the list's own expiry.</summary>
        public DateTimeOffset? Expires { get; }
    }

    /// <summary>Reads a <c>policy.json</c> document.</summary>
    /// <param name="stream">The document.</param>
    /// <param name="documentName">A name for messages.</param>
    /// <returns>The imported entries and what was skipped.</returns>
    /// <exception cref="DocumentException">The document is not a policy list at all.</exception>
    public static Result Import(Stream stream, string documentName = "policy.json")
    {
        using var document = JsonDocumentReader.Parse(stream, KnownDomainDatabase.MaxFileBytes, documentName);
        var reader = new JsonDocumentReader();
        var warnings = new JsonDocumentReader();
        var root = document.RootElement;
        if (!reader.ExpectObject(root, "$"))
        {
            throw new DocumentException($"{documentName} is not an EFF policy list.", reader.Errors);
        }

        var expires = ReadEffDate(reader, root, "expires");
        var timestamp = ReadEffDate(reader, root, "timestamp");
        var aliases = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (JsonDocumentReader.TryGet(root, "policy-aliases", out var aliasObject) && reader.ExpectObject(aliasObject, "$.policy-aliases"))
        {
            foreach (var alias in aliasObject.EnumerateObject())
            {
                aliases[alias.Name] = alias.Value;
            }
        }

        if (!JsonDocumentReader.TryGet(root, "policies", out var policies))
        {
            reader.Error("$.policies", "missing; an EFF policy list has a 'policies' object");
        }
        else
        {
            reader.ExpectObject(policies, "$.policies");
        }

        if (reader.HasErrors)
        {
            throw new DocumentException($"{documentName} is not a valid EFF policy list.", reader.Errors);
        }

        var entries = new List<KnownDomainEntry>();
        var skipped = 0;
        foreach (var policy in policies.EnumerateObject())
        {
            var path = "$.policies[\"" + policy.Name + "\"]";
            if (!DomainName.TryNormalize(policy.Name, out var domain))
            {
                warnings.Error(path, "not a valid domain name; skipped");
                continue;
            }

            var body = policy.Value;
            if (body.ValueKind != JsonValueKind.Object)
            {
                warnings.Error(path, "not an object; skipped");
                continue;
            }

            if (JsonDocumentReader.TryGet(body, "policy-alias", out var aliasName))
            {
                if (aliasName.ValueKind != JsonValueKind.String || !aliases.TryGetValue(aliasName.GetString()!, out body))
                {
                    warnings.Error(path + ".policy-alias", "names no alias in 'policy-aliases'; skipped");
                    continue;
                }
            }

            var mode = JsonDocumentReader.TryGet(body, "mode", out var modeValue) && modeValue.ValueKind == JsonValueKind.String ? modeValue.GetString() : null;
            if (!string.Equals(mode, "enforce", StringComparison.OrdinalIgnoreCase))
            {
                skipped++;
                continue;
            }

            var patterns = new List<string>();
            var valid = true;
            if (JsonDocumentReader.TryGet(body, "mxs", out var mxs) && mxs.ValueKind == JsonValueKind.Array)
            {
                foreach (var mx in mxs.EnumerateArray())
                {
                    var text = mx.ValueKind == JsonValueKind.String ? mx.GetString()!.Trim() : string.Empty;
                    var pattern = text.StartsWith(".", StringComparison.Ordinal) ? "*" + text : text;
                    if (!KnownDomainDatabase.IsValidMxPattern(pattern))
                    {
                        warnings.Error(path + ".mxs", $"'{text}' is not a host name or .suffix; policy skipped");
                        valid = false;
                        break;
                    }

                    patterns.Add(pattern.ToLowerInvariant());
                }
            }

            if (!valid)
            {
                continue;
            }

            entries.Add(new KnownDomainEntry
            {
                Domain = domain,
                Level = LinkSecurityLevel.TransportSecure,
                MxPatterns = patterns,
                Source = "EFF STARTTLS Everywhere policy list" + (timestamp is { } t ? " of " + t.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : string.Empty),
                Verified = timestamp,
                Expires = expires,
                Unverified = false,
            });
        }

        return new Result(entries, skipped, warnings.Errors, expires);
    }

    private static DateTimeOffset? ReadEffDate(JsonDocumentReader reader, JsonElement root, string name)
    {
        if (!JsonDocumentReader.TryGet(root, name, out var value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seconds))
        {
            return DateTimeOffset.FromUnixTimeSeconds(seconds);
        }

        if (value.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date))
        {
            return date;
        }

        reader.Error("$." + name, $"expected a date (ISO 8601 or Unix seconds), found {JsonDocumentReader.Describe(value)}");
        return null;
    }
}
