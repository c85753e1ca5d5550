using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Database;
using LinkSecure.Core.Network;

namespace LinkSecure.Cli;

/// <summary>Options shared by the commands that need configuration and the known-domain database, and by those that
/// look domains up on the network (explain, downgrade, check): DNS servers, extra trust anchors, offline mode.</summary>
internal sealed class CommonOptions
{
    public Option<FileInfo?> Config { get; } = new("--config", "-c")
    {
        Description = "Configuration file (LinkSecure.config.json). Without it the embedded defaults apply.",
    };

    public Option<FileInfo[]> Database { get; } = new("--db")
    {
        Description = "Known-domain database file(s) in addition to those the configuration names; later files take precedence.",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string[]> DnsServers { get; } = new("--dns-server")
    {
        Description = "DNS server to use, host[:port] (repeatable); replaces resolver.dnsServers and resolver.validatingDnsServers. Default: the configuration's servers, else the system resolver.",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string[]> ValidatingDnsServers { get; } = new("--validating-dns-server")
    {
        Description = "DNSSEC-validating DNS server whose AD bit is believed, host[:port] (repeatable); enables DANE. Replaces resolver.validatingDnsServers.",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<FileInfo[]> CaFiles { get; } = new("--ca-file")
    {
        Description = "PEM file of extra trust anchors (an enterprise CA) for MTA-STS HTTPS and SMTP certificates (repeatable); added to resolver.caFiles.",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<bool> Offline { get; } = new("--offline")
    {
        Description = "Do not use the network: only the configuration's overrides and the known-domain database decide.",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Config);
        command.Options.Add(Database);
    }

    /// <summary>Adds --dns-server, --validating-dns-server and --ca-file, and --offline when <paramref name="offline"/>.</summary>
    public void AddNetworkTo(Command command, bool offline = true)
    {
        command.Options.Add(DnsServers);
        command.Options.Add(ValidatingDnsServers);
        command.Options.Add(CaFiles);
        if (offline)
        {
            command.Options.Add(Offline);
        }
    }

    /// <summary>Whether --offline was given.</summary>
    public bool IsOffline(ParseResult result) => result.GetResult(Offline) is not null && result.GetValue(Offline);

    /// <summary>
    /// Applies --dns-server, --validating-dns-server and --ca-file to the configuration's resolver section. --dns-server
    /// alone sends every query to the named servers and so drops the configuration's validating servers.
    /// </summary>
    public LinkSecureSettings ApplyNetworkOverrides(ParseResult result, LinkSecureSettings settings, string? learnedStorePath = null, System.TimeSpan? learnedDefaultTtl = null)
    {
        var servers = Present(result, DnsServers) ? result.GetValue(DnsServers) : null;
        var validating = Present(result, ValidatingDnsServers) ? result.GetValue(ValidatingDnsServers) : null;
        var caFiles = Present(result, CaFiles) ? result.GetValue(CaFiles) : null;
        IEnumerable<string>? plain = servers is { Length: > 0 } ? servers.Select(s => ParseServer(s, DnsServers.Name)).ToArray() : null;
        IEnumerable<string>? secure = validating is { Length: > 0 }
            ? validating.Select(s => ParseServer(s, ValidatingDnsServers.Name)).ToArray()
            : plain is not null ? System.Array.Empty<string>() : null;
        IEnumerable<string>? anchors = null;
        if (caFiles is { Length: > 0 })
        {
            foreach (var file in caFiles)
            {
                if (!file.Exists)
                {
                    throw new UsageException($"--ca-file {file.FullName} does not exist.");
                }
            }

            anchors = caFiles.Select(f => f.FullName).ToArray();
        }

        if (plain is null && secure is null && anchors is null && learnedStorePath is null && learnedDefaultTtl is null)
        {
            return settings;
        }

        return settings.WithResolver(settings.Resolver.With(plain, secure, anchors, learnedStorePath, learnedDefaultTtl));
    }

    /// <summary>The live resolver for the settings, or null when offline or when the configuration disables it.</summary>
    public NetworkProfileSource? CreateNetworkSource(ParseResult result, LinkSecureSettings settings)
    {
        if (IsOffline(result) || !settings.Resolver.Enabled)
        {
            return null;
        }

        try
        {
            return NetworkProfileSource.Create(settings);
        }
        catch (System.Exception ex) when (ex is IOException or System.FormatException or System.UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new UsageException("Cannot load the trust anchors (resolver.caFiles, --ca-file): " + ex.Message, ex);
        }
        catch (NoNameServerException ex)
        {
            throw new UsageException(ex.Message, ex);
        }
    }

    /// <summary>Accepts an IP address with an optional port, or a host name (resolved once with the system resolver).</summary>
    internal static string ParseServer(string text, string option)
    {
        if (ResolverSettings.TryParseServer(text, out var endpoint))
        {
            return endpoint.ToString();
        }

        var value = text.Trim();
        var port = 53;
        var host = value;
        var colon = value.LastIndexOf(':');
        if (colon > 0 && value.IndexOf(':') == colon)
        {
            host = value.Substring(0, colon);
            if (!int.TryParse(value.Substring(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65_535)
            {
                throw new UsageException($"{option} '{text}': the port must be 1 to 65535.");
            }
        }

        if (!Core.Protocol.DomainName.TryNormalize(host, out _))
        {
            throw new UsageException($"{option} '{text}' is not an address or host name with an optional port.");
        }

        try
        {
            var address = Dns.GetHostAddresses(host).FirstOrDefault() ?? throw new UsageException($"{option} '{text}': {host} has no address.");
            return new IPEndPoint(address, port).ToString();
        }
        catch (SocketException ex)
        {
            throw new UsageException($"{option} '{text}': cannot resolve {host}: {ex.Message}", ex);
        }
    }

    private static bool Present(ParseResult result, Option option) => result.GetResult(option) is not null;

    public LinkSecureSettings LoadSettings(ParseResult result)
    {
        var file = result.GetValue(Config);
        if (file is null)
        {
            return LinkSecureSettings.Default;
        }

        try
        {
            return LinkSecureSettings.LoadFile(file.FullName);
        }
        catch (DocumentException ex)
        {
            throw new UsageException(ex.Message, ex);
        }
        catch (IOException ex)
        {
            throw new UsageException($"Cannot read the configuration file {file.FullName}: {ex.Message}", ex);
        }
        catch (System.UnauthorizedAccessException ex)
        {
            throw new UsageException($"Cannot read the configuration file {file.FullName}: {ex.Message}", ex);
        }
    }

    public KnownDomainDatabase LoadDatabase(ParseResult result, LinkSecureSettings settings, bool? useEmbedded = null)
    {
        var extra = new List<string>();
        foreach (var file in result.GetValue(Database) ?? System.Array.Empty<FileInfo>())
        {
            extra.Add(file.FullName);
        }

        try
        {
            return KnownDomainDatabase.LoadConfigured(settings, extra, useEmbedded);
        }
        catch (DocumentException ex)
        {
            throw new UsageException(ex.Message, ex);
        }
        catch (IOException ex)
        {
            throw new UsageException($"Cannot read a known-domain database: {ex.Message}", ex);
        }
        catch (System.UnauthorizedAccessException ex)
        {
            throw new UsageException($"Cannot read a known-domain database: {ex.Message}", ex);
        }
    }
}
