using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using LinkSecure.Core.Network;
using LinkSecure.Core.Protocol;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace LinkSecure.Core.Tests.Network;

/// <summary>The durable MTA-STS policy cache (RFC 8461 §5.1, §10): file format, tolerant load, expiry and bound. Uses
/// only file APIs that .NET Framework 4.8 has, so it also runs on net48.</summary>
public sealed class MtaStsPolicyStoreTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly string directory = Path.Combine(Path.GetTempPath(), "linksecure-mtasts-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider time = new(Start);

    public MtaStsPolicyStoreTests()
    {
        Directory.CreateDirectory(directory);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string NewPath() => Path.Combine(directory, "mta-sts-" + Guid.NewGuid().ToString("N") + ".json");

    private static MtaStsPolicy Parse(string mode, long maxAge, string extra = "")
    {
        Assert.True(MtaStsPolicy.TryParse($"version: STSv1\nmode: {mode}\nmx: mail.example.com\nmx: *.example.net\nmax_age: {maxAge}\n{extra}", out var policy, out var problem), problem);
        return policy!;
    }

    private StoredMtaStsPolicy Entry(string domain, string mode = "enforce", long maxAge = 86400, string id = "id1", string extra = "") =>
        new(domain, id, Parse(mode, maxAge, extra), time.GetUtcNow(), time.GetUtcNow() + TimeSpan.FromSeconds(maxAge));

    [Fact]
    public void Open_WithoutPath_GivesNoStore()
    {
        // Act
        var store = MtaStsPolicyStore.Open(null, time);

        // Assert
        Assert.Null(store);
    }

    [Fact]
    public void Save_ThenAnotherInstance_ReadsEveryField()
    {
        // Arrange
        var path = NewPath();
        var writer = MtaStsPolicyStore.Open(path, time)!;
        writer.Save(Entry("example.com", extra: "linksecure: 3\n"));
        writer.Save(Entry("testing.example", mode: "testing", maxAge: 600, id: "t2", extra: "linksecure: 9\n"));

        // Act
        var reader = MtaStsPolicyStore.Open(path, time)!;
        var found = reader.TryGet("example.com", out var enforce);
        reader.TryGet("testing.example", out var testing);

        // Assert
        Assert.True(found);
        Assert.Null(reader.LastLoadError);
        Assert.Null(writer.LastWriteError);
        Assert.Equal("id1", enforce!.Id);
        Assert.Equal(MtaStsMode.Enforce, enforce.Policy.Mode);
        Assert.Equal(TimeSpan.FromDays(1), enforce.Policy.MaxAge);
        Assert.Equal(new[] { "mail.example.com", "*.example.net" }, enforce.Policy.MxPatterns);
        Assert.Equal(LinkSecurityLevel.BounceInsecure, enforce.Policy.DeclaredLevel);
        Assert.Equal(Start, enforce.Fetched);
        Assert.Equal(Start.AddDays(1), enforce.Expires);
        Assert.Equal("t2", testing!.Id);
        Assert.Equal(MtaStsMode.Testing, testing.Policy.Mode);
        Assert.Null(testing.Policy.DeclaredLevel);
        Assert.Contains("linksecure '9'", testing.Policy.DeclaredLevelProblem);
    }

    [Fact]
    public void Save_WritesTheDocumentedFormat()
    {
        // Arrange
        var path = NewPath();
        var store = MtaStsPolicyStore.Open(path, time)!;

        // Act
        store.Save(Entry("example.com", extra: "linksecure: 2\n"));

        // Assert
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        Assert.Equal(1, root.GetProperty("version").GetInt32());
        var entry = root.GetProperty("policies")[0];
        Assert.Equal("example.com", entry.GetProperty("domain").GetString());
        Assert.Equal("id1", entry.GetProperty("id").GetString());
        Assert.Equal("enforce", entry.GetProperty("mode").GetString());
        Assert.Equal(86400, entry.GetProperty("maxAgeSeconds").GetInt64());
        Assert.Equal(new[] { "mail.example.com", "*.example.net" }, entry.GetProperty("mx").EnumerateArray().Select(e => e.GetString()).ToArray());
        Assert.Equal(2, entry.GetProperty("linksecure").GetInt32());
        Assert.Equal("2030-01-01T12:00:00Z", entry.GetProperty("fetched").GetString());
        Assert.Equal("2030-01-02T12:00:00Z", entry.GetProperty("expires").GetString());
        Assert.Empty(Directory.GetFiles(directory, "*.tmp"));
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("[1, 2]")]
    [InlineData("{ \"version\": 1 }")]
    [InlineData("")]
    public void CorruptFile_StartsEmpty_ReportsIt_AndIsReplacedByTheNextWrite(string content)
    {
        // Arrange
        var path = NewPath();
        File.WriteAllText(path, content);
        var store = MtaStsPolicyStore.Open(path, time)!;

        // Act
        var found = store.TryGet("example.com", out _);
        var error = store.LastLoadError;
        store.Save(Entry("example.com"));

        // Assert
        Assert.False(found);
        Assert.NotNull(error);
        Assert.Contains(path, error);
        Assert.True(MtaStsPolicyStore.Open(path, time)!.TryGet("example.com", out _));
    }

    [Fact]
    public void InvalidEntries_AreSkipped_TheValidOnesKept()
    {
        // Arrange: an entry whose expiry lies beyond its own max_age, an invalid mx pattern, an unknown mode.
        var path = NewPath();
        File.WriteAllText(path, @"{ ""version"": 1, ""policies"": [
  { ""domain"": ""good.example"", ""id"": ""a"", ""mode"": ""enforce"", ""maxAgeSeconds"": 600, ""mx"": [""mx.good.example""], ""fetched"": ""2030-01-01T12:00:00Z"", ""expires"": ""2030-01-01T12:10:00Z"" },
  { ""domain"": ""long.example"", ""id"": ""b"", ""mode"": ""enforce"", ""maxAgeSeconds"": 600, ""mx"": [""mx.long.example""], ""fetched"": ""2030-01-01T12:00:00Z"", ""expires"": ""2031-01-01T12:00:00Z"" },
  { ""domain"": ""badmx.example"", ""id"": ""c"", ""mode"": ""enforce"", ""maxAgeSeconds"": 600, ""mx"": [""*.*.example""], ""fetched"": ""2030-01-01T12:00:00Z"", ""expires"": ""2030-01-01T12:10:00Z"" },
  { ""domain"": ""mode.example"", ""id"": ""d"", ""mode"": ""strict"", ""maxAgeSeconds"": 600, ""mx"": [""mx.mode.example""], ""fetched"": ""2030-01-01T12:00:00Z"", ""expires"": ""2030-01-01T12:10:00Z"" }
] }");
        var store = MtaStsPolicyStore.Open(path, time)!;

        // Act
        var all = store.GetAll();

        // Assert
        Assert.Equal(new[] { "good.example" }, all.Select(p => p.Domain).ToArray());
        Assert.Contains("3 invalid entries ignored", store.LastLoadError);
    }

    [Fact]
    public void FileFromANewerVersion_IsIgnoredWithANote_AndNotOverwritten()
    {
        // Arrange
        var path = NewPath();
        var newer = "{ \"version\": 2, \"policies\": [], \"future\": true }";
        File.WriteAllText(path, newer);
        var store = MtaStsPolicyStore.Open(path, time)!;

        // Act
        var found = store.TryGet("example.com", out _);
        store.Save(Entry("example.com"));

        // Assert
        Assert.False(found);
        Assert.Contains("format version 2 from a newer LinkSecure", store.LastLoadError);
        Assert.Contains("was not written", store.LastWriteError);
        Assert.Equal(newer, File.ReadAllText(path));
        Assert.True(store.TryGet("example.com", out _));
    }

    [Fact]
    public void ExpiredPolicies_AreNotReturned_AndAreDroppedOnTheNextWrite()
    {
        // Arrange
        var path = NewPath();
        var store = MtaStsPolicyStore.Open(path, time)!;
        store.Save(Entry("short.example", maxAge: 600));
        store.Save(Entry("long.example", maxAge: 86400));

        // Act
        time.Advance(TimeSpan.FromSeconds(601));
        var shortFound = store.TryGet("short.example", out _);
        store.Save(Entry("other.example"));

        // Assert
        Assert.False(shortFound);
        Assert.DoesNotContain("short.example", File.ReadAllText(path));
        Assert.Equal(new[] { "long.example", "other.example" }, MtaStsPolicyStore.Open(path, time)!.GetAll().Select(p => p.Domain).ToArray());
    }

    [Fact]
    public void Bound_DropsNonEnforcePoliciesFirst()
    {
        // Arrange
        var path = NewPath();
        var store = MtaStsPolicyStore.Open(path, time, maxEntries: 16)!;
        for (var i = 0; i < 8; i++)
        {
            store.Save(Entry($"testing{i}.example", mode: "testing"));
        }

        // Act
        for (var i = 0; i < 16; i++)
        {
            store.Save(Entry($"enforce{i}.example"));
        }

        // Assert
        var all = MtaStsPolicyStore.Open(path, time)!.GetAll();
        Assert.Equal(16, all.Count);
        Assert.All(all, p => Assert.Equal(MtaStsMode.Enforce, p.Policy.Mode));
    }

    [Fact]
    public void UnwritableFile_KeepsThePolicyInMemory_AndReportsIt()
    {
        // Arrange: the path is a folder, so the atomic replace fails.
        var path = NewPath();
        Directory.CreateDirectory(path);
        var store = MtaStsPolicyStore.Open(path, time)!;

        // Act
        store.Save(Entry("example.com"));

        // Assert
        Assert.NotNull(store.LastWriteError);
        Assert.True(store.TryGet("example.com", out _));
    }

    [Fact]
    public void InMemoryStore_KeepsEnforcePoliciesOverOthersAtItsBound()
    {
        // Arrange
        var store = MtaStsPolicyStore.InMemory(time, 4);
        store.Save(Entry("e1.example"));
        store.Save(Entry("e2.example"));

        // Act
        for (var i = 0; i < 10; i++)
        {
            store.Save(Entry($"n{i}.example", mode: "none"));
        }

        // Assert
        Assert.True(store.TryGet("e1.example", out _));
        Assert.True(store.TryGet("e2.example", out _));
        Assert.Equal(4, store.GetAll().Count);
    }
}
