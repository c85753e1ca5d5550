using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using LinkSecure.TestSupport.Network;

namespace LinkSecure.Benchmarks.Socketmap;

/// <summary>
/// The benchmark's loopback Internet: a signed zone with MTA-STS domains (MX, <c>_mta-sts</c> TXT per RFC 8461 §3.1,
/// <c>mta-sts.DOMAIN</c> A) served by NSD and validated by unbound, and the HTTPS policy host on port 443 of one loopback
/// address with test-CA certificates (RFC 8461 §3.2), so that a client that can be told neither another DNS port nor
/// another HTTPS port (postfix-mta-sts-resolver) still fetches real policies.
/// </summary>
public sealed class BenchWorld : IAsyncDisposable
{
    /// <summary>The signed zone every benchmark domain lives in.</summary>
    public const string Zone = "bench.example";

    private readonly SignedZoneResolver resolver;
    private readonly TestPolicyServer https;

    private BenchWorld(TestCertificateAuthority ca, SignedZoneResolver resolver, TestPolicyServer https, string caFile, IReadOnlyList<string> warm, IReadOnlyList<string> storm)
    {
        Ca = ca;
        this.resolver = resolver;
        this.https = https;
        CaFile = caFile;
        WarmDomains = warm;
        StormDomains = storm;
    }

    /// <summary>Gets the test CA that issued the policy hosts' certificates.</summary>
    public TestCertificateAuthority Ca { get; }

    /// <summary>Gets the CA's PEM file (the servers' trust anchor).</summary>
    public string CaFile { get; }

    /// <summary>Gets the validating resolver's address.</summary>
    public IPEndPoint Resolver => resolver.Endpoint;

    /// <summary>Gets the domains of the warm-cache runs.</summary>
    public IReadOnlyList<string> WarmDomains { get; }

    /// <summary>Gets the domains of the miss storms, never asked before a storm.</summary>
    public IReadOnlyList<string> StormDomains { get; }

    /// <summary>Signs and serves the zone and starts the policy host.</summary>
    /// <param name="resolverEndpoint">Where unbound listens (port 53: c-ares reads only /etc/resolv.conf).</param>
    /// <param name="httpsAddress">The loopback address of the policy hosts (port 443).</param>
    /// <param name="warmCount">How many warm-cache domains.</param>
    /// <param name="stormCount">How many miss-storm domains.</param>
    /// <param name="directory">Where the CA's PEM file is written.</param>
    public static async Task<BenchWorld> StartAsync(IPEndPoint resolverEndpoint, IPAddress httpsAddress, int warmCount, int stormCount, string directory)
    {
        var warm = Enumerable.Range(0, warmCount).Select(i => "w" + i + "." + Zone).ToList();
        var storm = Enumerable.Range(0, stormCount).Select(i => "s" + i + "." + Zone).ToList();
        var records = new List<string>();
        foreach (var domain in warm.Concat(storm))
        {
            var label = domain.Substring(0, domain.Length - Zone.Length - 1);
            records.Add(label + " IN MX 10 mx." + label);
            records.Add("mx." + label + " IN A 127.0.0.1");
            records.Add("_mta-sts." + label + " IN TXT \"v=STSv1; id=20261202\"");
            records.Add("mta-sts." + label + " IN A " + httpsAddress);
        }

        var ca = new TestCertificateAuthority("LinkSecure Bench CA");
        SignedZoneResolver? resolver = null;
        try
        {
            resolver = await SignedZoneResolver.StartAsync(Zone, records, resolverEndpoint);
            var https = await TestPolicyServer.StartAsync(ca, new IPEndPoint(httpsAddress, 443));
            foreach (var domain in warm.Concat(storm))
            {
                https.Serve("mta-sts." + domain, PolicyResponse.Policy("enforce", 86_400, "mx." + domain));
            }

            return new BenchWorld(ca, resolver, https, ca.WritePem(directory), warm, storm);
        }
        catch
        {
            if (resolver is not null)
            {
                await resolver.DisposeAsync();
            }

            ca.Dispose();
            throw;
        }
    }

    /// <summary>Gets how many times the policy of a domain was fetched over HTTPS so far (the upstream lookups).</summary>
    /// <param name="domain">The policy domain.</param>
    public int PolicyFetches(string domain) => https.RequestCount("mta-sts." + domain);

    /// <summary>Gets the resolver's logs, for a failure message.</summary>
    public string Log => resolver.Log;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await https.DisposeAsync();
        await resolver.DisposeAsync();
        Ca.Dispose();
    }
}
