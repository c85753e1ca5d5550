using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Network;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;
using LinkSecure.TestSupport.Network;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace LinkSecure.Core.Tests.Network;

[Collection(NetworkCollection.Name)]
public class LearnedCapabilityStoreTests
{
    private readonly NetworkFixture fixture;

    public LearnedCapabilityStoreTests(NetworkFixture fixture)
    {
        this.fixture = fixture;
    }

    private string NewStorePath() => Path.Combine(fixture.Directory, "learned-" + Guid.NewGuid().ToString("N") + ".json");

    private const string Domain = "example.test";

    private static LearnedCapabilities Observation(string host, DateTimeOffset at, bool startTls = true, bool certificateValid = true, bool requireTls = false, string? keyword = null, string domain = Domain) =>
        LearnedCapabilities.FromProbe(domain, host, at, startTls, certificateValid, certificateValid ? null : "self-signed", false, requireTls, EhloKeyword.TryParse(keyword, out var k) ? k : null, TimeSpan.FromDays(7));

    [Fact]
    public void Record_ThenTryGet_RoundTripsThroughTheFile()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var path = NewStorePath();
        var writer = new LearnedCapabilityStore(path, time);
        var reader = new LearnedCapabilityStore(path, time);

        // Act
        writer.Record(Observation("MX1.Example.TEST.", time.GetUtcNow(), requireTls: true, keyword: "LINKSECURE 3 86400", domain: "Example.TEST."));
        var found = reader.TryGet(Domain, "mx1.example.test", out var entry);

        // Assert
        Assert.True(found);
        Assert.True(entry!.RequireTls);
        Assert.Equal(LinkSecurityLevel.BounceInsecure, entry.LinkSecureLevel);
        Assert.Equal(TimeSpan.FromDays(1), entry.Expires - entry.ObservedAt);
        Assert.Null(reader.LastLoadError);
    }

    [Fact]
    public void Entries_ExpireByTheirTtl()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var store = new LearnedCapabilityStore(NewStorePath(), time);
        store.Record(Observation("short.example.test", time.GetUtcNow(), keyword: "LINKSECURE 1 600"));
        store.Record(Observation("default.example.test", time.GetUtcNow()));

        // Act
        time.Advance(TimeSpan.FromMinutes(11));

        // Assert
        Assert.False(store.TryGet(Domain, "short.example.test", out _));
        Assert.True(store.TryGet(Domain, "default.example.test", out _));
        Assert.Single(store.GetAll());
    }

    [Fact]
    public async Task ConcurrentWritersWithSeparateInstances_LoseNothing_AndReadersNeverSeeAPartialFile()
    {
        // Arrange: separate instances stand for separate processes; they share only the file.
        var path = NewStorePath();
        var now = DateTimeOffset.UtcNow;
        using var stop = new CancellationTokenSource();
        var readerErrors = new List<string>();
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    if (File.Exists(path))
                    {
                        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
                    }
                }
                catch (JsonException ex)
                {
                    lock (readerErrors)
                    {
                        readerErrors.Add(ex.Message);
                    }
                }
                catch (IOException)
                {
                }
            }
        });

        // Act
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            var store = new LearnedCapabilityStore(path);
            for (var i = 0; i < 10; i++)
            {
                store.Record(Observation($"mx{w}-{i}.example.test", now));
            }
        })).ToArray();
        await Task.WhenAll(writers);
        stop.Cancel();
        await reader;

        // Assert
        Assert.Empty(readerErrors);
        Assert.Equal(40, new LearnedCapabilityStore(path).GetAll().Count);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path) + ".*.tmp"));
    }

    [Fact]
    public void DamagedFile_IsReportedNotThrown()
    {
        // Arrange
        var path = NewStorePath();
        File.WriteAllText(path, "{ \"hosts\": [ { \"host\": ");
        var store = new LearnedCapabilityStore(path);

        // Act
        var found = store.TryGet(Domain, "mx1.example.test", out _);

        // Assert
        Assert.False(found);
        Assert.Contains("is not valid JSON", store.LastLoadError);
    }

    [Fact]
    public async Task Profile_CountsLinkSecureFromAuthenticatedSessions_OfASecureMxSet()
    {
        // Arrange: a DNSSEC-secure MX RRset; both MX hosts announced LINKSECURE after PKIX-valid TLS.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = fixture.NewDomain("learned");
        fixture.PublishMx(domain, "mx1." + domain, "mx2." + domain);
        fixture.Dns.MarkSecure(domain);
        var path = NewStorePath();
        new LearnedCapabilityStore(path, time).Record(new[]
        {
            Observation("mx1." + domain, time.GetUtcNow(), requireTls: true, keyword: "LINKSECURE 3 86400", domain: domain),
            Observation("mx2." + domain, time.GetUtcNow(), requireTls: true, keyword: "LINKSECURE 2 86400", domain: domain),
        });
        using var source = fixture.CreateSource(time, validating: true, extra: "\"learnedStorePath\": " + JsonSerializer.Serialize(path));

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert: the lowest keyword counts; REQUIRETLS is evidence only (no route sends the parameter).
        Assert.True(profile.RequireTlsOnEveryMx);
        Assert.Equal(LinkSecurityLevel.ReadSecure, profile.DeclaredLevel);
        Assert.Equal(LinkSecurityLevel.ReadSecure, profile.Level);
        Assert.Equal(new[] { "mx1." + domain, "mx2." + domain }, profile.Tls.MxPatterns);
        Assert.Contains(profile.Evidence, e => e.Source == EvidenceSource.EhloKeyword && e.SupportsLevel == LinkSecurityLevel.ReadSecure && e.Authenticated);
        Assert.Contains("not counted toward level 3", profile.DescribeEvidence());
    }

    [Fact]
    public async Task Attack_LinkSecureFromAnUnsignedMxSet_IsNotCounted()
    {
        // Arrange: the attacker forged the unsigned MX answer to their own host, which has a valid certificate for its
        // own name and announces LINKSECURE 4.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = fixture.NewDomain("unsignedkw");
        fixture.PublishMx(domain, "mx.attacker-" + domain);
        var path = NewStorePath();
        new LearnedCapabilityStore(path, time).Record(Observation("mx.attacker-" + domain, time.GetUtcNow(), requireTls: true, keyword: "LINKSECURE 4 31557600", domain: domain));
        using var source = fixture.CreateSource(time, validating: true, extra: "\"learnedStorePath\": " + JsonSerializer.Serialize(path));

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(LinkSecurityLevel.None, profile.Level);
        Assert.Contains("LINKSECURE not counted: the host is not in an authenticated MX set", profile.DescribeEvidence());
    }

    [Fact]
    public async Task Attack_CrossDomainPoisoning_AHostsKeywordCountsOnlyForTheDomainItWasProbedFor()
    {
        // Arrange: an admin once checked the attacker's own signed domain, whose MX announces LINKSECURE 4. Later the
        // attacker forges a signed-looking victim's MX to point at that host.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var attackerDomain = fixture.NewDomain("attackerdomain");
        var victim = fixture.NewDomain("victimdomain");
        var evilMx = "mx." + attackerDomain;
        fixture.PublishMx(attackerDomain, evilMx);
        fixture.Dns.AddMx(victim, 10, evilMx);
        fixture.Dns.MarkSecure(attackerDomain);
        fixture.Dns.MarkSecure(victim);
        var path = NewStorePath();
        new LearnedCapabilityStore(path, time).Record(Observation(evilMx, time.GetUtcNow(), keyword: "LINKSECURE 4 31557600", domain: attackerDomain));
        using var source = fixture.CreateSource(time, validating: true, extra: "\"learnedStorePath\": " + JsonSerializer.Serialize(path));

        // Act
        var own = await source.GetProfileAsync(attackerDomain);
        var poisoned = await source.GetProfileAsync(victim);

        // Assert
        Assert.Equal(LinkSecurityLevel.ForwardSecure, own.Level);
        Assert.Equal(LinkSecurityLevel.None, poisoned.Level);
        Assert.DoesNotContain(poisoned.Evidence, e => e.Source == EvidenceSource.EhloKeyword);
    }

    [Fact]
    public async Task Profile_WithAnMxWithoutStartTls_UnderAnEnforcedPolicy_Defers()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = fixture.NewDomain("nostarttls");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.PublishMtaSts(domain, "n1", PolicyResponse.Policy("enforce", 86400, "mx1." + domain));
        var path = NewStorePath();
        new LearnedCapabilityStore(path, time).Record(Observation("mx1." + domain, time.GetUtcNow(), startTls: false, domain: domain));
        using var source = fixture.CreateSource(time, extra: "\"learnedStorePath\": " + JsonSerializer.Serialize(path));

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert: a violation of an enforced policy may be an attack, so tagged mail waits.
        Assert.Equal(ProfileStatus.TemporaryFailure, profile.Status);
        Assert.Equal(TemporaryFailureKind.PolicyViolation, profile.FailureKind);
        Assert.Contains($"mx1.{domain}: no STARTTLS", profile.FailureReason);
    }

    [Fact]
    public async Task Attack_OneStrippedStartTlsOnASharedMx_DoesNotAffectOtherDomains()
    {
        // Arrange: a probe of domain A through a path that strips STARTTLS at the shared MX; domain B uses the same MX.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var a = fixture.NewDomain("shareda");
        var b = fixture.NewDomain("sharedb");
        var shared = "mx.provider-" + a;
        fixture.Dns.AddMx(a, 10, shared);
        fixture.Dns.AddMx(b, 10, shared);
        fixture.Dns.AddA(shared);
        fixture.PublishMtaSts(b, "s1", PolicyResponse.Policy("enforce", 86400, shared));
        var path = NewStorePath();
        var store = new LearnedCapabilityStore(path, time);
        var stripped = Observation(shared, time.GetUtcNow(), startTls: false, domain: a);
        store.Record(stripped);
        using var source = fixture.CreateSource(time, extra: "\"learnedStorePath\": " + JsonSerializer.Serialize(path));

        // Act
        var other = await source.GetProfileAsync(b);

        // Assert: B is unaffected, and the failure itself is short-lived.
        Assert.True(other.Status == ProfileStatus.Ok, other.FailureReason);
        Assert.Equal(LinkSecurityLevel.TransportSecure, other.Level);
        Assert.True(stripped.Expires - stripped.ObservedAt <= TimeSpan.FromHours(1));
    }

    [Fact]
    public void Attack_DaneMitmWithKeyword_IsNotRemembered()
    {
        // Arrange: a probe of a DANE host was intercepted: self-signed certificate, no TLSA match, LINKSECURE 4.
        var now = DateTimeOffset.UtcNow;

        // Act
        var observation = LearnedCapabilities.FromProbe("dane.example", "mx1.dane.example", now, true, false, "self-signed", false, true, EhloKeyword.TryParse("LINKSECURE 4 31557600", out var k) ? k : null, TimeSpan.FromDays(7));

        // Assert
        Assert.False(observation.Authenticated);
        Assert.Equal(LinkSecurityLevel.None, observation.LinkSecureLevel);
        Assert.False(observation.RequireTls);
        Assert.True(observation.Expires - now <= TimeSpan.FromHours(1));
    }

    [Fact]
    public void VersionOneEntries_KeyedByHostAlone_AreIgnored()
    {
        // Arrange: a store written before observations were keyed by (domain, host).
        var path = NewStorePath();
        File.WriteAllText(path, "{ \"version\": 1, \"hosts\": [ { \"host\": \"mx.evil.example\", \"observed\": \"2026-11-01T00:00:00Z\", \"expires\": \"2099-01-01T00:00:00Z\", \"startTls\": true, \"certificateValid\": true, \"requireTls\": true, \"linkSecureLevel\": 4, \"linkSecureMaxAgeSeconds\": 31557600 } ] }");
        var store = new LearnedCapabilityStore(path);

        // Act
        var all = store.GetAll();

        // Assert
        Assert.Empty(all);
    }

    [Fact]
    public void Stage_IsVisibleToTheSameInstanceAtOnce_AndToOthersOnlyAfterFlush()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var path = NewStorePath();
        var writer = new LearnedCapabilityStore(path, time);
        var reader = new LearnedCapabilityStore(path, time);
        writer.Record(Observation("old.example.test", time.GetUtcNow()));

        // Act
        writer.Stage(new[] { Observation("staged.example.test", time.GetUtcNow(), requireTls: true) });
        var seenBeforeFlush = writer.TryGet(Domain, "staged.example.test", out var staged);
        var allBeforeFlush = writer.GetAll().Select(c => c.Host).ToList();
        var otherBeforeFlush = reader.TryGet(Domain, "staged.example.test", out _);
        var written = writer.Flush();
        var otherAfterFlush = new LearnedCapabilityStore(path, time).GetAll().Select(c => c.Host).ToList();

        // Assert
        Assert.True(seenBeforeFlush);
        Assert.True(staged!.RequireTls);
        Assert.Equal(new[] { "old.example.test", "staged.example.test" }, allBeforeFlush);
        Assert.False(otherBeforeFlush);
        Assert.Equal(1, written);
        Assert.Equal(0, writer.StagedCount);
        Assert.Equal(new[] { "old.example.test", "staged.example.test" }, otherAfterFlush);
        Assert.Equal(0, writer.Flush());
    }

    [Fact]
    public void Record_MergesWithWhatAnotherInstanceWroteMeanwhile()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var path = NewStorePath();
        var first = new LearnedCapabilityStore(path, time);
        var second = new LearnedCapabilityStore(path, time);
        first.Record(Observation("a.example.test", time.GetUtcNow()));
        Assert.True(first.TryGet(Domain, "a.example.test", out _));

        // Act
        second.Record(Observation("b.example.test", time.GetUtcNow()));
        first.Stage(new[] { Observation("c.example.test", time.GetUtcNow()) });
        first.Flush();

        // Assert
        Assert.Equal(new[] { "a.example.test", "b.example.test", "c.example.test" }, new LearnedCapabilityStore(path, time).GetAll().Select(c => c.Host).ToArray());
    }
}
