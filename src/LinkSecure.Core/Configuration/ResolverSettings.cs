using System;
using System.Collections.Generic;
using LinkSecure.Core.Internal;

namespace LinkSecure.Core.Configuration;

/// <summary>Network lookups: DNS servers, DNSSEC, time limits, extra trust anchors (JSON section <c>resolver</c>;
/// docs/policy-resolution.md).</summary>
public sealed class ResolverSettings
{
    internal static readonly string[] Properties =
    {
        "enabled", "dnsServers", "validatingDnsServers", "timeoutMilliseconds", "retries", "tcpFallback", "caFiles", "learnedStorePath", "cacheSize",
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

    /// <summary>Gets the timeout of one DNS query or HTTPS exchange.</summary>
    public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets the number of retries of a DNS query.</summary>
    public int Retries { get; private set; } = 1;

    /// <summary>Gets a value indicating whether truncated UDP answers are retried over TCP.</summary>
    public bool TcpFallback { get; private set; } = true;

    /// <summary>Gets PEM files with extra trust anchors (an enterprise's private CA) for MTA-STS HTTPS and SMTP probes.</summary>
    public IReadOnlyList<string> CaFiles { get; private set; } = Array.Empty<string>();

    /// <summary>Gets the path of the learned-capability store shared by the agent and the CLI; <see langword="null"/> for none.</summary>
    public string? LearnedStorePath { get; private set; }

    /// <summary>Gets the maximum number of domains kept in the profile cache.</summary>
    public int CacheSize { get; private set; } = 10_000;

    internal static ResolverSettings Read(JsonDocumentReader reader, System.Text.Json.JsonElement element, string path)
    {
        if (!reader.ExpectObject(element, path))
        {
            return Default;
        }

        reader.CheckProperties(element, path, Properties);
        return new ResolverSettings
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
        };
    }
}
