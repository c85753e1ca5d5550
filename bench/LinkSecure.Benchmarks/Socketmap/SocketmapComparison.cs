using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Text.Json;
using System.Threading.Tasks;

namespace LinkSecure.Benchmarks.Socketmap;

/// <summary>
/// The console mode <c>socketmap</c> (bench/policy-server-vs-peer.sh): <c>linksecure policy-server</c> (maps
/// <c>postfix</c> and <c>linksecure</c>) and Debian's <c>mta-sts-daemon</c> (postfix-mta-sts-resolver) in the same run, on
/// the same MTA-STS domains of a loopback world (<see cref="BenchWorld"/>), warm cache, then a miss storm. Not
/// BenchmarkDotNet: its per-invocation model does not fit many concurrent persistent connections, so the loop is
/// <see cref="SocketmapLoad"/> and the table reports what BenchmarkDotNet would (mean, median, p99, throughput).
/// </summary>
public static class SocketmapComparison
{
    private const string Unshare = "/usr/bin/unshare";
    private const string PeerDaemon = "/usr/bin/mta-sts-daemon";
    private const string ConstantServer = "constant-answer C server";

    /// <summary>Runs the comparison and prints the tables; returns the exit code.</summary>
    /// <param name="args">Options after <c>socketmap</c>: <c>--cli PATH</c> (linksecure.dll, required), <c>--seconds N</c>
    /// (5), <c>--warmup N</c> (1), <c>--connections 1,16,64</c>, <c>--domains N</c> (100), <c>--storm-domains N</c> (20
    /// per server), <c>--storm-connections N</c> (64), <c>--resolver IP</c> (127.0.0.63), <c>--https IP</c> (127.0.0.64),
    /// <c>--no-peer</c>, <c>--constant PATH</c> (the built bench/socketmap-constant.c, measured as a ceiling), <c>--c-client PATH</c> (the
    /// built bench/socketmap-load.c: every load run again with that lighter client).</param>
    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options.Parse(args);
        var directory = Path.Combine(Path.GetTempPath(), "linksecure-bench-" + Guid.NewGuid().ToString("N").Substring(0, 12));
        Directory.CreateDirectory(directory);
        try
        {
            await using var world = await BenchWorld.StartAsync(new IPEndPoint(options.Resolver, 53), options.Https, options.Domains, options.StormDomains * 2, directory);
            Console.WriteLine($"World: zone {BenchWorld.Zone}, {options.Domains} warm + {options.StormDomains * 2} storm MTA-STS domains (mode enforce), validating unbound on {world.Resolver}, HTTPS policy hosts on {options.Https}:443");
            var targets = new List<(string Server, string Map, ServerProcess Process)>();
            using var ours = await StartOursAsync(options, world, directory);
            targets.Add(("linksecure policy-server", "postfix", ours));
            targets.Add(("linksecure policy-server", "linksecure", ours));
            using var peer = options.NoPeer ? null : await StartPeerAsync(options, world, directory);
            if (peer is not null)
            {
                targets.Add(("mta-sts-daemon", "postfix", peer));
            }

            using var constant = options.Constant is null ? null : await StartConstantAsync(options.Constant);
            if (constant is not null)
            {
                targets.Add((ConstantServer, "postfix", constant));
            }

            foreach (var (server, map, process) in targets)
            {
                await WarmAsync(server, map, process, world.WarmDomains);
            }

            var clients = new List<(string Name, Func<ServerProcess, string, int, Task<LoadResult>> Load)>
            {
                (".NET client (in the benchmark process)", (process, map, connections) => SocketmapLoad.RunAsync(process.Endpoint, map, world.WarmDomains, connections, options.WarmUp, options.Duration)),
            };
            if (options.CClient is { } program)
            {
                var keys = Path.Combine(directory, "warm-keys.txt");
                await File.WriteAllLinesAsync(keys, world.WarmDomains);
                clients.Add(("C client (bench/socketmap-load.c, one epoll thread)", (process, map, connections) => SocketmapLoad.RunProgramAsync(program, process.Endpoint, map, keys, connections, options.WarmUp, options.Duration)));
            }

            foreach (var (client, load) in clients)
            {
                var rows = new List<(string Server, string Map, LoadResult Result, double CpuPercent)>();
                foreach (var connections in options.Connections)
                {
                    foreach (var (server, map, process) in targets)
                    {
                        var cpu = process.CpuTime();
                        var wall = Stopwatch.StartNew();
                        var result = await load(process, map, connections);
                        var cpuPercent = (process.CpuTime() - cpu).TotalSeconds / wall.Elapsed.TotalSeconds * 100;
                        rows.Add((server, map, result, cpuPercent));
                        Console.WriteLine($"  {client}: {server} {map} {connections} connections: {result.Throughput:0} lookups/s");
                    }
                }

                PrintLoadTable(client, rows, options);
            }
            var storms = new List<(string Server, StormResult Result)>();
            var half = world.StormDomains.Count / 2;
            storms.Add(("linksecure policy-server", await StormAsync(ours, world, world.StormDomains.Take(half).ToList(), options.StormConnections)));
            if (peer is not null)
            {
                storms.Add(("mta-sts-daemon", await StormAsync(peer, world, world.StormDomains.Skip(half).ToList(), options.StormConnections)));
            }

            PrintStormTable(storms, options);
            return 0;
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Starts the constant-answer C server (bench/socketmap-constant.c): the ceiling of this measurement.</summary>
    private static Task<ServerProcess> StartConstantAsync(string program)
    {
        var port = ServerProcess.FreePort();
        return ServerProcess.StartAsync(program, new[] { port.ToString(CultureInfo.InvariantCulture) }, new Dictionary<string, string>(), new IPEndPoint(IPAddress.Loopback, port));
    }

    private static async Task<ServerProcess> StartOursAsync(Options options, BenchWorld world, string directory)
    {
        var resolver = world.Resolver.ToString();
        var configuration = new Dictionary<string, object>
        {
            ["resolver"] = new Dictionary<string, object>
            {
                ["dnsServers"] = new[] { resolver },
                ["validatingDnsServers"] = new[] { resolver },
                ["dnssecProbeName"] = BenchWorld.Zone,
                ["caFiles"] = new[] { world.CaFile },
            },
        };
        var path = Path.Combine(directory, "linksecure.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(configuration));
        var endpoint = new IPEndPoint(IPAddress.Loopback, ServerProcess.FreePort());
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        return await ServerProcess.StartAsync(
            dotnet,
            new[] { options.Cli, "policy-server", "--listen", endpoint.ToString(), "--config", path },
            new Dictionary<string, string>(),
            endpoint);
    }

    /// <summary>Starts mta-sts-daemon in its own mount namespace whose /etc/resolv.conf names the loopback resolver
    /// (c-ares reads nothing else), trusting the test CA through SSL_CERT_FILE (Python's default verify paths).</summary>
    private static async Task<ServerProcess> StartPeerAsync(Options options, BenchWorld world, string directory)
    {
        if (!File.Exists(PeerDaemon) || !File.Exists(Unshare))
        {
            throw new InvalidOperationException("The peer needs " + PeerDaemon + " and " + Unshare + ": apt-get install -y postfix-mta-sts-resolver util-linux");
        }

        var port = ServerProcess.FreePort();
        var config = Path.Combine(directory, "mta-sts-daemon.yml");
        // cache_grace: a cached policy younger than this is answered without re-checking the _mta-sts TXT id; set above
        // the run's length so that every measured answer is a cache answer, as ours are.
        await File.WriteAllTextAsync(config, string.Join('\n', new[]
        {
            "host: 127.0.0.1",
            "port: " + port.ToString(CultureInfo.InvariantCulture),
            "reuse_port: true",
            "shutdown_timeout: 5",
            "cache_grace: 3600",
            "cache:",
            "  type: internal",
            "  options:",
            "    cache_size: 10000",
            "default_zone:",
            "  strict_testing: false",
            "  timeout: 4",
            string.Empty,
        }));
        var resolvConf = Path.Combine(directory, "resolv.conf");
        await File.WriteAllTextAsync(resolvConf, "nameserver " + world.Resolver.Address + "\n");
        return await ServerProcess.StartAsync(
            Unshare,
            new[] { "--mount", "sh", "-c", "mount --bind \"$1\" /etc/resolv.conf && exec " + PeerDaemon + " -c \"$2\" -v warn", "sh", resolvConf, config },
            new Dictionary<string, string> { ["SSL_CERT_FILE"] = world.CaFile },
            new IPEndPoint(IPAddress.Loopback, port));
    }

    /// <summary>Asks every domain once (the cache is then warm) and prints the answers seen.</summary>
    private static async Task WarmAsync(string server, string map, ServerProcess process, IReadOnlyList<string> domains)
    {
        using var client = await SocketmapClient.ConnectAsync(process.Endpoint);
        var answers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var domain in domains)
        {
            var reply = await client.AskAsync(SocketmapClient.Encode(map + " " + domain));
            var shape = reply.Replace(domain, "DOMAIN", StringComparison.Ordinal);
            answers[shape] = answers.TryGetValue(shape, out var n) ? n + 1 : 1;
        }

        Console.WriteLine($"Warm-up {server} map {map}: " + string.Join("; ", answers.Select(a => a.Value + " x '" + a.Key + "'")) + $"; resident memory after it {ResidentKilobytes(process.Id) / 1024.0:0.0} MB");
        if (answers.Keys.Any(a => !a.StartsWith("OK ", StringComparison.Ordinal)))
        {
            Console.WriteLine("  (not every domain answered OK: the figures below are not all policy answers)\n" + process.Output);
        }
    }

    /// <summary>The resident set size of a process (VmRSS of /proc/PID/status), in kB; 0 when unknown.</summary>
    private static long ResidentKilobytes(int processId)
    {
        try
        {
            var line = File.ReadLines("/proc/" + processId.ToString(CultureInfo.InvariantCulture) + "/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Substring(6).Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Every storm connection asks the same not-yet-cached domain at once, one domain after another.</summary>
    private static async Task<StormResult> StormAsync(ServerProcess process, BenchWorld world, List<string> domains, int connections)
    {
        var clients = new List<SocketmapClient>();
        try
        {
            for (var i = 0; i < connections; i++)
            {
                clients.Add(await SocketmapClient.ConnectAsync(process.Endpoint));
            }

            var before = domains.ToDictionary(d => d, world.PolicyFetches);
            var latencies = new List<long>();
            var distinctAnswers = 0;
            var wall = Stopwatch.StartNew();
            foreach (var domain in domains)
            {
                var request = SocketmapClient.Encode("postfix " + domain);
                var asks = clients.Select(async c =>
                {
                    var start = Stopwatch.GetTimestamp();
                    var reply = await c.AskAsync(request);
                    return (Reply: reply, Ticks: Stopwatch.GetTimestamp() - start);
                }).ToArray();
                var results = await Task.WhenAll(asks).WaitAsync(TimeSpan.FromSeconds(60));
                latencies.AddRange(results.Select(r => r.Ticks));
                distinctAnswers = Math.Max(distinctAnswers, results.Select(r => r.Reply).Distinct().Count());
            }

            var seconds = wall.Elapsed.TotalSeconds;
            var fetches = domains.Select(d => world.PolicyFetches(d) - before[d]).ToList();
            return new StormResult(domains.Count, fetches.Min(), fetches.Max(), fetches.Sum(), distinctAnswers, LoadResult.From(connections, latencies.ToArray(), seconds));
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    private static void PrintLoadTable(string client, List<(string Server, string Map, LoadResult Result, double CpuPercent)> rows, Options options)
    {
        Console.WriteLine();
        Console.WriteLine($"{client}. Warm cache, {options.Domains} domains, persistent connections, one request outstanding per connection, {options.WarmUp.TotalSeconds:0} s warm-up then {options.Duration.TotalSeconds:0} s measured:");
        Console.WriteLine();
        Console.WriteLine("| Server | Map | Connections | Lookups/s | Mean (ms) | P50 (ms) | P99 (ms) | Max (ms) | Server CPU |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (server, map, r, cpu) in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {server} | {map} | {r.Connections} | {r.Throughput:N0} | {r.MeanMs:0.000} | {r.P50Ms:0.000} | {r.P99Ms:0.000} | {r.MaxMs:0.0} | {cpu:0}% |"));
        }

        var peerByConnections = rows.Where(r => r.Server == "mta-sts-daemon").ToDictionary(r => r.Result.Connections, r => r.Result.Throughput);
        if (peerByConnections.Count > 0)
        {
            Console.WriteLine();
            foreach (var (server, map, r, _) in rows.Where(r => r.Server is not "mta-sts-daemon" and not ConstantServer))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{server} map {map}, {r.Connections} connections: {r.Throughput / peerByConnections[r.Connections]:0.00}x the peer's lookups/s"));
            }
        }

        var ceilingByConnections = rows.Where(r => r.Server == ConstantServer).ToDictionary(r => r.Result.Connections, r => r.Result.Throughput);
        if (ceilingByConnections.Count > 0)
        {
            Console.WriteLine();
            foreach (var (server, map, r, _) in rows.Where(r => r.Server != ConstantServer))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{server} map {map}, {r.Connections} connections: {r.Throughput / ceilingByConnections[r.Connections] * 100:0}% of the constant-answer ceiling"));
            }
        }
    }

    private static void PrintStormTable(List<(string Server, StormResult Result)> storms, Options options)
    {
        Console.WriteLine();
        Console.WriteLine($"Miss storm: {options.StormConnections} connections ask the same not-yet-cached domain at once, {options.StormDomains} domains one after another (upstream = HTTPS policy fetches counted at the policy host):");
        Console.WriteLine();
        Console.WriteLine("| Server | Domains | Upstream fetches per domain (min-max) | Total fetches | Distinct answers per domain | P50 (ms) | P99 (ms) | Max (ms) | Wall (s) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (server, s) in storms)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {server} | {s.Domains} | {s.MinFetches}-{s.MaxFetches} | {s.TotalFetches} | {s.DistinctAnswers} | {s.Latency.P50Ms:0.0} | {s.Latency.P99Ms:0.0} | {s.Latency.MaxMs:0.0} | {s.Latency.Seconds:0.00} |"));
        }
    }

    private sealed record StormResult(int Domains, int MinFetches, int MaxFetches, int TotalFetches, int DistinctAnswers, LoadResult Latency);

    private sealed class Options
    {
        public string Cli { get; private set; } = string.Empty;

        public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(5);

        public TimeSpan WarmUp { get; private set; } = TimeSpan.FromSeconds(1);

        public int[] Connections { get; private set; } = { 1, 16, 64 };

        public int Domains { get; private set; } = 100;

        public int StormDomains { get; private set; } = 20;

        public int StormConnections { get; private set; } = 64;

        public IPAddress Resolver { get; private set; } = IPAddress.Parse("127.0.0.63");

        public IPAddress Https { get; private set; } = IPAddress.Parse("127.0.0.64");

        public bool NoPeer { get; private set; }

        public string? Constant { get; private set; }

        public string? CClient { get; private set; }

        public static Options Parse(string[] args)
        {
            var options = new Options();
            for (var i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException(args[i] + " needs a value");
                switch (args[i])
                {
                    case "--cli": options.Cli = Value(); break;
                    case "--seconds": options.Duration = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture)); break;
                    case "--warmup": options.WarmUp = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture)); break;
                    case "--connections": options.Connections = Value().Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray(); break;
                    case "--domains": options.Domains = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                    case "--storm-domains": options.StormDomains = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                    case "--storm-connections": options.StormConnections = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                    case "--resolver": options.Resolver = IPAddress.Parse(Value()); break;
                    case "--https": options.Https = IPAddress.Parse(Value()); break;
                    case "--no-peer": options.NoPeer = true; break;
                    case "--constant": options.Constant = Value(); break;
                    case "--c-client": options.CClient = Value(); break;
                    default: throw new ArgumentException("Unknown option " + args[i]);
                }
            }

            if (!File.Exists(options.Cli))
            {
                throw new ArgumentException("--cli must name the built linksecure.dll (dotnet build src/LinkSecure.Cli -c Release)");
            }

            return options;
        }
    }
}
