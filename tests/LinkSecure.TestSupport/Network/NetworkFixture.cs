using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Network;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace LinkSecure.TestSupport.Network;

/// <summary>One test DNS server, one test CA and one Kestrel policy server, shared by the network tests; every test
/// uses its own domain names, so tests do not see each other's records.</summary>
public sealed class NetworkFixture : IAsyncLifetime
{
    private int counter;

    public TestDnsServer Dns { get; private set; } = null!;

    public TestCertificateAuthority Ca { get; private set; } = null!;

    public TestPolicyServer Https { get; private set; } = null!;

    public string Directory { get; private set; } = null!;

    public string CaFile { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Directory = Path.Combine(Path.GetTempPath(), "linksecure-tests-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Dns = new TestDnsServer();
        Ca = new TestCertificateAuthority();
        CaFile = Ca.WritePem(Directory);
        Https = await TestPolicyServer.StartAsync(Ca);

        // Warm up (JIT of the servers, DnsClient, TLS) so the first test's short timeouts measure the protocol, not start-up.
        var warm = NewDomain("warmup");
        PublishMx(warm, "mx1." + warm);
        PublishMtaSts(warm, "w1", PolicyResponse.Policy("enforce", 60, "*." + warm));
        using var source = CreateSource(validating: true);
        await source.GetProfileAsync(warm);
    }

    public async Task DisposeAsync()
    {
        await Https.DisposeAsync();
        Dns.Dispose();
        Ca.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A fresh domain under the test zone.</summary>
    public string NewDomain(string label) => $"{label}-{Interlocked.Increment(ref counter)}.test";

    /// <summary>Settings pointing every lookup at the loopback servers.</summary>
    /// <param name="validating">Whether the test DNS server is also the validating resolver (its AD bit is believed).</param>
    /// <param name="extra">More <c>resolver</c> properties as JSON, e.g. <c>"budgetMilliseconds": 500</c>.</param>
    /// <param name="trustCa">Whether the test CA is in <c>caFiles</c>.</param>
    public LinkSecureSettings Settings(bool validating = false, string extra = "", bool trustCa = true)
    {
        var json = new StringBuilder();
        json.Append("{ \"resolver\": { ");
        json.Append("\"dnsServers\": [\"").Append(Dns.Address).Append("\"], ");
        if (validating)
        {
            json.Append("\"validatingDnsServers\": [\"").Append(Dns.Address).Append("\"], ");
        }

        if (trustCa)
        {
            json.Append("\"caFiles\": [").Append(System.Text.Json.JsonSerializer.Serialize(CaFile)).Append("], ");
        }

        json.Append("\"httpsPort\": ").Append(Https.Port).Append(", ");
        if (!extra.Contains("timeoutMilliseconds\"", StringComparison.Ordinal))
        {
            json.Append("\"timeoutMilliseconds\": 1500, ");
        }

        if (!extra.Contains("\"retries\"", StringComparison.Ordinal))
        {
            json.Append("\"retries\": 1, ");
        }

        if (!extra.Contains("httpsTimeoutMilliseconds", StringComparison.Ordinal))
        {
            json.Append("\"httpsTimeoutMilliseconds\": 5000, ");
        }

        json.Append("\"cacheSize\": 1000");
        if (extra.Length > 0)
        {
            json.Append(", ").Append(extra);
        }

        json.Append(" } }");
        return LinkSecureSettings.Load(new MemoryStream(Encoding.UTF8.GetBytes(json.ToString())), "test configuration");
    }

    public NetworkProfileSource CreateSource(TimeProvider? time = null, bool validating = false, string extra = "", bool trustCa = true) =>
        NetworkProfileSource.Create(Settings(validating, extra, trustCa), time ?? new FakeTimeProvider(DateTimeOffset.UtcNow));

    public void PublishMx(string domain, params string[] hosts)
    {
        for (var i = 0; i < hosts.Length; i++)
        {
            Dns.AddMx(domain, (ushort)(10 * (i + 1)), hosts[i]);
            Dns.AddA(hosts[i]);
        }
    }

    /// <summary>Publishes <c>_mta-sts</c> with an id, the policy host's address and the policy.</summary>
    public void PublishMtaSts(string domain, string id, PolicyResponse response)
    {
        Dns.Clear("_mta-sts." + domain);
        Dns.AddTxt("_mta-sts." + domain, "v=STSv1; id=" + id + ";");
        Dns.Clear("mta-sts." + domain);
        Dns.AddA("mta-sts." + domain);
        Https.Serve("mta-sts." + domain, response);
    }
}
