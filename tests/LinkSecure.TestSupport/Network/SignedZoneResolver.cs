using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using DnsClient;

namespace LinkSecure.TestSupport.Network;

/// <summary>
/// One zone signed with bind9-utils' dnssec-signzone (a ZSK and a KSK, ECDSA P-256), served by NSD on 127.0.0.1 and a
/// free port, and Debian's unbound on a given loopback address validating it with the zone's DS (the KSK's digest) as
/// its only trust anchor. Everything lives in a temporary folder; <see cref="DisposeAsync"/> kills both servers and
/// removes it.
/// </summary>
public sealed class SignedZoneResolver : IAsyncDisposable
{
    /// <summary>The Debian packages that provide the tools.</summary>
    public const string AptPackages = "unbound nsd bind9-utils";

    private readonly List<Process> processes = new();

    private SignedZoneResolver(string zone, IPEndPoint endpoint)
    {
        Zone = zone;
        Endpoint = endpoint;
    }

    /// <summary>Gets the zone's name, without the trailing dot.</summary>
    public string Zone { get; }

    /// <summary>Gets the address unbound listens on (UDP and TCP).</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>Gets the temporary folder.</summary>
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "linksecure-unbound-" + Guid.NewGuid().ToString("N"));

    /// <summary>Gets unbound's and NSD's logs.</summary>
    public string Log => ReadIfExists("unbound.log") + ReadIfExists("nsd.log");

    /// <summary>Signs and serves the zone and starts the validating resolver; returns once it answers for the zone.</summary>
    /// <param name="zone">The zone's name, e.g. <c>dnssec.example</c>.</param>
    /// <param name="records">The zone file's records after <c>$ORIGIN</c> and <c>$TTL</c>; SOA, NS and <c>ns</c>'s A record
    /// are added here.</param>
    /// <param name="unboundAddress">Where unbound listens; port 0 picks a free port on 127.0.0.1.</param>
    /// <param name="alterSigned">Changes the signed zone file before it is served (to make RRsets bogus), or null.</param>
    /// <exception cref="InvalidOperationException">A tool is missing (the message names the apt packages) or failed.</exception>
    public static async Task<SignedZoneResolver> StartAsync(string zone, IEnumerable<string> records, IPEndPoint unboundAddress, Func<string, string>? alterSigned = null)
    {
        var tools = new[] { "unbound", "nsd", "dnssec-keygen", "dnssec-signzone" }.ToDictionary(t => t, Find);
        var missing = tools.Where(t => t.Value is null).Select(t => t.Key).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"The DNSSEC test needs {string.Join(", ", missing)}, which are missing. Install the Debian packages: apt-get install -y {AptPackages}");
        }

        var endpoint = unboundAddress.Port == 0 ? new IPEndPoint(IPAddress.Loopback, FreePort()) : unboundAddress;
        var resolver = new SignedZoneResolver(zone, endpoint);
        try
        {
            await resolver.StartAsync(tools!, records, alterSigned ?? (s => s));
        }
        catch
        {
            await resolver.DisposeAsync();
            throw;
        }

        return resolver;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        foreach (var process in processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
            }

            process.Dispose();
        }

        processes.Clear();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }

    private static string? Find(string tool)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(':').Concat(new[] { "/usr/sbin", "/usr/bin", "/sbin" }).Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
    }

    private static int FreePort()
    {
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)udp.Client.LocalEndPoint!).Port;
        using var tcp = new TcpListener(IPAddress.Loopback, port);
        tcp.Start();
        tcp.Stop();
        return port;
    }

    private async Task StartAsync(Dictionary<string, string> tools, IEnumerable<string> records, Func<string, string> alterSigned)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var header = new[]
        {
            "$ORIGIN " + Zone + ".",
            "$TTL 300",
            "@ IN SOA ns." + Zone + ". hostmaster." + Zone + ". 1 3600 600 86400 60",
            "@ IN NS ns",
            "ns IN A 127.0.0.1",
        };
        File.WriteAllText(Path.Combine(Directory, "zone.db"), string.Join("\n", header.Concat(records).Append(string.Empty)));
        await RunAsync(tools["dnssec-keygen"], "-q -a ECDSAP256SHA256 -K . " + Zone);
        await RunAsync(tools["dnssec-keygen"], "-q -a ECDSAP256SHA256 -f KSK -K . " + Zone);
        await RunAsync(tools["dnssec-signzone"], "-S -K . -o " + Zone + " -f zone.signed zone.db");
        File.WriteAllText(Path.Combine(Directory, "zone.served"), alterSigned(File.ReadAllText(Path.Combine(Directory, "zone.signed"))));

        var nsdPort = FreePort();
        File.WriteAllText(Path.Combine(Directory, "nsd.conf"), $"""
            server:
              ip-address: 127.0.0.1@{nsdPort}
              port: {nsdPort}
              zonesdir: "{Directory}"
              pidfile: "{Directory}/nsd.pid"
              database: ""
              zonelistfile: "{Directory}/zone.list"
              xfrdfile: "{Directory}/xfrd.state"
              xfrdir: "{Directory}"
              username: ""
              chroot: ""
              logfile: "{Directory}/nsd.log"
              server-count: 1
              do-ip6: no
            remote-control:
              control-enable: no
            zone:
              name: "{Zone}"
              zonefile: "zone.served"
            """);
        File.WriteAllText(Path.Combine(Directory, "unbound.conf"), $"""
            server:
              interface: {Endpoint.Address}
              port: {Endpoint.Port}
              do-daemonize: no
              username: ""
              chroot: ""
              directory: "{Directory}"
              pidfile: "{Directory}/unbound.pid"
              use-syslog: no
              logfile: "{Directory}/unbound.log"
              verbosity: 1
              val-log-level: 2
              do-ip6: no
              num-threads: 1
              so-reuseport: no
              do-not-query-localhost: no
              access-control: 127.0.0.0/8 allow
              module-config: "validator iterator"
              trust-anchor-file: "{Directory}/dsset-{Zone}."
              local-zone: "." refuse
              local-zone: "{Zone}." transparent
            stub-zone:
              name: "{Zone}"
              stub-addr: 127.0.0.1@{nsdPort}
            remote-control:
              control-enable: no
            """);
        Start(tools["nsd"], "-d -c nsd.conf");
        Start(tools["unbound"], "-d -c unbound.conf");
        await WaitUntilAnsweringAsync();
    }

    private string ReadIfExists(string file)
    {
        var path = Path.Combine(Directory, file);
        return File.Exists(path) ? File.ReadAllText(path) : string.Empty;
    }

    private async Task RunAsync(string tool, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(tool, arguments) { WorkingDirectory = Directory, RedirectStandardError = true, RedirectStandardOutput = true })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {arguments} failed ({process.ExitCode}): {error}");
        }
    }

    private void Start(string tool, string arguments)
    {
        var process = Process.Start(new ProcessStartInfo(tool, arguments) { WorkingDirectory = Directory, RedirectStandardError = true, RedirectStandardOutput = true })!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        processes.Add(process);
    }

    private async Task WaitUntilAnsweringAsync()
    {
        var client = new LookupClient(new LookupClientOptions(Endpoint) { UseCache = false, Timeout = TimeSpan.FromMilliseconds(500), Retries = 0, ThrowDnsErrors = false });
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (processes.Any(p => p.HasExited))
            {
                throw new InvalidOperationException("nsd or unbound exited at start-up: " + Log);
            }

            try
            {
                var response = await client.QueryAsync("ns." + Zone, QueryType.A);
                if (!response.HasError && response.Answers.Count > 0)
                {
                    return;
                }
            }
            catch (DnsResponseException)
            {
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException("unbound did not answer for " + Zone + " within 20 s: " + Log);
    }
}
