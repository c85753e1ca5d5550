using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using LinkSecure.Core.Relay;

namespace LinkSecure.Cli;

/// <summary><c>linksecure relay</c>: the Postfix relay tier (docs/relay.md).</summary>
internal sealed class RelayCommand
{
    private readonly CommonOptions common = new();

    private readonly Option<DirectoryInfo> output = new("--out", "-o")
    {
        Description = "Directory to write main.cf and master.cf into (created when missing; existing files are replaced atomically).",
        Required = true,
    };

    private readonly Option<string> listen = new("--listen")
    {
        Description = "Address and port the relay listens on for the Exchange servers: 192.0.2.1:25 or [2001:db8::1]:25.",
        Required = true,
    };

    private readonly Option<string> hostname = new("--hostname")
    {
        Description = "The relay's host name (myhostname); a name on its certificate, the Send connector's TlsDomain.",
        Required = true,
    };

    private readonly Option<string[]> exchange = new("--exchange")
    {
        Description = "Exchange server address or network (CIDR) allowed to send through the relay (repeatable; at least one; never 0.0.0.0/0).",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string[]> fingerprints = new("--client-cert-fingerprint")
    {
        Description = "SHA-256 fingerprint of an Exchange client certificate also allowed to send (repeatable).",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<FileInfo> certificate = new("--cert")
    {
        Description = "PEM certificate chain the relay presents to Exchange.",
        Required = true,
    };

    private readonly Option<FileInfo> key = new("--key")
    {
        Description = "PEM private key of --cert.",
        Required = true,
    };

    private readonly Option<string> socketmap = new("--socketmap")
    {
        Description = "The policy server's socketmap endpoint, inet:HOST:PORT or unix:PATH.",
        DefaultValueFactory = _ => "inet:127.0.0.1:8461",
    };

    private readonly Option<string> queueDirectory = new("--queue-directory")
    {
        Description = "The instance's own queue directory.",
        DefaultValueFactory = _ => "/var/spool/postfix-linksecure",
    };

    private readonly Option<string> dataDirectory = new("--data-directory")
    {
        Description = "The instance's own data directory.",
        DefaultValueFactory = _ => "/var/lib/postfix-linksecure",
    };

    private readonly Option<string[]> returnHosts = new("--return-host")
    {
        Description = "Exchange server (host name or IP address) the relay returns the organisation's own mail to: its DSNs, which go to the envelope sender (repeatable, tried in order). Needs --return-cert-name.",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string[]> returnCertNames = new("--return-cert-name")
    {
        Description = "A name on the Exchange servers' certificate (*.x for any name under x) that the return route requires over TLS (repeatable).",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string[]> returnDomains = new("--return-domain")
    {
        Description = "The organisation's domain that takes the return route (repeatable; *.x for its subdomains). Default: the configuration's internalDomains.",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<int> returnPort = new("--return-port")
    {
        Description = "The SMTP port of --return-host.",
        DefaultValueFactory = _ => 25,
    };

    public Command Build()
    {
        var relay = new Command("relay", "The Postfix relay that delivers with validated DANE and MTA-STS (docs/relay.md).");
        var config = new Command("config", "Write main.cf and master.cf of a private Postfix instance that relays mail from the named Exchange servers only, with the TLS policy of each destination from 'linksecure policy-server'. The queue lifetime is the configuration's defer.maxDeferMinutes. With --return-host, the organisation's own domains (the relay's DSNs) go back to the Exchange servers over TLS against their certificate's names.\n\nExit codes: 0 written; 2 usage error (an empty or open --exchange list, a missing certificate, a bad value).");
        config.Options.Add(common.Config);
        foreach (var option in new Option[] { output, listen, hostname, exchange, fingerprints, certificate, key, socketmap, queueDirectory, dataDirectory, returnHosts, returnCertNames, returnDomains, returnPort })
        {
            config.Options.Add(option);
        }

        config.SetAction(Run);
        relay.Subcommands.Add(config);
        return relay;
    }

    /// <summary>Parses <c>ADDR:PORT</c> or <c>[IPV6]:PORT</c>.</summary>
    internal static (IPAddress Address, int Port) ParseListen(string text)
    {
        var value = (text ?? string.Empty).Trim();
        var colon = value.LastIndexOf(':');
        var host = colon > 0 ? value.Substring(0, colon) : string.Empty;
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host.Substring(1, host.Length - 2);
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            host = string.Empty;
        }

        if (!IPAddress.TryParse(host, out var address)
            || !int.TryParse(value.Substring(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65_535)
        {
            throw new UsageException($"--listen '{text}' is not ADDRESS:PORT (192.0.2.1:25, [2001:db8::1]:25).");
        }

        return (address, port);
    }

    /// <summary>The configuration's internalDomains, when a return host is given without --return-domain.</summary>
    private string[] ReturnDomainsFromSettings(ParseResult result, Core.Configuration.LinkSecureSettings settings) =>
        result.GetValue(returnHosts) is { Length: > 0 } ? settings.InternalDomains.ToArray() : Array.Empty<string>();

    private int Run(ParseResult result)
    {
        var settings = common.LoadSettings(result);
        var (address, port) = ParseListen(result.GetValue(listen)!);
        var clients = result.GetValue(exchange) ?? Array.Empty<string>();
        if (clients.Length == 0)
        {
            throw new UsageException("--exchange is required: name the Exchange servers that may send through the relay (an empty list would make it accept nobody or, widened, everybody).");
        }

        var cert = result.GetValue(certificate)!;
        var keyFile = result.GetValue(key)!;
        foreach (var file in new[] { cert, keyFile })
        {
            if (!file.Exists)
            {
                throw new UsageException($"{file.FullName} does not exist.");
            }
        }

        var options = new PostfixRelayConfigOptions(address, port, result.GetValue(hostname)!, clients, cert.FullName, keyFile.FullName)
        {
            ClientCertificateFingerprints = result.GetValue(fingerprints) ?? Array.Empty<string>(),
            SocketmapEndpoint = result.GetValue(socketmap)!,
            QueueDirectory = result.GetValue(queueDirectory)!,
            DataDirectory = result.GetValue(dataDirectory)!,
            ReturnHosts = result.GetValue(returnHosts) ?? Array.Empty<string>(),
            ReturnCertificateNames = result.GetValue(returnCertNames) ?? Array.Empty<string>(),
            ReturnDomains = result.GetValue(returnDomains) is { Length: > 0 } domains ? domains : ReturnDomainsFromSettings(result, settings),
            ReturnPort = result.GetValue(returnPort),
        };
        var problems = PostfixRelayConfig.Validate(options);
        if (problems.Count > 0)
        {
            throw new UsageException("Cannot write the relay configuration: " + string.Join("; ", problems) + ".");
        }

        var generated = PostfixRelayConfig.Generate(settings, options);
        var directory = result.GetValue(output)!;
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        foreach (var (name, text) in new[] { ("main.cf", generated.MainCf), ("master.cf", generated.MasterCf) })
        {
            var path = Path.Combine(directory.FullName, name);
            try
            {
                AtomicFile.Write(path, stream =>
                {
                    var bytes = utf8.GetBytes(text);
                    stream.Write(bytes, 0, bytes.Length);
                });
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"Cannot write {path}: {ex.Message}", ex);
            }

            Console.WriteLine($"Wrote {path}");
        }

        var queue = PostfixRelayConfig.PostfixMinutes(settings.Defer.MaxDefer);
        Console.WriteLine($"Relay {options.Hostname} on {result.GetValue(listen)} for {string.Join(", ", options.ExchangeClients)}{(options.ClientCertificateFingerprints.Count > 0 ? " and " + options.ClientCertificateFingerprints.Count.ToString(CultureInfo.InvariantCulture) + " client certificate(s)" : string.Empty)}; policy {options.SocketmapEndpoint}:{options.SocketmapName}; queue lifetime {queue}.");
        if (options.ReturnHosts.Count > 0)
        {
            Console.WriteLine($"Mail for {string.Join(", ", options.ReturnDomains)} (the relay's DSNs) returns to {string.Join(", ", options.ReturnHosts)} port {options.ReturnPort.ToString(CultureInfo.InvariantCulture)} over TLS, certificate valid for {string.Join(", ", options.ReturnCertificateNames)}.");
        }

        Console.WriteLine($"Check it with: postconf -c {directory.FullName} -n && postfix -c {directory.FullName} check");
        return ExitCodes.Ok;
    }
}
