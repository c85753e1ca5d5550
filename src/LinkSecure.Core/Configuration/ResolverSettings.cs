using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using LinkSecure.Core.Internal;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Configuration;

/// <summary>Network lookups: DNS servers, DNSSEC, time limits, extra trust anchors (JSON section <c>resolver</c>;
/// docs/policy-resolution.md).</summary>
public sealed partial class ResolverSettings
{
    internal static readonly string[] Properties =
    {
        "enabled", "dnsServers", "validatingDnsServers", "timeoutMilliseconds", "retries", "tcpFallback", "caFiles", "learnedStorePath", "cacheSize",
        "budgetMilliseconds", "httpsTimeoutMilliseconds", "httpsPort", "minTtlSeconds", "maxTtlSeconds", "negativeTtlSeconds", "staleIfErrorSeconds",
        "learnedDefaultTtlSeconds", "acceptUnauthenticatedDeclarations", "dnssecProbeName", "mtaStsCachePath",
    };

    /// <summary>Gets the defaults: the system's resolvers, no validating resolver (so no DANE), 2 s per query, 1 retry.</summary>
    public static ResolverSettings Default { get; } = new();

    /// <summary>Gets a value indicating whether network lookups are enabled (false: database and overrides only).</summary>
    public bool Enabled { get; private set; } = true;

    /// <summary>Gets the DNS servers (<c>host</c> or <c>host:port</c>); empty means the system's resolvers.</summary>
    public IReadOnlyList<string> DnsServers { get; private set; } = Array.Empty<string>();

    /// <summary>Gets the DNS servers trusted to validate DNSSEC: their AD bit is believed (as Postfix does).
    /// Without one, DANE is reported as unavailable, never as secure.</summary>
    public IReadOnlyList<string> ValidatingDnsServers { get; private set; } = Array.Empty<string>();

    /// <summary>Gets the timeout of one DNS query attempt (each retry gets the same again). The MTA-STS policy fetch has its
    /// own <see cref="HttpsTimeout"/>.</summary>
    public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets the number of retries of a DNS query.</summary>
    public int Retries { get; private set; } = 1;

    /// <summary>Gets a value indicating whether truncated UDP answers are retried over TCP.</summary>
    public bool TcpFallback { get; private set; } = true;

    /// <summary>Gets PEM files with extra trust anchors (an enterprise's private CA) for MTA-STS HTTPS and SMTP probes.</summary>
    public IReadOnlyList<string> CaFiles { get; private set; } = Array.Empty<string>();

    /// <summary>Gets the path of the learned-capability store shared by the agent and the CLI; <see langword="null"/> for none.</summary>
    public string? LearnedStorePath { get; private set; }

    /// <summary>Gets the path of the durable MTA-STS policy cache shared by the agent and the CLI, as written in the
    /// configuration; <see langword="null"/> when not set (see <see cref="EffectiveMtaStsCachePath"/> for the default).</summary>
    public string? MtaStsCachePath { get; private set; }

    /// <summary>Gets the maximum number of domains kept in the profile cache (and in the MTA-STS policy cache).</summary>
    public int CacheSize { get; private set; } = 10_000;

    /// <summary>Gets the overall time budget of one domain's lookup (all DNS queries and the policy fetch together);
    /// a lookup that runs out of it is a temporary failure.</summary>
    public TimeSpan Budget { get; private set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets the timeout of the MTA-STS policy fetch (connect, TLS handshake, request and whole body;
    /// RFC 8461 §3.3 suggests at most one minute).</summary>
    public TimeSpan HttpsTimeout { get; private set; } = TimeSpan.FromSeconds(8);

    /// <summary>Gets the TCP port of MTA-STS policy hosts: 443 in production; tests point it at a loopback server.</summary>
    public int HttpsPort { get; private set; } = 443;

    /// <summary>Gets the shortest time a looked-up profile is cached, whatever the DNS TTLs say.</summary>
    public TimeSpan MinTtl { get; private set; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets the longest time a looked-up profile is cached before DNS is asked again.</summary>
    public TimeSpan MaxTtl { get; private set; } = TimeSpan.FromHours(1);

    /// <summary>Gets how long a temporary failure is cached (so a failing domain is not looked up for every message),
    /// and the ceiling of negative caching of missing records when the zone's SOA gives no shorter time.</summary>
    public TimeSpan NegativeTtl { get; private set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets how long after expiry a profile may still be served when its refresh fails temporarily
    /// (stale-if-error); zero turns it off.</summary>
    public TimeSpan StaleIfError { get; private set; } = TimeSpan.FromHours(1);

    /// <summary>Gets a value indicating whether unauthenticated declarations count: a <c>_linksecure</c> record that is
    /// not DNSSEC-authenticated or whose MX RRset is not DNSSEC-secure, and a <c>LINKSECURE</c> keyword heard from a host
    /// outside an authenticated MX set. Off by default: an attacker who forges unsigned DNS can forge those too. Only for
    /// organisations that defend against passive eavesdroppers alone; <c>check</c> and the agent's log say when it is on
    /// (docs/protocol.md §3).</summary>
    public bool AcceptUnauthenticatedDeclarations { get; private set; }

    /// <summary>Gets how long an SMTP observation without a <c>LINKSECURE</c> max-age stays in the learned store.</summary>
    public TimeSpan LearnedDefaultTtl { get; private set; } = TimeSpan.FromDays(7);

    /// <summary>Gets the name whose DNSKEY RRset the DNSSEC self-test asks the validating resolver for: <c>.</c> (the
    /// root zone, signed under the IANA trust anchor) by default; a deployment with a private trust anchor, or a test
    /// suite, names the apex of its own signed zone. A lower-case A-label name without trailing dot, or <c>.</c>.</summary>
    public string DnssecProbeName { get; private set; } = ".";

    internal static ResolverSettings Read(JsonDocumentReader reader, System.Text.Json.JsonElement element, string path)
    {
        if (!reader.ExpectObject(element, path))
        {
            return Default;
        }

        reader.CheckProperties(element, path, Properties);
        var settings = new ResolverSettings
        {
            Enabled = reader.ReadBool(element, path, "enabled", true),
            DnsServers = reader.ReadStringArray(element, path, "dnsServers"),
            ValidatingDnsServers = reader.ReadStringArray(element, path, "validatingDnsServers"),
            Timeout = TimeSpan.FromMilliseconds(reader.ReadInt(element, path, "timeoutMilliseconds", 2000, 50, 60_000)),
            Retries = reader.ReadInt(element, path, "retries", 1, 0, 5),
            TcpFallback = reader.ReadBool(element, path, "tcpFallback", true),
            CaFiles = reader.ReadStringArray(element, path, "caFiles"),
            LearnedStorePath = reader.ReadString(element, path, "learnedStorePath", null),
            CacheSize = reader.ReadInt(element, path, "cacheSize", 10_000, 16, 1_000_000),
            Budget = TimeSpan.FromMilliseconds(reader.ReadInt(element, path, "budgetMilliseconds", 10_000, 100, 300_000)),
            HttpsTimeout = TimeSpan.FromMilliseconds(reader.ReadInt(element, path, "httpsTimeoutMilliseconds", 8_000, 100, 60_000)),
            HttpsPort = reader.ReadInt(element, path, "httpsPort", 443, 1, 65_535),
            MinTtl = TimeSpan.FromSeconds(reader.ReadInt(element, path, "minTtlSeconds", 60, 0, 86_400)),
            MaxTtl = TimeSpan.FromSeconds(reader.ReadInt(element, path, "maxTtlSeconds", 3_600, 1, 7 * 86_400)),
            NegativeTtl = TimeSpan.FromSeconds(reader.ReadInt(element, path, "negativeTtlSeconds", 300, 0, 86_400)),
            StaleIfError = TimeSpan.FromSeconds(reader.ReadInt(element, path, "staleIfErrorSeconds", 3_600, 0, 7 * 86_400)),
            LearnedDefaultTtl = TimeSpan.FromSeconds(reader.ReadInt(element, path, "learnedDefaultTtlSeconds", 7 * 86_400, 60, 366 * 86_400)),
            AcceptUnauthenticatedDeclarations = reader.ReadBool(element, path, "acceptUnauthenticatedDeclarations", false),
            MtaStsCachePath = reader.ReadString(element, path, "mtaStsCachePath", null),
        };
        CheckServers(reader, path, "dnsServers", settings.DnsServers);
        CheckServers(reader, path, "validatingDnsServers", settings.ValidatingDnsServers);
        settings.DnssecProbeName = ReadProbeName(reader, element, path);
        if (settings.MinTtl > settings.MaxTtl)
        {
            reader.Error(JsonDocumentReader.Child(path, "minTtlSeconds"), "must not be greater than maxTtlSeconds");
        }

        return settings;
    }

    /// <summary>
    /// Returns the file of the durable MTA-STS policy cache (RFC 8461 §5.1, §10: the cached policy is what resists
    /// downgrades): <see cref="MtaStsCachePath"/> when set; otherwise <c>mta-sts-cache.json</c> in the folder of
    /// <see cref="LearnedStorePath"/> when that is set; otherwise <see langword="null"/> (policies in memory only).
    /// </summary>
    /// <param name="resolvePath">Resolves a configured path (relative paths against the configuration's folder,
    /// <see cref="LinkSecureSettings.ResolvePath"/>); <see langword="null"/> leaves paths as written.</param>
    /// <returns>The path, or <see langword="null"/>.</returns>
    public string? EffectiveMtaStsCachePath(Func<string, string>? resolvePath = null)
    {
        var resolve = resolvePath ?? (p => p);
        if (MtaStsCachePath is { } path)
        {
            return resolve(path);
        }

        if (LearnedStorePath is { } learned)
        {
            var folder = System.IO.Path.GetDirectoryName(resolve(learned)) ?? string.Empty;
            return System.IO.Path.Combine(folder, "mta-sts-cache.json");
        }

        return null;
    }

    /// <summary>Parses a DNS server as written in the settings: an IP address, optionally with a port
    /// (<c>192.0.2.53</c>, <c>192.0.2.53:5353</c>, <c>2001:db8::53</c>, <c>[2001:db8::53]:5353</c>).</summary>
    /// <param name="text">The server.</param>
    /// <param name="endpoint">The endpoint; port 53 when none is given.</param>
    /// <returns><see langword="false"/> when the text is not an address with an optional port.</returns>
    public static bool TryParseServer(string? text, [NotNullWhen(true)] out IPEndPoint? endpoint)
    {
        endpoint = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var value = text!.Trim();
        var port = 53;
        string host;
        if (value.StartsWith("[", StringComparison.Ordinal))
        {
            var close = value.IndexOf(']');
            if (close < 0)
            {
                return false;
            }

            host = value.Substring(1, close - 1);
            var rest = value.Substring(close + 1);
            if (rest.Length > 0 && (!rest.StartsWith(":", StringComparison.Ordinal) || !TryParsePort(rest.Substring(1), out port)))
            {
                return false;
            }
        }
        else if (value.IndexOf(':') == value.LastIndexOf(':') && value.IndexOf(':') > 0)
        {
            // One colon: IPv4 (or a name) with a port.
            var colon = value.IndexOf(':');
            host = value.Substring(0, colon);
            if (!TryParsePort(value.Substring(colon + 1), out port))
            {
                return false;
            }
        }
        else
        {
            host = value;
        }

        if (!IPAddress.TryParse(host, out var address))
        {
            return false;
        }

        endpoint = new IPEndPoint(address, port);
        return true;
    }

    private static bool TryParsePort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and < 65_536;

    private static string ReadProbeName(JsonDocumentReader reader, System.Text.Json.JsonElement element, string path)
    {
        var text = reader.ReadString(element, path, "dnssecProbeName", ".");
        if (text is null || text.Trim() == ".")
        {
            return ".";
        }

        if (DomainName.TryNormalize(text, out var name))
        {
            return name;
        }

        reader.Error(JsonDocumentReader.Child(path, "dnssecProbeName"), $"'{text}' is not a domain name or \".\" (the root)");
        return ".";
    }

    private static void CheckServers(JsonDocumentReader reader, string path, string name, IReadOnlyList<string> servers)
    {
        for (var i = 0; i < servers.Count; i++)
        {
            if (!TryParseServer(servers[i], out _))
            {
                reader.Error(JsonDocumentReader.Index(JsonDocumentReader.Child(path, name), i), $"'{servers[i]}' is not an IP address with an optional port (192.0.2.53, 192.0.2.53:5353, [2001:db8::53]:5353)");
            }
        }
    }
}
