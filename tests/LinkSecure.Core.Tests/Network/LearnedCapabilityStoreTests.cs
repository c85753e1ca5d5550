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

    private static LearnedCapabilities Observation(string host, DateTimeOffset at, bool startTls = true, bool certificateValid = true, bool requireTls = false, string? keyword = null) =>
        LearnedCapabilities.FromProbe(host, at, startTls, certificateValid, certificateValid ? null : "self-signed", requireTls, EhloKeyword.TryParse(keyword, out var k) ? k : null, TimeSpan.FromDays(7));

    [Fact]
    public void Record_ThenTryGet_RoundTripsThroughTheFile()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var path = NewStorePath();
        var writer = new LearnedCapabilityStore(path, time);
        var reader = new LearnedCapabilityStore(path, time);

        // Act
        writer.Record(Observation("MX1.Example.TEST.", time.GetUtcNow(), requireTls: true, keyword: "LINKSECURE 3 86400"));
        var found = reader.TryGet("mx1.example.test", out var entry);

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
        Assert.False(store.TryGet("short.example.test", out _));
        Assert.True(store.TryGet("default.example.test", out _));
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
        var found = store.TryGet("mx1.example.test", out _);

        // Assert
        Assert.False(found);
        Assert.Contains("is not valid JSON", store.LastLoadError);
    }

    [Fact]
    public async Task Profile_UsesObservationsOfEveryMx()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = fixture.NewDomain("learned");
        fixture.PublishMx(domain, "mx1." + domain, "mx2." + domain);
        var path = NewStorePath();
        new LearnedCapabilityStore(path, time).Record(new[]
        {
            Observation("mx1." + domain, time.GetUtcNow(), requireTls: true, keyword: "LINKSECURE 3 86400"),
            Observation("mx2." + domain, time.GetUtcNow(), requireTls: true, keyword: "LINKSECURE 2 86400"),
        });
        using var source = fixture.CreateSource(time, extra: "\"learnedStorePath\": " + JsonSerializer.Serialize(path));

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.True(profile.RequireTlsOnEveryMx);
        Assert.Equal(LinkSecurityLevel.ReadSecure, profile.DeclaredLevel);
        Assert.Equal(LinkSecurityLevel.BounceInsecure, profile.Level); // level 2 declared + REQUIRETLS on every MX
        Assert.Contains(profile.Evidence, e => e.Source == EvidenceSource.EhloKeyword && e.SupportsLevel == LinkSecurityLevel.ReadSecure);
    }

    [Fact]
    public async Task Profile_WithAnMxWithoutStartTls_HasATlsFailure()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = fixture.NewDomain("nostarttls");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.Dns.AddTxt("_linksecure." + domain, "v=LS1; level=1; max-age=86400");
        var path = NewStorePath();
        new LearnedCapabilityStore(path, time).Record(Observation("mx1." + domain, time.GetUtcNow(), startTls: false));
        using var source = fixture.CreateSource(time, extra: "\"learnedStorePath\": " + JsonSerializer.Serialize(path));

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(LinkSecurityLevel.None, profile.Level);
        Assert.StartsWith($"mx1.{domain} did not offer STARTTLS", profile.TlsFailure);
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
        var seenBeforeFlush = writer.TryGet("staged.example.test", out var staged);
        var allBeforeFlush = writer.GetAll().Select(c => c.Host).ToList();
        var otherBeforeFlush = reader.TryGet("staged.example.test", out _);
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
        Assert.True(first.TryGet("a.example.test", out _));

        // Act
        second.Record(Observation("b.example.test", time.GetUtcNow()));
        first.Stage(new[] { Observation("c.example.test", time.GetUtcNow()) });
        first.Flush();

        // Assert
        Assert.Equal(new[] { "a.example.test", "b.example.test", "c.example.test" }, new LearnedCapabilityStore(path, time).GetAll().Select(c => c.Host).ToArray());
    }
}
