using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Database;
using LinkSecure.Core.Probing;
using LinkSecure.TestSupport.Network;
using LinkSecure.TestSupport.Probing;

namespace LinkSecure.Benchmarks;

/// <summary>
/// Bulk <c>check</c>: N domains against the loopback DNS server with 50 ms injected per query, each with its own MX
/// host at 127.0.0.1, probed over STARTTLS at a local SMTP server, observations written to a real learned store.
/// <c>CriticalPath</c> checks one domain alone (the per-domain critical path: MX and _mta-sts in parallel, then the
/// host's A/AAAA, the probe, staging the observation in the store, then the profile lookup; the file itself is written
/// in coalesced background batches, and Bulk includes the final flush); the target is Bulk ≤ 1.2 × N / 50 ×
/// CriticalPath. The peak managed heap during each bulk run is printed at the end, to show it does not grow with N.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
[MemoryDiagnoser]
public class BulkCheckBenchmarks
{
    public const int Concurrency = 50;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, long> PeakHeap = new();
    private TestDnsServer dns = null!;
    private TestCertificateAuthority ca = null!;
    private TestSmtpServer smtp = null!;
    private string directory = null!;
    private DomainChecker checker = null!;
    private int round;

    [Params(250, 1000)]
    public int Domains { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        directory = Path.Combine(Path.GetTempPath(), "linksecure-bulk-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        dns = new TestDnsServer();
        ca = new TestCertificateAuthority();
        smtp = TestSmtpServer.Start(new SmtpBehaviour { Certificate = ca.Issue("*.bulk.test") });
        for (var i = 0; i < Domains; i++)
        {
            dns.AddMx(Name(i), 10, Mx(i));
            dns.AddA(Mx(i));
        }

        var json = $"{{ \"resolver\": {{ \"dnsServers\": [\"{dns.Address}\"], \"caFiles\": [{System.Text.Json.JsonSerializer.Serialize(ca.WritePem(directory))}], \"timeoutMilliseconds\": 2000, \"learnedStorePath\": {System.Text.Json.JsonSerializer.Serialize(Path.Combine(directory, "learned.json"))} }} }}";
        var settings = LinkSecureSettings.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        checker = DomainChecker.Create(settings, KnownDomainDatabase.Empty, new DomainCheckOptions { Probe = new SmtpProbeOptions { Port = smtp.Port, Budget = TimeSpan.FromSeconds(10) } });
        var warm = await checker.CheckAsync(Name(0));
        if (warm.Hosts.Single().Probes.Single().Outcome != SmtpProbeOutcome.TlsAuthenticated || warm.Learned.Count != 1)
        {
            throw new InvalidOperationException("benchmark domain did not check as expected: " + warm.Hosts.Single().Probes.Single().Summarize());
        }

        dns.Delay = TimeSpan.FromMilliseconds(50);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// Peak managed heap during Bulk, {Domains} domains: {(PeakHeap.TryGetValue(Domains, out var p) ? p : 0) / (1024 * 1024.0):0.0} MiB; learned-store writes so far: {checker.LearnedStoreWrites}");
        checker.Dispose();
        smtp.Dispose();
        dns.Dispose();
        ca.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>One domain alone: the per-domain critical path.</summary>
    [Benchmark(Baseline = true)]
    public Task<DomainCheckResult> CriticalPath() => checker.CheckAsync(Name(Interlocked.Increment(ref round) % Domains));

    /// <summary>All domains, <see cref="Concurrency"/> at a time, results dropped as they complete (as the CLI streams them).</summary>
    [Benchmark]
    public async Task<int> Bulk()
    {
        using var slots = new SemaphoreSlim(Concurrency);
        using var sampler = new CancellationTokenSource();
        var peak = GC.GetTotalMemory(false);
        var sampling = Task.Run(async () =>
        {
            while (!sampler.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false));
                await Task.Delay(20);
            }
        });
        var secure = 0;
        var tasks = Enumerable.Range(0, Domains).Select(async i =>
        {
            await slots.WaitAsync();
            try
            {
                var result = await checker.CheckAsync(Name(i));
                if (result.Hosts.Single().Probes.Single().Outcome == SmtpProbeOutcome.TlsAuthenticated)
                {
                    Interlocked.Increment(ref secure);
                }
            }
            finally
            {
                slots.Release();
            }
        }).ToList();
        await Task.WhenAll(tasks);

        // The CLI writes what is still staged for the learned store before its summary; so does the benchmark.
        if (await checker.FlushLearnedStoreAsync() is { } storeError)
        {
            throw new InvalidOperationException(storeError);
        }

        sampler.Cancel();
        await sampling;
        PeakHeap.AddOrUpdate(Domains, peak, (_, old) => Math.Max(old, peak));
        if (secure != Domains)
        {
            throw new InvalidOperationException($"only {secure} of {Domains} domains were probed successfully");
        }

        return secure;
    }

    private static string Name(int i) => "d" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".test";

    private static string Mx(int i) => "mx-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".bulk.test";
}
