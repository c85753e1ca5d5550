using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using DnsClient;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Network;
using LinkSecure.Core.Profiles;
using LinkSecure.TestSupport.Network;

namespace LinkSecure.Benchmarks;

/// <summary>
/// Cold resolution of one domain with 50 ms injected per DNS query and per HTTPS exchange, against the critical path
/// measured in the same run with the same servers (MX then TLSA, in parallel with the _mta-sts TXT then the policy
/// fetch). The domain has an MX, a DNSSEC-validated usable TLSA, an MTA-STS policy and a declared record.
/// </summary>
[MemoryDiagnoser]
public class ColdResolutionBenchmarks
{
    private const string Domain = "bench.test";
    private TestDnsServer dns = null!;
    private TestCertificateAuthority ca = null!;
    private TestPolicyServer https = null!;
    private string directory = null!;
    private NetworkProfileSource source = null!;
    private DnsLookup validating = null!;
    private DnsLookup plain = null!;
    private PolicyFetcher fetcher = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        directory = Path.Combine(Path.GetTempPath(), "linksecure-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        dns = new TestDnsServer();
        ca = new TestCertificateAuthority();
        https = await TestPolicyServer.StartAsync(ca);
        dns.AddMx(Domain, 10, "mx1." + Domain);
        dns.AddA("mx1." + Domain);
        dns.AddTlsa("_25._tcp.mx1." + Domain, 3, 1, 1, Enumerable.Repeat((byte)7, 32).ToArray());
        dns.MarkSecure(Domain);
        dns.AddTxt("_mta-sts." + Domain, "v=STSv1; id=bench1;");
        dns.AddA("mta-sts." + Domain);
        dns.AddTxt("_linksecure." + Domain, "v=LS1; level=1; max-age=86400");
        https.Serve("mta-sts." + Domain, PolicyResponse.Policy("enforce", 86400, "*." + Domain));
        var json = $"{{ \"resolver\": {{ \"dnsServers\": [\"{dns.Address}\"], \"validatingDnsServers\": [\"{dns.Address}\"], \"caFiles\": [{System.Text.Json.JsonSerializer.Serialize(ca.WritePem(directory))}], \"httpsPort\": {https.Port}, \"timeoutMilliseconds\": 2000 }} }}";
        var settings = LinkSecureSettings.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        source = NetworkProfileSource.Create(settings);
        var servers = new[] { IPEndPoint.Parse(dns.Address) };
        validating = new DnsLookup(servers, settings.Resolver, validating: true);
        plain = new DnsLookup(servers, settings.Resolver, validating: false);
        fetcher = new PolicyFetcher(https.Port, TimeSpan.FromSeconds(5), PolicyFetcher.LoadTrustAnchors(new[] { Path.Combine(directory, "test-ca.pem") }));

        var check = await ColdResolution();
        if (!check.Tls.DaneRequired || !check.TransportEnforced)
        {
            throw new InvalidOperationException("benchmark domain did not resolve as expected: " + check.DescribeEvidence() + " " + check.FailureReason);
        }

        dns.Delay = TimeSpan.FromMilliseconds(50);
        https.Delay = TimeSpan.FromMilliseconds(50);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        source.Dispose();
        await https.DisposeAsync();
        dns.Dispose();
        ca.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>The critical path alone: MX → TLSA in parallel with TXT → HTTPS policy fetch.</summary>
    [Benchmark(Baseline = true)]
    public async Task<bool> CriticalPath()
    {
        var daneChain = Task.Run(async () =>
        {
            await validating.QueryAsync(Domain, QueryType.MX, CancellationToken.None);
            return await validating.QueryAsync("_25._tcp.mx1." + Domain, QueryType.TLSA, CancellationToken.None);
        });
        var stsChain = Task.Run(async () =>
        {
            await plain.QueryAsync("_mta-sts." + Domain, QueryType.TXT, CancellationToken.None);
            return await fetcher.FetchAsync("mta-sts." + Domain, new[] { IPAddress.Loopback }, CancellationToken.None);
        });
        var tlsa = await daneChain;
        var fetched = await stsChain;
        return tlsa.Outcome == DnsOutcome.Records && fetched.Kind == PolicyFetchKind.Ok;
    }

    /// <summary>The whole cold lookup: MX, _mta-sts, _linksecure, policy host address, TLSA and address per MX, policy fetch.</summary>
    [Benchmark]
    public async Task<DomainProfile> ColdResolution()
    {
        source.Invalidate(Domain);
        return await source.GetProfileAsync(Domain);
    }
}

/// <summary>Warm lookups: a cached profile, through the no-I/O fast path and through the async API.</summary>
[MemoryDiagnoser]
public class WarmLookupBenchmarks
{
    private const string Domain = "warm.test";
    private TestDnsServer dns = null!;
    private NetworkProfileSource source = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        dns = new TestDnsServer();
        dns.AddMx(Domain, 10, "mx1." + Domain);
        dns.AddTxt("_linksecure." + Domain, "v=LS1; level=2; max-age=86400");
        var json = $"{{ \"resolver\": {{ \"dnsServers\": [\"{dns.Address}\"], \"minTtlSeconds\": 3600 }} }}";
        source = NetworkProfileSource.Create(LinkSecureSettings.Load(new MemoryStream(Encoding.UTF8.GetBytes(json))));
        await source.GetProfileAsync(Domain);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        source.Dispose();
        dns.Dispose();
    }

    [Benchmark(Baseline = true)]
    public bool TryGetCached() => source.TryGetCached(Domain, out _);

    [Benchmark]
    public DomainProfile GetProfileAsyncWarm()
    {
        var pending = source.GetProfileAsync(Domain);
        return pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
    }
}
