using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using LinkSecure.Core.Internal;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Database;

/// <summary>
/// The known-domain database: domains whose link-security level is known without a network lookup
/// (docs/known-domains.md). Immutable and thread-safe; lookups are exact-domain, case-insensitive,
/// IDN-normalised and ignore a trailing dot.
/// </summary>
public sealed class KnownDomainDatabase
{
    /// <summary>Largest database file accepted (16 MiB): far above any real list, far below trouble.</summary>
    public const long MaxFileBytes = 16L * 1024 * 1024;

    /// <summary>The file format version this code reads and writes.</summary>
    public const int FormatVersion = 1;

    private const string EmbeddedResourceName = "LinkSecure.Core.known-domains.json";

    private static readonly string[] RootProperties = { "$schema", "version", "description", "generated", "expires", "domains" };
    private static readonly string[] EntryProperties = { "domain", "level", "mx", "source", "verified", "expires", "unverified", "notes" };

    private readonly Dictionary<string, KnownDomainEntry> entries;

    private KnownDomainDatabase(Dictionary<string, KnownDomainEntry> entries, DateTimeOffset? expires, string? description, DateTimeOffset? generated)
    {
        this.entries = entries;
        Expires = expires;
        Description = description;
        Generated = generated;
    }

    /// <summary>Gets an empty database.</summary>
    public static KnownDomainDatabase Empty { get; } = new(new Dictionary<string, KnownDomainEntry>(StringComparer.Ordinal), null, null, null);

    /// <summary>Gets the file-level expiry: after it, every entry is ignored (the list is stale).</summary>
    public DateTimeOffset? Expires { get; }

    /// <summary>Gets the file's description.</summary>
    public string? Description { get; }

    /// <summary>Gets when the file was generated.</summary>
    public DateTimeOffset? Generated { get; }

    /// <summary>Gets the number of entries.</summary>
    public int Count => entries.Count;

    /// <summary>Gets all entries, sorted by domain.</summary>
    public IReadOnlyList<KnownDomainEntry> Entries => entries.Values.OrderBy(e => e.Domain, StringComparer.Ordinal).ToArray();

    /// <summary>Loads the database embedded in this assembly: public observations of large providers.</summary>
    /// <returns>The embedded database.</returns>
    public static KnownDomainDatabase LoadEmbedded()
    {
        using var stream = typeof(KnownDomainDatabase).Assembly.GetManifestResourceStream(EmbeddedResourceName)
            ?? throw new InvalidOperationException("The embedded known-domain database is missing from the assembly.");
        return Load(stream, "embedded known-domain database");
    }

    /// <summary>Loads a database file.</summary>
    /// <param name="path">The file path.</param>
    /// <returns>The database.</returns>
    /// <exception cref="DocumentException">The file is invalid; every error is listed with its JSON path.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static KnownDomainDatabase LoadFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Load(stream, path);
    }

    /// <summary>Loads a database from a stream.</summary>
    /// <param name="stream">The JSON document.</param>
    /// <param name="documentName">A name for error messages (file path).</param>
    /// <returns>The database.</returns>
    /// <exception cref="DocumentException">The document is invalid; every error is listed with its JSON path.</exception>
    public static KnownDomainDatabase Load(Stream stream, string documentName = "known-domain database")
    {
        using var document = JsonDocumentReader.Parse(stream, MaxFileBytes, documentName);
        var reader = new JsonDocumentReader();
        var root = document.RootElement;
        if (!reader.ExpectObject(root, "$"))
        {
            throw new DocumentException($"{documentName} is invalid.", reader.Errors);
        }

        reader.CheckProperties(root, "$", RootProperties);
        var version = reader.ReadInt(root, "$", "version", FormatVersion, 1, 1000);
        if (version != FormatVersion)
        {
            reader.Error("$.version", string.Format(CultureInfo.InvariantCulture, "version {0} is not supported; this build reads version {1}", version, FormatVersion));
        }

        var description = reader.ReadString(root, "$", "description", null, allowEmpty: true);
        var generated = reader.ReadDate(root, "$", "generated");
        var expires = reader.ReadDate(root, "$", "expires");
        var map = new Dictionary<string, KnownDomainEntry>(StringComparer.Ordinal);
        if (!JsonDocumentReader.TryGet(root, "domains", out var domains))
        {
            reader.Error("$.domains", "missing; expected an array of domain entries");
        }
        else if (domains.ValueKind != JsonValueKind.Array)
        {
            reader.Error("$.domains", $"expected an array, found {JsonDocumentReader.Describe(domains)}");
        }
        else
        {
            var index = 0;
            foreach (var item in domains.EnumerateArray())
            {
                var path = JsonDocumentReader.Index("$.domains", index++);
                var entry = ReadEntry(reader, item, path);
                if (entry is null)
                {
                    continue;
                }

                if (map.ContainsKey(entry.Domain))
                {
                    reader.Error(path + ".domain", $"'{entry.Domain}' appears more than once");
                    continue;
                }

                map.Add(entry.Domain, entry);
            }
        }

        if (reader.HasErrors)
        {
            throw new DocumentException($"{documentName} is invalid.", reader.Errors);
        }

        return new KnownDomainDatabase(map, expires, description, generated);
    }

    /// <summary>Loads the databases a configuration names: the embedded list (unless turned off), then each configured
    /// file, then <paramref name="extraFiles"/>, later ones taking precedence.</summary>
    /// <param name="settings">The configuration.</param>
    /// <param name="extraFiles">More files, e.g. from a command line.</param>
    /// <param name="useEmbedded">Overrides the configuration's <c>knownDomains.useEmbedded</c> when not <see langword="null"/>.</param>
    /// <returns>The merged database.</returns>
    /// <exception cref="DocumentException">A file is invalid.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public static KnownDomainDatabase LoadConfigured(Configuration.LinkSecureSettings settings, IEnumerable<string>? extraFiles = null, bool? useEmbedded = null)
    {
        if (settings is null)
        {
            throw new ArgumentNullException(nameof(settings));
        }

        var parts = new List<KnownDomainDatabase>();
        if (useEmbedded ?? settings.UseEmbeddedDatabase)
        {
            parts.Add(LoadEmbedded());
        }

        foreach (var file in settings.DatabaseFiles)
        {
            parts.Add(LoadFile(settings.ResolvePath(file)));
        }

        foreach (var file in extraFiles ?? Enumerable.Empty<string>())
        {
            parts.Add(LoadFile(file));
        }

        return parts.Count switch { 0 => Empty, 1 => parts[0], _ => Merge(parts) };
    }

    /// <summary>Merges databases: entries of later databases replace those of earlier ones (administrator files after the embedded list).</summary>
    /// <param name="databases">The databases in increasing precedence.</param>
    /// <returns>The merged database; each source's file-level expiry is applied to its own entries.</returns>
    public static KnownDomainDatabase Merge(IEnumerable<KnownDomainDatabase> databases)
    {
        if (databases is null)
        {
            throw new ArgumentNullException(nameof(databases));
        }

        var map = new Dictionary<string, KnownDomainEntry>(StringComparer.Ordinal);
        foreach (var db in databases)
        {
            foreach (var pair in db.entries)
            {
                // Each database's own expiry is applied to its entries so a stale list cannot outlive itself.
                map[pair.Key] = db.Expires is { } fileExpiry && (pair.Value.Expires is null || pair.Value.Expires > fileExpiry)
                    ? CopyWithExpiry(pair.Value, fileExpiry)
                    : pair.Value;
            }
        }

        return new KnownDomainDatabase(map, null, "merged", null);
    }

    /// <summary>Looks a domain up.</summary>
    /// <param name="domain">Any form of the domain (U-labels, upper case, trailing dot).</param>
    /// <param name="now">The current time, for expiry.</param>
    /// <param name="entry">The entry, when present and unexpired.</param>
    /// <returns><see langword="true"/> when an unexpired entry exists.</returns>
    public bool TryGet(string domain, DateTimeOffset now, [NotNullWhen(true)] out KnownDomainEntry? entry)
    {
        entry = null;
        if (entries.Count == 0 || (Expires is { } fileExpiry && now >= fileExpiry))
        {
            return false;
        }

        if (!entries.TryGetValue(domain, out var found))
        {
            if (!DomainName.TryNormalize(domain, out var normalized) || !entries.TryGetValue(normalized, out found))
            {
                return false;
            }
        }

        if (found.Expires is { } entryExpiry && now >= entryExpiry)
        {
            return false;
        }

        entry = found;
        return true;
    }

    /// <summary>Returns a copy with an entry added or replaced.</summary>
    /// <param name="entry">The entry; its domain must be normalised.</param>
    /// <returns>The new database.</returns>
    public KnownDomainDatabase With(KnownDomainEntry entry)
    {
        if (entry is null)
        {
            throw new ArgumentNullException(nameof(entry));
        }

        var map = new Dictionary<string, KnownDomainEntry>(entries, StringComparer.Ordinal) { [DomainName.Normalize(entry.Domain)] = entry };
        return new KnownDomainDatabase(map, Expires, Description, Generated);
    }

    /// <summary>Returns a copy without a domain.</summary>
    /// <param name="domain">The domain.</param>
    /// <param name="removed">Whether the domain was present.</param>
    /// <returns>The new database.</returns>
    public KnownDomainDatabase Without(string domain, out bool removed)
    {
        var map = new Dictionary<string, KnownDomainEntry>(entries, StringComparer.Ordinal);
        removed = map.Remove(DomainName.Normalize(domain));
        return new KnownDomainDatabase(map, Expires, Description, Generated);
    }

    /// <summary>Writes the database in the documented file format.</summary>
    /// <param name="stream">The destination.</param>
    public void WriteTo(Stream stream)
    {
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteNumber("version", FormatVersion);
        if (Description is not null)
        {
            writer.WriteString("description", Description);
        }

        if (Generated is { } generated)
        {
            writer.WriteString("generated", generated.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        }

        if (Expires is { } expires)
        {
            writer.WriteString("expires", expires.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        }

        writer.WriteStartArray("domains");
        foreach (var entry in Entries)
        {
            writer.WriteStartObject();
            writer.WriteString("domain", entry.Domain);
            writer.WriteNumber("level", (int)entry.Level);
            if (entry.MxPatterns.Count > 0)
            {
                writer.WriteStartArray("mx");
                foreach (var mx in entry.MxPatterns)
                {
                    writer.WriteStringValue(mx);
                }

                writer.WriteEndArray();
            }

            writer.WriteString("source", entry.Source);
            if (entry.Verified is { } verified)
            {
                writer.WriteString("verified", verified.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            }

            if (entry.Expires is { } entryExpires)
            {
                writer.WriteString("expires", entryExpires.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            }

            if (entry.Unverified)
            {
                writer.WriteBoolean("unverified", true);
            }

            if (entry.Notes is not null)
            {
                writer.WriteString("notes", entry.Notes);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static KnownDomainEntry CopyWithExpiry(KnownDomainEntry e, DateTimeOffset expires) => new()
    {
        Domain = e.Domain,
        Level = e.Level,
        MxPatterns = e.MxPatterns,
        Source = e.Source,
        Verified = e.Verified,
        Expires = expires,
        Unverified = e.Unverified,
        Notes = e.Notes,
    };

    private static KnownDomainEntry? ReadEntry(JsonDocumentReader reader, JsonElement item, string path)
    {
        if (!reader.ExpectObject(item, path))
        {
            return null;
        }

        reader.CheckProperties(item, path, EntryProperties);
        var errorsBefore = reader.Errors.Count;
        var rawDomain = reader.ReadString(item, path, "domain", null);
        string? domain = null;
        if (rawDomain is null)
        {
            reader.Error(path + ".domain", "missing; every entry names its domain");
        }
        else if (!DomainName.TryNormalize(rawDomain, out domain))
        {
            reader.Error(path + ".domain", $"'{rawDomain}' is not a valid domain name");
        }

        if (!JsonDocumentReader.TryGet(item, "level", out _))
        {
            reader.Error(path + ".level", "missing; expected 0 (never link-secure) to 4");
        }

        var level = reader.ReadInt(item, path, "level", 0, 0, 4);
        var mx = reader.ReadStringArray(item, path, "mx");
        for (var i = 0; i < mx.Count; i++)
        {
            if (!IsValidMxPattern(mx[i]))
            {
                reader.Error(JsonDocumentReader.Index(path + ".mx", i), $"'{mx[i]}' is not a host name or '*.' followed by a host name (RFC 8461 §4.1)");
            }
        }

        var source = reader.ReadString(item, path, "source", string.Empty, allowEmpty: true) ?? string.Empty;
        var verified = reader.ReadDate(item, path, "verified");
        var expires = reader.ReadDate(item, path, "expires");
        var unverified = reader.ReadBool(item, path, "unverified", false);
        var notes = reader.ReadString(item, path, "notes", null, allowEmpty: true);
        if (reader.Errors.Count != errorsBefore || domain is null)
        {
            return null;
        }

        return new KnownDomainEntry
        {
            Domain = domain,
            Level = (LinkSecurityLevel)level,
            MxPatterns = mx.Select(m => m.TrimEnd('.').ToLowerInvariant()).ToArray(),
            Source = source,
            Verified = verified,
            Expires = expires,
            Unverified = unverified,
            Notes = notes,
        };
    }

    /// <summary>RFC 8461 §4.1 pattern syntax: a host name, optionally prefixed by a single <c>*.</c>.</summary>
    /// <param name="pattern">The pattern.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    public static bool IsValidMxPattern(string pattern)
    {
        var host = pattern.StartsWith("*.", StringComparison.Ordinal) ? pattern.Substring(2) : pattern;
        return host.IndexOf('*') < 0 && DomainName.TryNormalize(host, out _);
    }
}
