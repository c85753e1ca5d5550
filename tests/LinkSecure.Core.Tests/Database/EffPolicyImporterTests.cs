using System;
using System.IO;
using System.Linq;
using System.Text;
using LinkSecure.Core.Database;
using LinkSecure.Core.Protocol;
using Xunit;

namespace LinkSecure.Core.Tests.Database;

public class EffPolicyImporterTests
{
    private static EffPolicyImporter.Result ImportSample()
    {
        using var stream = File.OpenRead(TestPaths.TestData("eff", "policy.json"));
        return EffPolicyImporter.Import(stream);
    }

    [Fact]
    public void Import_OnlyEnforcePoliciesBecomeLevelOneEntries()
    {
        // Act
        var result = ImportSample();

        // Assert
        var domains = result.Entries.Select(e => e.Domain).OrderBy(d => d, StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "alias-enforce.example", "enforced.example", "lists.enforced.example", "xn--bcher-kva.example" }, domains);
        Assert.All(result.Entries, e => Assert.Equal(LinkSecurityLevel.TransportSecure, e.Level));
        Assert.Equal(2, result.SkippedTesting);
    }

    [Fact]
    public void Import_SuffixMxBecomesSingleLabelWildcard()
    {
        // Act
        var result = ImportSample();

        // Assert
        var enforced = result.Entries.Single(e => e.Domain == "enforced.example");
        Assert.Equal(new[] { "mx1.enforced.example", "*.backup.enforced.example" }, enforced.MxPatterns);
        var alias = result.Entries.Single(e => e.Domain == "alias-enforce.example");
        Assert.Equal(new[] { "*.mx.bigprovider.example" }, alias.MxPatterns);
    }

    [Fact]
    public void Import_ListExpiryAndTimestampCarriedToEntries()
    {
        // Act
        var result = ImportSample();

        // Assert
        var expected = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(expected, result.Expires);
        Assert.All(result.Entries, e => Assert.Equal(expected, e.Expires));
        Assert.All(result.Entries, e => Assert.Contains("EFF STARTTLS Everywhere", e.Source));
    }

    [Fact]
    public void Import_BadPoliciesAreSkippedWithWarnings()
    {
        // Act
        var result = ImportSample();

        // Assert
        Assert.Contains(result.Warnings, w => w.Path.Contains("bad-alias.example") && w.Message.Contains("alias"));
        Assert.Contains(result.Warnings, w => w.Path.Contains("bad-mx.example"));
        Assert.DoesNotContain(result.Entries, e => e.Domain is "bad-alias.example" or "bad-mx.example");
    }

    [Fact]
    public void Import_NotAPolicyList_Throws()
    {
        // Arrange
        var stream = new MemoryStream(Encoding.UTF8.GetBytes("""{ "version": 1, "domains": [] }"""));

        // Act
        var ex = Assert.Throws<DocumentException>(() => EffPolicyImporter.Import(stream));

        // Assert
        Assert.Contains(ex.Errors, e => e.Path == "$.policies");
    }

    [Fact]
    public void Import_EntriesLoadIntoADatabase()
    {
        // Arrange
        var result = ImportSample();
        var db = KnownDomainDatabase.Empty;
        foreach (var entry in result.Entries)
        {
            db = db.With(entry);
        }

        // Act
        var found = db.TryGet("enforced.example", new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), out _);
        var afterExpiry = db.TryGet("enforced.example", new DateTimeOffset(2027, 2, 1, 0, 0, 0, TimeSpan.Zero), out _);

        // Assert
        Assert.True(found);
        Assert.False(afterExpiry);
    }
}
