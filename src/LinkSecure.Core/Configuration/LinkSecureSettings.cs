using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using LinkSecure.Core.Database;
using LinkSecure.Core.Internal;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Configuration;

/// <summary>
/// The product's configuration (<c>LinkSecure.config.json</c>), validated and frozen. Every host reads the same
/// document; docs/configuration.md describes each setting. Immutable and thread-safe.
/// </summary>
/// <remarks>
/// <see cref="Load(Stream, string)"/> reports every error at once, each with its JSON path, and unknown settings are
/// errors so a typo cannot silently leave a protection off. <see cref="Default"/> applies when there is no file.
/// </remarks>
public sealed class LinkSecureSettings
{
    /// <summary>Largest configuration file accepted (1 MiB).</summary>
    public const long MaxFileBytes = 1024 * 1024;

    private static readonly string[] RootProperties =
    {
        "$schema", "enforceForAllMail", "internalDomains", "knownDomains", "overrides", "defer", "routing", "agent", "resolver", "downgrade", "status",
    };

    private const string WildcardPrefix = "*.";

    private static readonly string[] KnownDomainsProperties = { "useEmbedded", "files" };
    private static readonly string[] OverrideProperties = { "domain", "level", "never", "mx", "comment" };

    private Dictionary<string, DomainOverride> overrides = new(StringComparer.Ordinal);
    // internalDomains: "contoso.com" matches that domain only; "*.contoso.com" matches its subdomains only.
    private HashSet<string> internalDomains = new(StringComparer.Ordinal);
    private HashSet<string> internalParents = new(StringComparer.Ordinal);

    private LinkSecureSettings()
    {
    }

    /// <summary>Gets the embedded defaults, used when there is no configuration file.</summary>
    public static LinkSecureSettings Default { get; } = new();

    /// <summary>Gets a value indicating whether untagged mail to level-1+ domains is also sent over the secure route,
    /// so the product enforces MTA-STS and DANE for all mail.</summary>
    public bool EnforceForAllMail { get; private set; }

    /// <summary>Gets the configured internal domains as written in normalised form: <c>contoso.com</c> (that domain only)
    /// and <c>*.contoso.com</c> (its subdomains only). The host adds its own, e.g. Exchange's authoritative accepted domains.</summary>
    public IReadOnlyCollection<string> InternalDomains =>
        internalDomains.Concat(internalParents.Select(p => WildcardPrefix + p)).ToArray();

    /// <summary>Gets a value indicating whether the embedded known-domain list is used.</summary>
    public bool UseEmbeddedDatabase { get; private set; } = true;

    /// <summary>Gets additional known-domain database files, in increasing precedence (relative paths are relative to the configuration file).</summary>
    public IReadOnlyList<string> DatabaseFiles { get; private set; } = Array.Empty<string>();

    /// <summary>Gets the administrator's per-domain overrides.</summary>
    public IReadOnlyCollection<DomainOverride> Overrides => overrides.Values;

    /// <summary>Gets the deferral settings.</summary>
    public DeferSettings Defer { get; private set; } = DeferSettings.Default;

    /// <summary>Gets the routing settings.</summary>
    public RoutingSettings Routing { get; private set; } = RoutingSettings.Default;

    /// <summary>Gets the agent's host settings.</summary>
    public AgentSettings Agent { get; private set; } = AgentSettings.Default;

    /// <summary>Gets the network resolver settings.</summary>
    public ResolverSettings Resolver { get; private set; } = ResolverSettings.Default;

    /// <summary>Gets the downgrade settings.</summary>
    public DowngradeSettings Downgrade { get; private set; } = DowngradeSettings.Default;

    /// <summary>Gets the status service's settings (<c>linksecure serve</c> and the Outlook add-in).</summary>
    public StatusSettings Status { get; private set; } = StatusSettings.Default;

    /// <summary>Gets the folder that relative paths in the configuration are resolved against; <see langword="null"/> for the current folder.</summary>
    public string? BaseDirectory { get; private set; }

    /// <summary>Loads and validates a configuration file.</summary>
    /// <param name="path">The file path.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="DocumentException">The file is invalid; <see cref="DocumentException.Errors"/> lists every error with its JSON path.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static LinkSecureSettings LoadFile(string path)
    {
        using var stream = File.OpenRead(path);
        var settings = Load(stream, path);
        settings.BaseDirectory = Path.GetDirectoryName(Path.GetFullPath(path));
        return settings;
    }

    /// <summary>Loads and validates a configuration document.</summary>
    /// <param name="stream">The JSON document.</param>
    /// <param name="documentName">A name for messages.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="DocumentException">The document is invalid; every error is listed with its JSON path.</exception>
    public static LinkSecureSettings Load(Stream stream, string documentName = "configuration")
    {
        using var document = JsonDocumentReader.Parse(stream, MaxFileBytes, documentName);
        var reader = new JsonDocumentReader();
        var settings = Read(reader, document.RootElement);
        if (reader.HasErrors)
        {
            throw new DocumentException($"{documentName} is invalid.", reader.Errors);
        }

        return settings;
    }

    /// <summary>Validates a configuration document without throwing.</summary>
    /// <param name="stream">The JSON document.</param>
    /// <param name="documentName">A name for messages.</param>
    /// <returns>Every error found; empty when the document is valid.</returns>
    public static IReadOnlyList<DocumentError> Validate(Stream stream, string documentName = "configuration")
    {
        try
        {
            Load(stream, documentName);
            return Array.Empty<DocumentError>();
        }
        catch (DocumentException ex)
        {
            return ex.Errors.Count > 0 ? ex.Errors : new[] { new DocumentError("$", ex.Message) };
        }
    }

    /// <summary>Tells whether a domain is internal according to the configuration (strict: an entry <c>contoso.com</c>
    /// matches that domain only, an entry <c>*.contoso.com</c> matches its subdomains but not <c>contoso.com</c>).</summary>
    /// <param name="normalizedDomain">A normalised domain.</param>
    /// <returns><see langword="true"/> when the domain is listed, or a parent is listed with <c>*.</c>.</returns>
    public bool IsInternalDomain(string normalizedDomain)
    {
        if (normalizedDomain is null || (internalDomains.Count == 0 && internalParents.Count == 0))
        {
            return false;
        }

        if (internalDomains.Contains(normalizedDomain))
        {
            return true;
        }

        if (internalParents.Count == 0)
        {
            return false;
        }

        for (var dot = normalizedDomain.IndexOf('.'); dot >= 0; dot = normalizedDomain.IndexOf('.', dot + 1))
        {
            if (internalParents.Contains(normalizedDomain.Substring(dot + 1)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Finds the override for a domain.</summary>
    /// <param name="normalizedDomain">A normalised domain.</param>
    /// <param name="domainOverride">The override.</param>
    /// <returns><see langword="true"/> when the domain has an override.</returns>
    public bool TryGetOverride(string normalizedDomain, out DomainOverride? domainOverride) =>
        overrides.TryGetValue(normalizedDomain, out domainOverride);

    /// <summary>Returns a copy with additional internal domains (a host's accepted domains), with the same strict rule as
    /// <c>internalDomains</c>: <c>contoso.com</c> adds that domain only, <c>*.contoso.com</c> its subdomains only.</summary>
    /// <param name="domains">Domains in any form; entries that are not valid entries are skipped.</param>
    /// <returns>The new settings.</returns>
    public LinkSecureSettings WithInternalDomains(IEnumerable<string> domains)
    {
        var copy = (LinkSecureSettings)MemberwiseClone();
        copy.internalDomains = new HashSet<string>(internalDomains, StringComparer.Ordinal);
        copy.internalParents = new HashSet<string>(internalParents, StringComparer.Ordinal);
        foreach (var domain in domains ?? Enumerable.Empty<string>())
        {
            copy.AddInternalDomain(domain);
        }

        return copy;
    }

    /// <summary>Returns a copy with another <c>resolver</c> section (command-line overrides).</summary>
    /// <param name="resolver">The resolver settings.</param>
    /// <returns>The new settings.</returns>
    public LinkSecureSettings WithResolver(ResolverSettings resolver)
    {
        var copy = (LinkSecureSettings)MemberwiseClone();
        copy.Resolver = resolver ?? throw new ArgumentNullException(nameof(resolver));
        return copy;
    }

    /// <summary>Returns the file of the durable MTA-STS policy cache with relative paths resolved against
    /// <see cref="BaseDirectory"/> (<see cref="ResolverSettings.EffectiveMtaStsCachePath"/>).</summary>
    /// <returns>The path, or <see langword="null"/> when policies are kept in memory only.</returns>
    public string? EffectiveMtaStsCachePath() => Resolver.EffectiveMtaStsCachePath(ResolvePath);

    /// <summary>Resolves a path from the configuration against <see cref="BaseDirectory"/>.</summary>
    /// <param name="path">A path as written in the configuration.</param>
    /// <returns>The full path.</returns>
    public string ResolvePath(string path) =>
        Path.IsPathRooted(path) || BaseDirectory is null ? path : Path.Combine(BaseDirectory, path);

    private static LinkSecureSettings Read(JsonDocumentReader reader, JsonElement root)
    {
        var settings = new LinkSecureSettings();
        if (!reader.ExpectObject(root, "$"))
        {
            return settings;
        }

        reader.CheckProperties(root, "$", RootProperties);
        settings.EnforceForAllMail = reader.ReadBool(root, "$", "enforceForAllMail", false);

        var internalList = reader.ReadStringArray(root, "$", "internalDomains");
        for (var i = 0; i < internalList.Count; i++)
        {
            if (settings.AddInternalDomain(internalList[i]) is { } error)
            {
                reader.Error(JsonDocumentReader.Index("$.internalDomains", i), error);
            }
        }

        if (JsonDocumentReader.TryGet(root, "knownDomains", out var known) && reader.ExpectObject(known, "$.knownDomains"))
        {
            reader.CheckProperties(known, "$.knownDomains", KnownDomainsProperties);
            settings.UseEmbeddedDatabase = reader.ReadBool(known, "$.knownDomains", "useEmbedded", true);
            settings.DatabaseFiles = reader.ReadStringArray(known, "$.knownDomains", "files");
        }

        if (JsonDocumentReader.TryGet(root, "overrides", out var overrideArray))
        {
            ReadOverrides(reader, overrideArray, settings.overrides);
        }

        if (JsonDocumentReader.TryGet(root, "defer", out var defer))
        {
            settings.Defer = DeferSettings.Read(reader, defer, "$.defer");
        }

        if (JsonDocumentReader.TryGet(root, "routing", out var routing))
        {
            settings.Routing = RoutingSettings.Read(reader, routing, "$.routing");
        }

        if (JsonDocumentReader.TryGet(root, "agent", out var agent))
        {
            settings.Agent = AgentSettings.Read(reader, agent, "$.agent");
        }

        if (JsonDocumentReader.TryGet(root, "resolver", out var resolver))
        {
            settings.Resolver = ResolverSettings.Read(reader, resolver, "$.resolver");
        }

        if (JsonDocumentReader.TryGet(root, "downgrade", out var downgrade))
        {
            settings.Downgrade = DowngradeSettings.Read(reader, downgrade, "$.downgrade");
        }

        if (JsonDocumentReader.TryGet(root, "status", out var status))
        {
            settings.Status = StatusSettings.Read(reader, status, "$.status");
        }

        return settings;
    }

    /// <summary>Adds one <c>internalDomains</c> entry.</summary>
    /// <returns><see langword="null"/> when added; otherwise why the entry is invalid.</returns>
    private string? AddInternalDomain(string? entry)
    {
        var text = entry?.Trim() ?? string.Empty;
        var wildcard = text.StartsWith(WildcardPrefix, StringComparison.Ordinal);
        var name = wildcard ? text.Substring(WildcardPrefix.Length) : text;
        if (name.IndexOf('*') >= 0 || !DomainName.TryNormalize(name, out var domain))
        {
            return $"'{entry}' is not a domain name, or *. and a domain name for its subdomains";
        }

        if (!wildcard)
        {
            internalDomains.Add(domain);
            return null;
        }

        if (PublicSuffixList.Default.IsPublicSuffix(domain))
        {
            return $"'{entry}' would make every domain registered under the public suffix {domain} internal; name your own domains";
        }

        internalParents.Add(domain);
        return null;
    }

    private static void ReadOverrides(JsonDocumentReader reader, JsonElement array, Dictionary<string, DomainOverride> map)
    {
        if (array.ValueKind != JsonValueKind.Array)
        {
            reader.Error("$.overrides", $"expected an array of {{ \"domain\": ..., \"level\": 0-4 }} or {{ \"domain\": ..., \"never\": true }}, found {JsonDocumentReader.Describe(array)}");
            return;
        }

        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            var path = JsonDocumentReader.Index("$.overrides", index++);
            if (!reader.ExpectObject(item, path))
            {
                continue;
            }

            reader.CheckProperties(item, path, OverrideProperties);
            var raw = reader.ReadString(item, path, "domain", null);
            var hasLevel = JsonDocumentReader.TryGet(item, "level", out _);
            var level = reader.ReadInt(item, path, "level", 0, 0, 4);
            var never = reader.ReadBool(item, path, "never", false);
            var mx = reader.ReadStringArray(item, path, "mx");
            reader.ReadString(item, path, "comment", null, allowEmpty: true);
            if (raw is null)
            {
                reader.Error(path + ".domain", "missing; every override names its domain");
                continue;
            }

            if (!DomainName.TryNormalize(raw, out var domain))
            {
                reader.Error(path + ".domain", $"'{raw}' is not a valid domain name");
                continue;
            }

            if (hasLevel == never)
            {
                reader.Error(path, "give exactly one of \"level\" (force a level) or \"never\": true (never link-secure)");
                continue;
            }

            if (map.ContainsKey(domain))
            {
                reader.Error(path + ".domain", $"'{domain}' has more than one override");
                continue;
            }

            for (var i = 0; i < mx.Count; i++)
            {
                var pattern = mx[i].StartsWith("*.", StringComparison.Ordinal) ? mx[i].Substring(2) : mx[i];
                if (!DomainName.TryNormalize(pattern, out _) || pattern.IndexOf('.') < 0)
                {
                    reader.Error(JsonDocumentReader.Index(path + ".mx", i), $"'{mx[i]}' is not an MX name pattern (a host name, or *. and a host name)");
                }
            }

            map.Add(domain, new DomainOverride(domain, (LinkSecurityLevel)level, never, mx));
        }
    }
}
