using System;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Cli.Serve;
using LinkSecure.Core.Handling;

namespace LinkSecure.Cli;

/// <summary>
/// <c>linksecure serve</c>: the HTTPS status service the Outlook add-in calls at compose time, answering from the same
/// decision stack as the agent and <c>linksecure explain</c>, and serving the add-in's files (docs/serve.md).
/// </summary>
internal sealed class ServeCommand
{
    /// <summary>The command's name.</summary>
    public const string Name = "serve";

    /// <summary>How long requests in flight may take after SIGTERM, Ctrl+C or a service stop.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    /// <summary>How long System.CommandLine waits before it forces exit 143/130: longer than <see cref="StopGrace"/>.</summary>
    public static readonly TimeSpan TerminationTimeout = StopGrace + TimeSpan.FromSeconds(3);

    private readonly CommonOptions common = new();

    private readonly Option<string[]> listen = new("--listen", "-l")
    {
        Description = $"Address to serve, https://IP:PORT (repeatable; IPv6 in brackets; 0.0.0.0 or [::] for every interface; port 0 picks a free one). Plain http:// only on a loopback address (tests, a reverse proxy on this host). Default {ServeOptions.DefaultListen}.",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<FileInfo?> certificate = new("--certificate")
    {
        Description = "The HTTPS certificate: a .pfx/.p12 file, or a PEM certificate (chain) with its key in the same file or in --certificate-key.",
    };

    private readonly Option<FileInfo?> certificateKey = new("--certificate-key")
    {
        Description = "The PEM private key of a PEM --certificate.",
    };

    private readonly Option<FileInfo?> certificatePasswordFile = new("--certificate-password-file")
    {
        Description = "A file whose first line is the password of the .pfx or of the encrypted PEM key.",
    };

    private readonly Option<string?> certificateThumbprint = new("--certificate-store-thumbprint")
    {
        Description = "Windows: the thumbprint of a certificate with a private key in LocalMachine\\My.",
    };

    private readonly Option<string?> publicUrl = new("--public-url")
    {
        Description = "The URL clients reach the service at, e.g. https://linksecure.contoso.com:8443 (the add-in manifest's base URL and the origin allowed for CORS). Default: from the first --listen.",
    };

    private readonly Option<DirectoryInfo?> addinDir = new("--addin-dir")
    {
        Description = "The add-in files served under /addin/. Default: the addin folder beside the linksecure executable.",
    };

    private readonly Option<string[]> frameAncestors = new("--frame-ancestor")
    {
        Description = "An origin allowed to frame the add-in, e.g. https://mail.contoso.com (repeatable; Content-Security-Policy frame-ancestors). Default: any (*), as Outlook's hosts differ per client.",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<bool> verbose = new("--verbose")
    {
        Description = "Log one debug line per answered entry: the domain, state and decision (never the address or the requester).",
    };

    /// <summary>Whether the parsed command line runs this command (Program gives it a longer termination timeout).</summary>
    public static bool IsInvoked(ParseResult parse) => parse.CommandResult.Command.Name == Name;

    public Command Build()
    {
        var command = new Command(Name, $"Serve the compose-time status API (GET /api/v1/recipients, /api/v1/policy, /healthz) and the Outlook add-in's files (/addin/) over HTTPS. Each answer is what the agent would decide for a message tagged level=N to that recipient: the configuration's overrides, the known-domain database and the live resolver (unless --offline), never an SMTP probe. Runs until SIGTERM, Ctrl+C or a Windows service stop, then finishes the requests in flight (at most {StopGrace.TotalSeconds:0} s).\n\nExit codes: 0 stopped; 2 usage error (bad option, configuration, database, CA or certificate file); 3 an address cannot be bound.");
        command.Options.Add(listen);
        command.Options.Add(certificate);
        command.Options.Add(certificateKey);
        command.Options.Add(certificatePasswordFile);
        command.Options.Add(certificateThumbprint);
        command.Options.Add(publicUrl);
        command.Options.Add(addinDir);
        command.Options.Add(frameAncestors);
        command.Options.Add(verbose);
        common.AddTo(command);
        common.AddNetworkTo(command);
        command.SetAction((result, cancellationToken) => RunAsync(result, cancellationToken));
        return command;
    }

    /// <summary>Checks <c>--public-url</c>: absolute http(s), no path beyond <c>/</c>, no query; http only for loopback.</summary>
    internal static string ParsePublicUrl(string text)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0 || uri.AbsolutePath != "/")
        {
            throw new UsageException($"--public-url '{text}' is not an absolute https:// URL without a path, e.g. https://linksecure.contoso.com:8443.");
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !(uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip))))
        {
            throw new UsageException($"--public-url {text}: Outlook loads add-ins over HTTPS only; http:// is for loopback tests.");
        }

        return uri.GetLeftPart(UriPartial.Authority);
    }

    /// <summary>Checks a <c>--frame-ancestor</c> origin.</summary>
    internal static string ParseFrameAncestor(string text)
    {
        var value = text.Trim();
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || uri.AbsolutePath != "/" || uri.Query.Length > 0
            || value.IndexOfAny([' ', ';', ',', '\'']) >= 0)
        {
            throw new UsageException($"--frame-ancestor '{text}' is not an https:// origin, e.g. https://mail.contoso.com.");
        }

        return uri.GetLeftPart(UriPartial.Authority);
    }

    private ServeOptions ParseOptions(ParseResult result)
    {
        var given = result.GetValue(listen);
        var addresses = (given is { Length: > 0 } ? given : [ServeOptions.DefaultListen]).Select(ListenAddress.Parse).ToList();
        var certificateFile = result.GetValue(certificate);
        var thumbprint = result.GetValue(certificateThumbprint);
        if (certificateFile is not null && !certificateFile.Exists)
        {
            throw new UsageException($"--certificate {certificateFile.FullName} does not exist.");
        }

        var cert = addresses.Any(a => a.IsHttps)
            ? ServeCertificate.Load(certificateFile, result.GetValue(certificateKey), result.GetValue(certificatePasswordFile), thumbprint, DateTimeOffset.UtcNow)
            : null;
        return new ServeOptions
        {
            Listen = addresses,
            Certificate = cert,
            PublicUrl = result.GetValue(publicUrl) is { } url ? ParsePublicUrl(url) : null,
            AddinDirectory = result.GetValue(addinDir)?.FullName ?? Path.Combine(AppContext.BaseDirectory, "addin"),
            FrameAncestors = (result.GetValue(frameAncestors) ?? []).Select(ParseFrameAncestor).ToList(),
            Verbose = result.GetValue(verbose),
        };
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        var options = ParseOptions(result);
        var settings = common.ApplyNetworkOverrides(result, common.LoadSettings(result));
        var database = common.LoadDatabase(result, settings);
        using var network = common.CreateNetworkSource(result, settings);
        var query = new RecipientStatusQuery(DecisionStack.Create(settings, database, network));
        var log = Console.Error;
        StatusServer server;
        try
        {
            server = await StatusServer.StartAsync(options, settings, query, log).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await log.WriteLineAsync($"linksecure serve: cannot listen on {string.Join(", ", options.Listen)}: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.RuntimeFailure;
        }

        await using (server.ConfigureAwait(false))
        {
            using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, server.HostStopping);
            try
            {
                await Task.Delay(Timeout.Infinite, either.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // SIGTERM, Ctrl+C or a service stop: stop gracefully.
            }

            await log.WriteLineAsync("linksecure serve: stopping.").ConfigureAwait(false);
            await server.StopAsync(StopGrace).ConfigureAwait(false);
            await log.WriteLineAsync($"linksecure serve: stopped; {server.Counters.Format()}").ConfigureAwait(false);
            return ExitCodes.Ok;
        }
    }
}
