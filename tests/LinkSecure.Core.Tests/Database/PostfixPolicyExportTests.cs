using System.IO;
using LinkSecure.Core.Database;
using LinkSecure.Core.Protocol;
using Xunit;

namespace LinkSecure.Core.Tests.Database;

public class PostfixPolicyExportTests
{
    [Fact]
    public void PatternsBecomeSecureMatch_WildcardBecomesDotSuffix()
    {
        // Arrange
        var entry = new KnownDomainEntry { Domain = "example.com", Level = LinkSecurityLevel.TransportSecure, MxPatterns = new[] { "*.mx.example.com", "mx1.example.net" } };

        // Act
        var line = PostfixPolicyExport.FormatLine(entry);

        // Assert
        Assert.Equal("example.com secure match=.mx.example.com:mx1.example.net", line);
    }

    [Fact]
    public void NoPatterns_IsVerify_LevelZeroIsAComment()
    {
        // Arrange
        var plain = new KnownDomainEntry { Domain = "plain.example", Level = LinkSecurityLevel.ReadSecure };
        var never = new KnownDomainEntry { Domain = "never.example", Level = LinkSecurityLevel.None };

        // Act & Assert
        Assert.Equal("plain.example verify", PostfixPolicyExport.FormatLine(plain));
        Assert.StartsWith("# never.example", PostfixPolicyExport.FormatLine(never));
    }

    [Fact]
    public void Write_SortsByDomainAfterHeader()
    {
        // Arrange
        var entries = new[]
        {
            new KnownDomainEntry { Domain = "b.example", Level = LinkSecurityLevel.TransportSecure },
            new KnownDomainEntry { Domain = "a.example", Level = LinkSecurityLevel.TransportSecure },
        };
        var writer = new StringWriter();

        // Act
        PostfixPolicyExport.Write(entries, writer);
        var lines = writer.ToString().TrimEnd().Split('\n');

        // Assert
        Assert.StartsWith("#", lines[0]);
        Assert.Equal("a.example verify", lines[2].TrimEnd('\r'));
        Assert.Equal("b.example verify", lines[3].TrimEnd('\r'));
    }
}
