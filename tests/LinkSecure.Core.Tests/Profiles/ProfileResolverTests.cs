using System;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Database;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace LinkSecure.Core.Tests.Profiles;

public class ProfileResolverTests
{
    private static readonly FakeTimeProvider Time = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));

    private static LinkSecureSettings Settings(string json) => LinkSecureSettings.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)));

    private static KnownDomainDatabase Database(string json) => KnownDomainDatabase.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)));

    private sealed class RecordingSource : IDomainProfileSource
    {
        public int Calls { get; private set; }

        public DomainProfile? Cached { get; set; }

        public bool TryGetCached(string domain, [NotNullWhen(true)] out DomainProfile? profile)
        {
            profile = Cached;
            return profile is not null;
        }

        public ValueTask<DomainProfile> GetProfileAsync(string domain, CancellationToken cancellationToken = default)
        {
            Calls++;
            return new ValueTask<DomainProfile>(new DomainProfile(domain) { TransportEnforced = true, Evidence = new[] { new Evidence(EvidenceSource.MtaSts, "enforce") } });
        }
    }

    private const string Db = """{ "version": 1, "domains": [ { "domain": "partner.example", "level": 3, "mx": [ "*.mx.partner.example" ], "source": "contract" }, { "domain": "never.example", "level": 0, "source": "admin" } ] }""";

    [Fact]
    public async Task OverrideWinsOverDatabaseAndNetwork()
    {
        // Arrange
        var network = new RecordingSource();
        var resolver = new ProfileResolver(Settings("""{ "overrides": [ { "domain": "partner.example", "never": true }, { "domain": "up.example", "level": 4 } ] }"""), Database(Db), network, Time);

        // Act
        var partner = await resolver.ResolveAsync("partner.example");
        var up = await resolver.ResolveAsync("up.example");

        // Assert
        Assert.Equal(LinkSecurityLevel.None, partner.Level);
        Assert.Equal(EvidenceSource.AdminOverride, Assert.Single(partner.Evidence).Source);
        Assert.Equal(LinkSecurityLevel.ForwardSecure, up.Level);
        Assert.Equal(0, network.Calls);
    }

    [Fact]
    public async Task Database_AugmentsTheNetworkProfile_AndAloneSettlesOnlyOffline()
    {
        // Arrange
        var network = new RecordingSource();
        var online = new ProfileResolver(LinkSecureSettings.Default, Database(Db), network, Time);
        var offline = new ProfileResolver(LinkSecureSettings.Default, Database(Db), null, Time);

        // Act
        var partner = await online.ResolveAsync("partner.example");
        var offlinePartner = await offline.ResolveAsync("partner.example");

        // Assert: the network is still asked (observed failures are not silenced by an entry) and the entry's level
        // and pinned names are combined with it.
        Assert.Equal(1, network.Calls);
        Assert.Equal(LinkSecurityLevel.BounceInsecure, partner.Level);
        Assert.Equal(new[] { "*.mx.partner.example" }, partner.Tls.MxPatterns);
        Assert.Contains(partner.Evidence, e => e.Source == EvidenceSource.MtaSts);
        Assert.Contains(partner.Evidence, e => e.Source == EvidenceSource.KnownDomainDatabase && e.Authenticated);
        Assert.Equal(LinkSecurityLevel.BounceInsecure, offlinePartner.Level);
        Assert.Equal("the known-domain database", offlinePartner.Tls.PatternSource);
    }

    [Fact]
    public void DatabaseEntryWithoutPinnedNames_GivesNoLevelOnItsOwn()
    {
        // Arrange
        var db = Database("""{ "version": 1, "domains": [ { "domain": "nopins.example", "level": 1, "source": "blog" } ] }""");
        var offline = new ProfileResolver(LinkSecureSettings.Default, db, null, Time);

        // Act
        offline.TryResolveCached("nopins.example", out var profile);

        // Assert
        Assert.Equal(LinkSecurityLevel.None, profile!.Level);
        Assert.Contains("pins no MX names", profile.DescribeEvidence());
    }

    [Fact]
    public async Task OverrideWithMxNames_PinsThem_WithoutNames_DoesNot()
    {
        // Arrange
        var resolver = new ProfileResolver(Settings("""{ "overrides": [ { "domain": "pinned.example", "level": 2, "mx": [ "*.mail.pinned.example" ] }, { "domain": "loose.example", "level": 2 } ] }"""), KnownDomainDatabase.Empty, null, Time);

        // Act
        var pinned = await resolver.ResolveAsync("pinned.example");
        var loose = await resolver.ResolveAsync("loose.example");

        // Assert
        Assert.Equal(new[] { "*.mail.pinned.example" }, pinned.Tls.MxPatterns);
        Assert.Empty(loose.Tls.MxPatterns);
        Assert.Contains("no route can authenticate the server", loose.DescribeEvidence());
    }

    [Fact]
    public async Task UnknownDomain_AsksNetwork_OrIsLevelZeroOffline()
    {
        // Arrange
        var network = new RecordingSource();
        var online = new ProfileResolver(LinkSecureSettings.Default, Database(Db), network, Time);
        var offline = new ProfileResolver(LinkSecureSettings.Default, Database(Db), null, Time);

        // Act
        var cachedMiss = online.TryResolveCached("other.example", out _);
        var fromNetwork = await online.ResolveAsync("other.example");
        var offlineHit = offline.TryResolveCached("other.example", out var offlineProfile);

        // Assert
        Assert.False(cachedMiss);
        Assert.Equal(1, network.Calls);
        Assert.Equal(LinkSecurityLevel.TransportSecure, fromNetwork.Level);
        Assert.True(offlineHit);
        Assert.Equal(LinkSecurityLevel.None, offlineProfile!.Level);
        Assert.False(offline.IsOnline);
    }

    [Fact]
    public void NetworkCache_IsUsedOnTheSyncPath()
    {
        // Arrange
        var network = new RecordingSource { Cached = new DomainProfile("other.example") { DeclaredLevel = LinkSecurityLevel.ReadSecure, TransportEnforced = true } };
        var resolver = new ProfileResolver(LinkSecureSettings.Default, KnownDomainDatabase.Empty, network, Time);

        // Act
        var hit = resolver.TryResolveCached("other.example", out var profile);

        // Assert
        Assert.True(hit);
        Assert.Equal(LinkSecurityLevel.ReadSecure, profile!.Level);
        Assert.Equal(0, network.Calls);
    }

    [Fact]
    public async Task ExpiredDatabaseEntry_FallsThroughToNetwork()
    {
        // Arrange
        var network = new RecordingSource();
        var db = Database("""{ "version": 1, "domains": [ { "domain": "old.example", "level": 2, "expires": "2026-01-01" } ] }""");
        var resolver = new ProfileResolver(LinkSecureSettings.Default, db, network, Time);

        // Act
        var profile = await resolver.ResolveAsync("old.example");

        // Assert
        Assert.Equal(1, network.Calls);
        Assert.Equal(EvidenceSource.MtaSts, Assert.Single(profile.Evidence).Source);
    }
}
