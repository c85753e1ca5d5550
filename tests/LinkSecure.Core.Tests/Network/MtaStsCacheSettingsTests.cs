using System.IO;
using System.Text;
using LinkSecure.Core.Configuration;
using Xunit;

namespace LinkSecure.Core.Tests.Network;

/// <summary><c>resolver.mtaStsCachePath</c> and its default next to the learned store.</summary>
public class MtaStsCacheSettingsTests
{
    private static LinkSecureSettings Load(string resolver) =>
        LinkSecureSettings.Load(new MemoryStream(Encoding.UTF8.GetBytes("{ \"resolver\": { " + resolver + " } }")), "test configuration");

    [Fact]
    public void Explicit_IsUsed()
    {
        // Arrange
        var full = Path.Combine(Path.GetTempPath(), "policies.json");
        var settings = Load("\"mtaStsCachePath\": " + System.Text.Json.JsonSerializer.Serialize(full));

        // Act
        var path = settings.EffectiveMtaStsCachePath();

        // Assert
        Assert.Equal(full, path);
        Assert.Equal(full, settings.Resolver.MtaStsCachePath);
    }

    [Fact]
    public void Absent_WithALearnedStore_IsNextToIt()
    {
        // Arrange
        var learned = Path.Combine(Path.GetTempPath(), "state", "learned.json");
        var settings = Load("\"learnedStorePath\": " + System.Text.Json.JsonSerializer.Serialize(learned));

        // Act
        var path = settings.EffectiveMtaStsCachePath();

        // Assert
        Assert.Equal(Path.Combine(Path.GetTempPath(), "state", "mta-sts-cache.json"), path);
    }

    [Fact]
    public void Absent_WithoutALearnedStore_IsNone()
    {
        // Act
        var path = Load("\"cacheSize\": 100").EffectiveMtaStsCachePath();

        // Assert
        Assert.Null(path);
    }

    [Fact]
    public void Override_ReplacesTheConfiguredPath()
    {
        // Arrange
        var full = Path.Combine(Path.GetTempPath(), "override.json");
        var resolver = Load("\"mtaStsCachePath\": \"a.json\"").Resolver;

        // Act
        var copy = resolver.With(mtaStsCachePath: full);

        // Assert
        Assert.Equal(full, copy.EffectiveMtaStsCachePath());
        Assert.Equal("a.json", resolver.MtaStsCachePath);
    }
}
