using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using DnsClient;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Network;
using Xunit;

namespace LinkSecure.TestSupport.Network;

/// <summary>
/// A real validating resolver: the zone <c>dnssec.example</c> signed with bind9-utils' dnssec-signzone, served by NSD
/// on 127.0.0.1, and Debian's unbound on 127.0.0.1 validating it with the zone's DS as trust anchor. One TLSA RRset
/// (<c>_25._tcp.mx2</c>) is altered after signing, so it is bogus. Both servers are started here and stopped on
/// dispose; everything lives in a temporary folder.
/// </summary>
public sealed class UnboundFixture : IAsyncLifetime
{
    /// <summary>The Debian packages that provide the tools; .ci/run installs them.</summary>
    public const string AptPackages = "unbound nsd bind9-utils";

    public const string Zone = "dnssec.example";

    private readonly List<Process> processes = new();

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "linksecure-unbound-" + Guid.NewGuid().ToString("N"));

    public int UnboundPort { get; private set; }

    public string Address => "127.0.0.1:" + UnboundPort;

    public string Log => ReadIfExists("unbound.log") + ReadIfExists("nsd.log");

    public async Task InitializeAsync()
    {
        var tools = new[] { "unbound", "nsd", "dnssec-keygen", "dnssec-signzone" }.ToDictionary(t => t, Find);
        var missing = tools.Where(t => t.Value is null).Select(t => t.Key).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"The DNSSEC test needs {string.Join(", ", missing)}, which are missing. Install the Debian packages: apt-get install -y {AptPackages}");
        }

        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllText(Path.Combine(Directory, "zone.db"), string.Join("\n", new[]
        {
            "$ORIGIN dnssec.example.",
            "$TTL 300",
            "@ IN SOA ns.dnssec.example. hostmaster.dnssec.example. 1 3600 600 86400 60",
            "@ IN NS ns",
            "ns IN A 127.0.0.1",
            "mx1 IN A 127.0.0.1",
            "mx2 IN A 127.0.0.1",
            "good IN MX 10 mx1",
            "bad IN MX 10 mx2",
            "_25._tcp.mx1 IN TLSA 3 1 1 " + new string('A', 64),
            "_25._tcp.mx2 IN TLSA 3 1 1 " + new string('B', 64),
            string.Empty,
        }));
        await RunAsync(tools["dnssec-keygen"]!, "-q -a ECDSAP256SHA256 -K . " + Zone);
        await RunAsync(tools["dnssec-keygen"]!, "-q -a ECDSAP256SHA256 -f KSK -K . " + Zone);
        await RunAsync(tools["dnssec-signzone"]!, "-S -K . -o " + Zone + " -f zone.signed zone.db");

        // Alter mx2's TLSA data after signing: its RRSIG no longer verifies, so the RRset is bogus.
        var signed = File.ReadAllText(Path.Combine(Directory, "zone.signed"));
        File.WriteAllText(Path.Combine(Directory, "zone.served"), Regex.Replace(signed, "B{16,}", m => new string('C', m.Length)));

        var nsdPort = FreePort();
        UnboundPort = FreePort();
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
              interface: 127.0.0.1
              port: {UnboundPort}
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
        Start(tools["nsd"]!, "-d -c nsd.conf");
        Start(tools["unbound"]!, "-d -c unbound.conf");
        await WaitUntilAnsweringAsync();
    }

    public Task DisposeAsync()
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

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }

        return Task.CompletedTask;
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
        var client = new LookupClient(new LookupClientOptions(new IPEndPoint(IPAddress.Loopback, UnboundPort)) { UseCache = false, Timeout = TimeSpan.FromMilliseconds(500), Retries = 0, ThrowDnsErrors = false });
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
