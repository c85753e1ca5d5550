using System.Collections.Generic;
using System.IO;
using System.Text;
using LinkSecure.Core.Downgrade;
using LinkSecure.Core.Protocol;
using Xunit;

namespace LinkSecure.Core.Tests.Downgrade;

public class DowngradedCopyTests
{
    [Fact]
    public void WriteTop_WritesTheMarker_AndKeepsOnlyOneLineAsciiOrganizationFields()
    {
        // Arrange
        var fields = new List<KeyValuePair<string, string?>>
        {
            new("X-MS-Exchange-Organization-AuthAs", "Internal"),
            new("X-MS-Exchange-Organization-SCL", "-1"),
            new("X-MS-Exchange-Organization-Bad", "two\r\nlines"),
            new("X-MS-Exchange-Organization-Accent", "café"),
            new("X-MS-Exchange-Organization-LinkSecure-Downgraded", "forged"),
            new("X-Secret", "content"),
        };
        using var buffer = new MemoryStream();

        // Act
        DowngradedCopy.WriteTop(buffer, LinkSecurityLevel.ReadSecure, contained: false, fields);
        var text = Encoding.ASCII.GetString(buffer.ToArray());

        // Assert
        Assert.Equal(
            "X-MS-Exchange-Organization-LinkSecure-Downgraded: level=2\r\nX-MS-Exchange-Organization-AuthAs: Internal\r\nX-MS-Exchange-Organization-SCL: -1\r\n",
            text);
    }

    [Fact]
    public void WriteContained_KeepsTheKeepListFieldsOnly_NeverTheBody()
    {
        // Arrange
        var original = Encoding.ASCII.GetBytes("From: a@b.example\r\nTo: c@d.example\r\nSubject: quarterly secret\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nTHE-SECRET-BODY\r\n");
        using var buffer = new MemoryStream();

        // Act
        DowngradedCopy.WriteTop(buffer, LinkSecurityLevel.TransportSecure, contained: true, new List<KeyValuePair<string, string?>>());
        DowngradedCopy.WriteContained(new MemoryStream(original), buffer);
        var text = Encoding.ASCII.GetString(buffer.ToArray());

        // Assert
        Assert.StartsWith("X-MS-Exchange-Organization-LinkSecure-Downgraded: level=1; contained\r\n", text);
        Assert.Contains("From: a@b.example", text);
        Assert.DoesNotContain("THE-SECRET-BODY", text);
        Assert.EndsWith("\r\n\r\n", text);
    }

    [Fact]
    public void WriteContained_UnreadableHeader_WritesAMinimalOne()
    {
        // Arrange
        using var buffer = new MemoryStream();

        // Act
        DowngradedCopy.WriteContained(new MemoryStream(new byte[] { 0, 1, 2, 3 }), buffer);
        var bytes = buffer.ToArray();

        // Assert
        Assert.DoesNotContain((byte)0, bytes);
        Assert.EndsWith("\r\n\r\n", Encoding.ASCII.GetString(bytes), System.StringComparison.Ordinal);
    }
}
