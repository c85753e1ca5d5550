using System.IO;
using System.Linq;
using System.Text;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Protocol;
using Xunit;

namespace LinkSecure.Core.Tests.Configuration;

public sealed class StatusSettingsTests
{
    [Fact]
    public void NoSection_GivesTheDocumentedDefaults()
    {
        // Act
        var status = Load("{}").Status;

        // Assert
        Assert.Same(StatusSettings.Default, status);
        Assert.Equal(LinkSecurityLevel.TransportSecure, status.DefaultLevel);
        Assert.Equal(FallbackAction.Bounce, status.DefaultFallback);
        Assert.Empty(status.LabelRules);
        Assert.Equal(100, status.MaxBatch);
        Assert.Equal(1500, status.Budget.TotalMilliseconds);
        Assert.Equal(2, status.PollAfterSeconds);
        Assert.Equal(120, status.RequestsPerMinute);
        Assert.Equal(20, status.Burst);
        Assert.Equal(4, status.ConcurrentRequestsPerClient);
    }

    [Fact]
    public void FullSection_IsRead()
    {
        // Arrange
        const string Json = """
        { "status": { "defaultLevel": 3, "defaultFallback": "safe-part", "maxBatch": 50, "budgetMilliseconds": 800,
          "pollAfterSeconds": 5, "requestsPerMinute": 600, "burst": 40, "concurrentRequestsPerClient": 8,
          "labelRules": [ { "label": "Confidential", "level": 2 }, { "label": "Secret", "level": 4, "fallback": "safe-part" } ] } }
        """;

        // Act
        var status = Load(Json).Status;

        // Assert
        Assert.Equal(LinkSecurityLevel.BounceInsecure, status.DefaultLevel);
        Assert.Equal(FallbackAction.SafePart, status.DefaultFallback);
        Assert.Equal(50, status.MaxBatch);
        Assert.Equal(800, status.Budget.TotalMilliseconds);
        Assert.Equal(5, status.PollAfterSeconds);
        Assert.Equal(600, status.RequestsPerMinute);
        Assert.Equal(40, status.Burst);
        Assert.Equal(8, status.ConcurrentRequestsPerClient);
        Assert.Equal(new[] { "Confidential", "Secret" }, status.LabelRules.Select(r => r.Label));
        Assert.Equal(FallbackAction.Bounce, status.LabelRules[0].Fallback);
        Assert.Equal(LinkSecurityLevel.ForwardSecure, status.LabelRules[1].Level);
        Assert.Equal(FallbackAction.SafePart, status.LabelRules[1].Fallback);
    }

    [Theory]
    [InlineData("""{ "status": { "defaultLevel": 0 } }""", "$.status.defaultLevel")]
    [InlineData("""{ "status": { "defaultFallback": "drop" } }""", "$.status.defaultFallback")]
    [InlineData("""{ "status": { "maxBatch": 101 } }""", "$.status.maxBatch")]
    [InlineData("""{ "status": { "budgetMilliseconds": 50 } }""", "$.status.budgetMilliseconds")]
    [InlineData("""{ "status": { "requestsPerMinute": 0 } }""", "$.status.requestsPerMinute")]
    [InlineData("""{ "status": { "typo": 1 } }""", "$.status.typo")]
    [InlineData("""{ "status": { "labelRules": {} } }""", "$.status.labelRules")]
    [InlineData("""{ "status": { "labelRules": [ { "level": 1 } ] } }""", "$.status.labelRules[0].label")]
    [InlineData("""{ "status": { "labelRules": [ { "label": "A", "level": 5 } ] } }""", "$.status.labelRules[0].level")]
    [InlineData("""{ "status": { "labelRules": [ { "label": "A" }, { "label": "a" } ] } }""", "$.status.labelRules[1].label")]
    [InlineData("""{ "status": { "labelRules": [ { "label": "A", "colour": "red" } ] } }""", "$.status.labelRules[0].colour")]
    [InlineData("""{ "status": 3 }""", "$.status")]
    public void InvalidValues_AreErrorsWithTheirPath(string json, string path)
    {
        // Act
        var errors = LinkSecureSettings.Validate(new MemoryStream(Encoding.UTF8.GetBytes(json)));

        // Assert
        Assert.Contains(errors, e => e.Path == path);
    }

    private static LinkSecureSettings Load(string json) => LinkSecureSettings.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)));
}
