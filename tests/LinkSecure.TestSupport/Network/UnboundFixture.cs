using System.Net;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Xunit;

namespace LinkSecure.TestSupport.Network;

/// <summary>
/// A real validating resolver (<see cref="SignedZoneResolver"/>): the zone <c>dnssec.example</c> served by NSD and
/// validated by unbound on 127.0.0.1 and a free port. One TLSA RRset (<c>_25._tcp.mx2</c>) is altered after signing, so
/// it is bogus. Both servers are started here and stopped on dispose.
/// </summary>
public sealed class UnboundFixture : IAsyncLifetime
{
    /// <summary>The Debian packages that provide the tools; .ci/run installs them.</summary>
    public const string AptPackages = SignedZoneResolver.AptPackages;

    public const string Zone = "dnssec.example";

    private SignedZoneResolver? resolver;

    public string Directory => Resolver.Directory;

    public int UnboundPort => Resolver.Endpoint.Port;

    public string Address => "127.0.0.1:" + UnboundPort;

    public string Log => Resolver.Log;

    private SignedZoneResolver Resolver => resolver ?? throw new System.InvalidOperationException("The fixture has not started.");

    public async Task InitializeAsync()
    {
        var records = new[]
        {
            "mx1 IN A 127.0.0.1",
            "mx2 IN A 127.0.0.1",
            "good IN MX 10 mx1",
            "bad IN MX 10 mx2",
            "_25._tcp.mx1 IN TLSA 3 1 1 " + new string('A', 64),
            "_25._tcp.mx2 IN TLSA 3 1 1 " + new string('B', 64),
        };

        // Alter mx2's TLSA data after signing: its RRSIG no longer verifies, so the RRset is bogus.
        resolver = await SignedZoneResolver.StartAsync(Zone, records, new IPEndPoint(IPAddress.Loopback, 0), signed => Regex.Replace(signed, "B{16,}", m => new string('C', m.Length)));
    }

    public async Task DisposeAsync()
    {
        if (resolver is not null)
        {
            await resolver.DisposeAsync();
        }
    }
}
