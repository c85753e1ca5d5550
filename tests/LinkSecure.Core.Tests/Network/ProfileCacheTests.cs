using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Profiles;
using LinkSecure.TestSupport.Network;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace LinkSecure.Core.Tests.Network;

/// <summary>The cache in front of the network lookups: TTLs, negative caching, stale-if-error, size bound,
/// single-flight, the time budget and cancellation.</summary>
[Collection(NetworkCollection.Name)]
public class ProfileCacheTests
{
    private const ushort Mx = 15;
    private readonly NetworkFixture fixture;

    public ProfileCacheTests(NetworkFixture fixture)
    {
        this.fixture = fixture;
    }

    [Fact]
    public async Task TryGetCached_MissesBeforeAndHitsAfterALookup()
    {
        // Arrange
        var domain = fixture.NewDomain("cached");
        fixture.PublishMx(domain, "mx1." + domain);
        using var source = fixture.CreateSource();

        // Act
        var before = source.TryGetCached(domain, out _);
        var looked = await source.GetProfileAsync(domain);
        var after = source.TryGetCached(domain, out var cached);

        // Assert
        Assert.False(before);
        Assert.True(after);
        Assert.Same(looked, cached);
        Assert.NotNull(cached!.Expires);
    }

    [Fact]
    public async Task ProfileExpiresWithTheSmallestDnsTtl_BoundedBelow()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = fixture.NewDomain("ttl");
        fixture.Dns.AddMx(domain, 10, "mx1." + domain, ttl: 120);
        using var source = fixture.CreateSource(time, extra: "\"minTtlSeconds\": 30");
        var profile = await source.GetProfileAsync(domain);

        // Act
        time.Advance(TimeSpan.FromSeconds(59));
        var stillCached = source.TryGetCached(domain, out _);
        time.Advance(TimeSpan.FromSeconds(2));
        var expired = !source.TryGetCached(domain, out _);

        // Assert: negative answers (no _mta-sts, no _linksecure) carry the SOA minimum of 60 s.
        Assert.Equal(time.GetUtcNow().AddSeconds(-61).AddSeconds(60), profile.Expires);
        Assert.True(stillCached);
        Assert.True(expired);
    }

    [Fact]
    public async Task TemporaryFailure_IsCachedForTheNegativeTtl()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = fixture.NewDomain("negcache");
        fixture.Dns.SetFault(domain, DnsFault.ServFail, Mx);
        using var source = fixture.CreateSource(time, extra: "\"negativeTtlSeconds\": 120");
        await source.GetProfileAsync(domain);

        // Act
        var again = await source.GetProfileAsync(domain);
        time.Advance(TimeSpan.FromSeconds(121));
        await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.TemporaryFailure, again.Status);
        Assert.Equal(2, source.LookupCount);
    }

    [Fact]
    public async Task StaleIfError_ServesTheLastVerdictWithinTheBound_ThenGivesUp()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = fixture.NewDomain("stale");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.Dns.AddTxt("_linksecure." + domain, "v=LS1; level=1; max-age=60");
        using var source = fixture.CreateSource(time, extra: "\"minTtlSeconds\": 60, \"maxTtlSeconds\": 60, \"staleIfErrorSeconds\": 600, \"negativeTtlSeconds\": 60");
        await source.GetProfileAsync(domain);
        fixture.Dns.SetFault(domain, DnsFault.ServFail, Mx);

        // Act
        time.Advance(TimeSpan.FromSeconds(61));
        var stale = await source.GetProfileAsync(domain);
        time.Advance(TimeSpan.FromSeconds(600));
        var givenUp = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.Ok, stale.Status);
        Assert.Contains("stale: this profile expired", stale.DescribeEvidence());
        Assert.Contains("returned SERVFAIL", stale.DescribeEvidence());
        Assert.Equal(ProfileStatus.TemporaryFailure, givenUp.Status);
    }

    [Fact]
    public async Task StaleIfError_DoesNotApplyToDnssecFailures()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = fixture.NewDomain("stalednssec");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.Dns.MarkSecure(domain);
        using var source = fixture.CreateSource(time, validating: true, extra: "\"maxTtlSeconds\": 60, \"staleIfErrorSeconds\": 600");
        await source.GetProfileAsync(domain);
        fixture.Dns.SetFault("_25._tcp.mx1." + domain, DnsFault.ServFail);

        // Act
        time.Advance(TimeSpan.FromSeconds(61));
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.TemporaryFailure, profile.Status);
        Assert.Equal(TemporaryFailureKind.Dnssec, profile.FailureKind);
    }

    [Fact]
    public async Task ConcurrentRequests_ShareOneLookup()
    {
        // Arrange
        var domain = fixture.NewDomain("singleflight");
        fixture.PublishMx(domain, "mx1." + domain);
        using var source = fixture.CreateSource();

        // Act
        var profiles = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(async () => await source.GetProfileAsync(domain))));

        // Assert
        Assert.Equal(1, source.LookupCount);
        Assert.Equal(1, fixture.Dns.QueryCount(domain, Mx));
        Assert.All(profiles, p => Assert.Same(profiles[0], p));
    }

    [Fact]
    public async Task CacheSize_IsBounded()
    {
        // Arrange
        using var source = fixture.CreateSource(extra: "\"cacheSize\": 16");
        var domains = Enumerable.Range(0, 40).Select(_ => fixture.NewDomain("bounded")).ToList();

        // Act
        foreach (var domain in domains)
        {
            await source.GetProfileAsync(domain);
        }

        // Assert
        Assert.InRange(source.CachedCount, 1, 16);
    }

    [Fact]
    public async Task Budget_TurnsASlowLookupIntoATimeoutFailure()
    {
        // Arrange
        var domain = fixture.NewDomain("budget");
        fixture.Dns.SetFault(domain, DnsFault.Timeout, Mx);
        using var source = fixture.CreateSource(extra: "\"budgetMilliseconds\": 300, \"timeoutMilliseconds\": 5000");

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.TemporaryFailure, profile.Status);
        Assert.Equal(TemporaryFailureKind.Timeout, profile.FailureKind);
        Assert.Contains("did not finish within the lookup's time budget", profile.FailureReason);
    }

    [Fact]
    public async Task CallerCancellation_StopsTheWaitButNotTheSharedLookup()
    {
        // Arrange
        var domain = fixture.NewDomain("cancel");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.Dns.SetFault(domain, DnsFault.Timeout);
        using var source = fixture.CreateSource(extra: "\"timeoutMilliseconds\": 400, \"retries\": 0");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        // Act
        var wait = source.GetProfileAsync(domain, cancel.Token).AsTask();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(1, source.LookupCount);
        Assert.Equal(ProfileStatus.TemporaryFailure, profile.Status);
    }

    [Fact]
    public async Task AfterDispose_LookupsAreTemporaryFailures_NotExceptions()
    {
        // Arrange
        var domain = fixture.NewDomain("disposed");
        fixture.PublishMx(domain, "mx1." + domain);
        var source = fixture.CreateSource();
        source.Dispose();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.TemporaryFailure, profile.Status);
    }
}
