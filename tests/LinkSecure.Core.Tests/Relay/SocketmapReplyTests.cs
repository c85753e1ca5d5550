using System.Text;
using LinkSecure.Core.Relay;
using Xunit;

namespace LinkSecure.Core.Tests.Relay;

public class SocketmapReplyTests
{
    [Fact]
    public void Encoded_EveryKind_IsTheNetstringOfTheText()
    {
        // Arrange
        var replies = new[]
        {
            SocketmapReply.Ok("secure match=mx.example servername=hostname"),
            SocketmapReply.NotFound,
            default,
            SocketmapReply.Temp("DNS lookup failed"),
            SocketmapReply.Perm("unknown map"),
            SocketmapReply.Ok("dane-only \u00e9"),
        };

        foreach (var reply in replies)
        {
            // Act
            var encoded = reply.Encoded.ToArray();

            // Assert
            Assert.Equal(Netstring.Encode(reply.Text), encoded);
        }
    }

    [Fact]
    public void Encoded_Default_IsNotFoundWithItsSpace()
    {
        // Arrange
        SocketmapReply reply = default;

        // Act
        var text = Encoding.ASCII.GetString(reply.Encoded.ToArray());

        // Assert
        Assert.Equal("9:NOTFOUND ,", text);
    }
}
