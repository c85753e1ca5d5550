using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Handling;
using LinkSecure.Core.Relay;

namespace LinkSecure.Cli;

/// <summary>
/// <c>linksecure policy-server</c>: the Postfix socketmap server (socketmap_table(5)) for <c>smtp_tls_policy_maps</c>,
/// answering from the same decision stack the agent uses (docs/cli.md).
/// </summary>
internal sealed class PolicyServerCommand
{
    /// <summary>The command's name.</summary>
    public const string Name = "policy-server";

    /// <summary>The default listening address, that of postfix-mta-sts-resolver, so it is a drop-in replacement.</summary>
    public const string DefaultListen = "127.0.0.1:8461";

    /// <summary>How long in-flight answers may take after SIGTERM or Ctrl+C.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    /// <summary>How long System.CommandLine waits for the command after SIGTERM or Ctrl+C before it forces exit 143/130:
    /// longer than <see cref="StopGrace"/>, so a graceful stop exits 0.</summary>
    public static readonly TimeSpan TerminationTimeout = StopGrace + TimeSpan.FromSeconds(3);

    private readonly CommonOptions common = new();

    private readonly Option<string[]> listen = new("--listen", "-l")
    {
        Description = $"Socketmap address IP:PORT (repeatable; IPv6 as [::1]:PORT; port 0 picks a free one). Default {DefaultListen}. Loopback only unless --allow-remote.",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<bool> allowRemote = new("--allow-remote")
    {
        Description = "Allow --listen and --metrics on a non-loopback address. The socketmap has no authentication: firewall it.",
    };

    private readonly Option<string?> metrics = new("--metrics")
    {
        Description = "Serve counters (lookups, hits, misses, failures, connections, protocol_errors, refused_connections) as text at http://IP:PORT/metrics. Loopback only unless --allow-remote.",
    };

    private readonly Option<bool> logLookups = new("--log-lookups")
    {
        Description = "Write one line per lookup (map, key, reply, time) to standard error.",
    };

    /// <summary>Whether the parsed command line runs this command (Program gives it a longer termination timeout).</summary>
    public static bool IsInvoked(ParseResult parse) => parse.CommandResult.Command.Name == Name;

    public Command Build()
    {
        var command = new Command(Name, $"Serve Postfix smtp_tls_policy_maps lookups over the socketmap protocol (socketmap:inet:{DefaultListen}:linksecure, or :postfix for postfix-mta-sts-resolver's answers), from the configuration's overrides, the known-domain database and the live resolver (unless --offline). Runs until SIGTERM or Ctrl+C, then finishes the answers in flight (at most {StopGrace.TotalSeconds:0} s).\n\nExit codes: 0 stopped; 2 usage error (bad option, configuration, database or CA file); 3 an address cannot be bound.");
        command.Options.Add(listen);
        command.Options.Add(allowRemote);
        command.Options.Add(metrics);
        command.Options.Add(logLookups);
        common.AddTo(command);
        common.AddNetworkTo(command);
        command.SetAction((result, cancellationToken) => RunAsync(result, cancellationToken));
        return command;
    }

    /// <summary>The production responder. The one line that needs <see cref="TlsPolicyMap"/> (the integrator's type).</summary>
    internal static ISocketmapResponder CreateResponder(DecisionStack stack) => new TlsPolicyMap(stack);

    /// <summary>Parses <c>IP:PORT</c> (<c>[IPv6]:PORT</c>); a non-loopback address only with <paramref name="remote"/>.</summary>
    /// <exception cref="UsageException">Not an address with a port, or a remote address without --allow-remote.</exception>
    internal static IPEndPoint ParseEndpoint(string text, string option, bool remote)
    {
        var value = text.Trim();
        var colon = value.LastIndexOf(':');
        var host = colon > 0 ? value.Substring(0, colon) : string.Empty;
        var bracketed = host.Length > 2 && host[0] == '[' && host[^1] == ']';
        if (bracketed)
        {
            host = host.Substring(1, host.Length - 2);
        }

        if (colon <= 0 ||
            !int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65_535 ||
            !IPAddress.TryParse(host, out var address) ||
            (address.AddressFamily == AddressFamily.InterNetworkV6) != bracketed)
        {
            throw new UsageException($"{option} '{text}' is not IP:PORT (an IPv4 address, or an IPv6 address in brackets, and a port 0 to 65535).");
        }

        if (!remote && !IPAddress.IsLoopback(address))
        {
            throw new UsageException($"{option} {text} is not a loopback address; the socketmap protocol has no authentication. Give --allow-remote to listen there anyway.");
        }

        return new IPEndPoint(address, port);
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        var remote = result.GetValue(allowRemote);
        var given = result.GetValue(listen);
        var endpoints = (given is { Length: > 0 } ? given : new[] { DefaultListen }).Select(t => ParseEndpoint(t, "--listen", remote)).ToList();
        var metricsText = result.GetValue(metrics);
        var metricsEndpoint = metricsText is null ? null : ParseEndpoint(metricsText, "--metrics", remote);

        var settings = common.ApplyNetworkOverrides(result, common.LoadSettings(result));
        var database = common.LoadDatabase(result, settings);
        using var network = common.CreateNetworkSource(result, settings);
        var responder = CreateResponder(DecisionStack.Create(settings, database, network));
        try
        {
            return await ServeAsync(responder, endpoints, metricsEndpoint, result.GetValue(logLookups), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            (responder as IDisposable)?.Dispose();
        }
    }

    private static async Task<int> ServeAsync(ISocketmapResponder responder, IReadOnlyList<IPEndPoint> endpoints, IPEndPoint? metricsEndpoint, bool lookups, CancellationToken cancellationToken)
    {
        var log = Console.Error;
        var server = new PolicyServer(responder, log, lookups);
        await using (server.ConfigureAwait(false))
        {
            try
            {
                server.Start(endpoints, metricsEndpoint);
            }
            catch (SocketException ex)
            {
                await log.WriteLineAsync($"linksecure policy-server: cannot listen on {string.Join(", ", endpoints.Append(metricsEndpoint).OfType<IPEndPoint>())}: {ex.Message}").ConfigureAwait(false);
                return ExitCodes.RuntimeFailure;
            }

            foreach (var endpoint in server.Endpoints)
            {
                await log.WriteLineAsync($"linksecure policy-server: listening on {endpoint}").ConfigureAwait(false);
            }

            if (server.MetricsEndpoint is { } m)
            {
                await log.WriteLineAsync($"linksecure policy-server: metrics at http://{m}/metrics").ConfigureAwait(false);
            }

            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // SIGTERM or Ctrl+C: stop gracefully.
            }

            await log.WriteLineAsync("linksecure policy-server: stopping.").ConfigureAwait(false);
            await server.StopAsync(StopGrace).ConfigureAwait(false);
            await log.WriteLineAsync($"linksecure policy-server: stopped after {server.Counters.Lookups} lookups.").ConfigureAwait(false);
            return ExitCodes.Ok;
        }
    }
}
