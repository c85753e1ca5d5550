using System;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace LinkSecure.Cli.Tests;

public class PolicyServerMetricsTests
{
    [Fact]
    public async Task GetMetrics_AfterLookups_CountsEachKind()
    {
        // Arrange
        await using var harness = new PolicyServerHarness(metrics: true);
        using (var client = await harness.ConnectAsync())
        {
            await client.LookupAsync("postfix good-enforce.example");
            await client.LookupAsync("linksecure dane.example");
            await client.LookupAsync("postfix plain.example");
            await client.LookupAsync("linksecure broken.example");
            await client.LookupAsync("nosuch x.example");
        }

        using (var bad = await harness.ConnectAsync())
        {
            await bad.SendAsync("x:");
            await bad.ReadReplyAsync();
        }

        // Act
        var response = await RequestAsync(harness.Server.MetricsEndpoint!, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n", harness.Token);

        // Assert
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", response, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/plain", response, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nlookups 5\nhits 2\nmisses 1\nfailures 2\nconnections 2\nprotocol_errors 1\nrefused_connections 0\n", response, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", 404)]
    [InlineData("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 404)]
    [InlineData("GET /metrics/x HTTP/1.0\r\n\r\n", 404)]
    [InlineData("GET /metrics\r\n\r\n", 400)]
    [InlineData("GET metrics HTTP/1.1\r\n\r\n", 400)]
    [InlineData("GET /metrics HTTP/2.0\r\n\r\n", 400)]
    [InlineData("GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n", 400)]
    [InlineData("GET /metrics HTTP/1.1\r\n folded: header\r\n\r\n", 400)]
    [InlineData("\r\n\r\n", 400)]
    public async Task Request_OtherOrMalformed_StatusAndClose(string request, int status)
    {
        // Arrange
        await using var harness = new PolicyServerHarness(metrics: true);

        // Act
        var response = await RequestAsync(harness.Server.MetricsEndpoint!, request, harness.Token);

        // Assert
        Assert.StartsWith($"HTTP/1.1 {status} ", response, StringComparison.Ordinal);
        Assert.Contains("Connection: close\r\n", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_HeadLongerThanTheLimit_400()
    {
        // Arrange
        await using var harness = new PolicyServerHarness(metrics: true);
        var request = "GET /metrics HTTP/1.1\r\nX-Pad: " + new string('a', PolicyServerMetrics.MaxHeadLength) + "\r\n\r\n";

        // Act
        var response = await RequestAsync(harness.Server.MetricsEndpoint!, request[..PolicyServerMetrics.MaxHeadLength], harness.Token);

        // Assert
        Assert.StartsWith("HTTP/1.1 400 ", response, StringComparison.Ordinal);
    }

    /// <summary>Sends the raw request, then reads the response until the server closes the connection.</summary>
    private static async Task<string> RequestAsync(IPEndPoint endpoint, string request, CancellationToken cancellationToken)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint, cancellationToken);
        await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, cancellationToken);
        var response = new StringBuilder();
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
        {
            response.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return response.ToString();
    }
}
