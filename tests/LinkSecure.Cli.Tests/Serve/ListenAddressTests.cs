using System.Net;
using LinkSecure.Cli.Serve;
using Xunit;

namespace LinkSecure.Cli.Tests.Serve;

public sealed class ListenAddressTests
{
    [Theory]
    [InlineData("https://127.0.0.1:8443", true, "127.0.0.1", 8443)]
    [InlineData("https://0.0.0.0:443", true, "0.0.0.0", 443)]
    [InlineData("https://[::]:8443", true, "::", 8443)]
    [InlineData("http://[::1]:0", false, "::1", 0)]
    [InlineData("http://localhost:8080", false, "127.0.0.1", 8080)]
    [InlineData("https://192.0.2.7", true, "192.0.2.7", 443)]
    public void Parse_Accepts(string text, bool https, string address, int port)
    {
        // Act
        var listen = ListenAddress.Parse(text);

        // Assert
        Assert.Equal(https, listen.IsHttps);
        Assert.Equal(IPAddress.Parse(address), listen.Address);
        Assert.Equal(port, listen.Port);
    }

    [Theory]
    [InlineData("http://0.0.0.0:8080")]
    [InlineData("http://192.0.2.7:8080")]
    [InlineData("127.0.0.1:8443")]
    [InlineData("https://127.0.0.1:8443/addin")]
    [InlineData("https://user@127.0.0.1:8443")]
    [InlineData("https://linksecure.example:8443")]
    public void Parse_Refuses(string text)
    {
        // Act & Assert
        Assert.Throws<UsageException>(() => ListenAddress.Parse(text));
    }
}
