using System;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using LinkSecure.Core.Relay;
using Xunit;

namespace LinkSecure.Cli.Tests;

public class PolicyServerTests
{
    private const string GoodEnforce = "OK secure match=mx1.good-enforce.example:mx2.good-enforce.example servername=hostname";

    [Fact]
    public async Task Lookup_KnownKeys_AnswersFromTheResponder()
    {
        // Arrange
        await using var harness = new PolicyServerHarness();
        using var client = await harness.ConnectAsync();

        // Act
        var hit = await client.LookupAsync("postfix good-enforce.example");
        var miss = await client.LookupAsync("postfix plain.example");
        var dane = await client.LookupAsync("linksecure dane.example");
        var temp = await client.LookupAsync("linksecure broken.example");

        // Assert
        Assert.Equal(GoodEnforce, hit);
        Assert.Equal("NOTFOUND ", miss);
        Assert.Equal("OK dane-only", dane);
        Assert.Equal("TEMP DNS lookup failed", temp);
    }

    [Fact]
    public async Task Lookup_OneBytePerWrite_AnsweredOnceComplete()
    {
        // Arrange
        await using var harness = new PolicyServerHarness();
        using var client = await harness.ConnectAsync();
        var request = Netstring.Encode("postfix good-enforce.example");

        // Act
        foreach (var b in request)
        {
            await client.SendAsync(new[] { b });
        }

        var reply = await client.ReadReplyAsync();

        // Assert
        Assert.Equal(GoodEnforce, reply);
    }

    [Fact]
    public async Task Lookup_PipelinedInOneWrite_AnsweredInOrder()
    {
        // Arrange
        await using var harness = new PolicyServerHarness();
        using var client = await harness.ConnectAsync();
        var keys = new[] { "postfix good-enforce.example", "linksecure dane.example", "postfix plain.example", "nosuch x.example", "linksecure broken.example" };

        // Act
        await client.SendAsync(string.Concat(keys.Select(k => Encoding.UTF8.GetString(Netstring.Encode(k)))));
        var replies = new string?[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            replies[i] = await client.ReadReplyAsync();
        }

        // Assert
        Assert.Equal(new[] { GoodEnforce, "OK dane-only", "NOTFOUND ", "PERM unknown map", "TEMP DNS lookup failed" }, replies);
        Assert.Equal(5, harness.Server.Counters.Lookups);
    }

    [Fact]
    public async Task Lookup_PipelinedBeforeAMiss_EarlierRepliesSentWhileTheMissResolves()
    {
        // Arrange
        await using var harness = new PolicyServerHarness();
        using var client = await harness.ConnectAsync();

        // Act: a cached answer and a slow one in one write; the first reply is read before the slow one is released.
        await client.SendAsync(Encoding.UTF8.GetString(Netstring.Encode("linksecure dane.example")) + Encoding.UTF8.GetString(Netstring.Encode("postfix slow.example")));
        await harness.Responder.SlowStarted.Task.WaitAsync(harness.Token);
        var first = await client.ReadReplyAsync();
        harness.Responder.Release();
        var second = await client.ReadReplyAsync();

        // Assert
        Assert.Equal("OK dane-only", first);
        Assert.Equal("OK secure", second);
    }

    [Theory]
    [InlineData("nosuch good-enforce.example", "PERM unknown map")]
    [InlineData("Postfix good-enforce.example", "PERM unknown map")]
    [InlineData("postfix", "PERM empty key")]
    [InlineData("postfix ", "PERM empty key")]
    [InlineData("", "PERM unknown map")]
    public async Task Lookup_UnknownMapOrEmptyKey_Perm(string request, string expected)
    {
        // Arrange
        await using var harness = new PolicyServerHarness();
        using var client = await harness.ConnectAsync();

        // Act
        var reply = await client.LookupAsync(request);
        var after = await client.LookupAsync("linksecure dane.example");

        // Assert
        Assert.Equal(expected, reply);
        Assert.Equal("OK dane-only", after);
    }

    [Fact]
    public async Task Lookup_ResponderThrows_TempAndTheConnectionGoesOn()
    {
        // Arrange
        await using var harness = new PolicyServerHarness();
        using var client = await harness.ConnectAsync();

        // Act
        var reply = await client.LookupAsync("linksecure fault.example");
        var after = await client.LookupAsync("linksecure dane.example");

        // Assert
        Assert.Equal("TEMP lookup failed", reply);
        Assert.Equal("OK dane-only", after);
        Assert.Contains("responder fault", harness.LogText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postfix good-enforce.example,")]
    [InlineData("2x:ab,")]
    [InlineData("28:postfix good-enforce.example;")]
    [InlineData("028:postfix good-enforce.example,")]
    [InlineData("99999999999:")]
    [InlineData("10001:")]
    public async Task Lookup_BadNetstring_ClosesWithoutReplyAndServesNewConnections(string raw)
    {
        // Arrange
        await using var harness = new PolicyServerHarness();
        using var bad = await harness.ConnectAsync();

        // Act
        await bad.SendAsync(Encoding.ASCII.GetBytes("23:linksecure dane.example," + raw));
        var first = await bad.ReadReplyAsync();
        var second = await bad.ReadReplyAsync();
        using var good = await harness.ConnectAsync();
        var fresh = await good.LookupAsync("linksecure dane.example");

        // Assert
        Assert.Equal("OK dane-only", first);
        Assert.Null(second);
        Assert.Equal("OK dane-only", fresh);
        Assert.Equal(1, harness.Server.Counters.ProtocolErrors);
    }

    [Fact]
    public async Task Lookup_64ConnectionsEach50Lookups_AllAnsweredRight()
    {
        // Arrange
        await using var harness = new PolicyServerHarness();
        var requests = new[] { ("postfix good-enforce.example", GoodEnforce), ("linksecure dane.example", "OK dane-only"), ("postfix plain.example", "NOTFOUND "), ("other x.example", "PERM unknown map") };

        // Act
        var results = await Task.WhenAll(Enumerable.Range(0, 64).Select(async c =>
        {
            using var client = await harness.ConnectAsync();
            var wrong = 0;
            for (var i = 0; i < 50; i++)
            {
                var (request, expected) = requests[(c + i) % requests.Length];
                if (await client.LookupAsync(request) != expected)
                {
                    wrong++;
                }
            }

            return wrong;
        }));

        // Assert
        Assert.All(results, wrong => Assert.Equal(0, wrong));
        Assert.Equal(64 * 50, harness.Server.Counters.Lookups);
        Assert.Equal(64, harness.Server.Counters.Connections);
    }

    [Fact]
    public async Task Connections_BeyondTheLimit_ClosedAtOnceWhileTheOthersAreServed()
    {
        // Arrange: two connections served (each has answered), a third beyond the limit of two.
        await using var harness = new PolicyServerHarness(maxConnections: 2);
        using var first = await harness.ConnectAsync();
        using var second = await harness.ConnectAsync();
        var firstReply = await first.LookupAsync("linksecure dane.example");
        var secondReply = await second.LookupAsync("linksecure dane.example");

        // Act
        using var third = await harness.ConnectAsync();
        await third.SendAsync(Netstring.Encode("linksecure dane.example"));
        var thirdReply = await third.ReadReplyAsync();
        var firstAgain = await first.LookupAsync("postfix plain.example");

        // Assert
        Assert.Equal("OK dane-only", firstReply);
        Assert.Equal("OK dane-only", secondReply);
        Assert.Null(thirdReply);
        Assert.Equal("NOTFOUND ", firstAgain);
        Assert.Equal(1, harness.Server.Counters.RefusedConnections);
        Assert.Equal(2, harness.Server.Counters.Connections);
    }

    [Fact]
    public async Task LogLookups_OneLinePerLookup()
    {
        // Arrange
        await using var harness = new PolicyServerHarness(logLookups: true);
        using var client = await harness.ConnectAsync();

        // Act
        await client.LookupAsync("linksecure dane.example");
        await client.LookupAsync("postfix plain.example");

        // Assert
        var lines = harness.LogText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains("linksecure dane.example -> OK dane-only", lines[0], StringComparison.Ordinal);
        Assert.Contains("postfix plain.example -> NOTFOUND ", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task StopAsync_AnswerInFlight_FinishesItThenRefusesConnections()
    {
        // Arrange
        await using var harness = new PolicyServerHarness();
        using var idle = await harness.ConnectAsync();
        using var busy = await harness.ConnectAsync();
        await busy.SendAsync(Netstring.Encode("postfix slow.example"));
        await harness.Responder.SlowStarted.Task.WaitAsync(harness.Token);

        // Act
        var stop = harness.Server.StopAsync(TimeSpan.FromSeconds(30));
        await WaitUntilRefusedAsync(harness);
        var idleClosed = await idle.ReadReplyAsync();
        var stoppedEarly = stop.IsCompleted;
        harness.Responder.Release();
        var answer = await busy.ReadReplyAsync();
        await stop.WaitAsync(harness.Token);
        var busyAfter = await busy.ReadReplyAsync();

        // Assert
        Assert.Null(idleClosed);
        Assert.False(stoppedEarly);
        Assert.Equal("OK secure", answer);
        Assert.Null(busyAfter);
        Assert.False(harness.Responder.Cancelled.Task.IsCompleted);
    }

    [Fact]
    public async Task StopAsync_GraceRunsOut_CancelsTheAnswerAndCloses()
    {
        // Arrange
        await using var harness = new PolicyServerHarness();
        using var busy = await harness.ConnectAsync();
        await busy.SendAsync(Netstring.Encode("postfix slow.example"));
        await harness.Responder.SlowStarted.Task.WaitAsync(harness.Token);

        // Act
        await harness.Server.StopAsync(TimeSpan.Zero).WaitAsync(harness.Token);
        var reply = await busy.ReadReplyAsync();

        // Assert
        Assert.True(harness.Responder.Cancelled.Task.IsCompleted);
        Assert.Null(reply);
    }

    private static async Task WaitUntilRefusedAsync(PolicyServerHarness harness)
    {
        while (true)
        {
            try
            {
                using var probe = await harness.ConnectAsync();
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                // Queued in the backlog as the listening socket closed: the next attempt is refused.
            }

            await Task.Delay(10, harness.Token);
        }
    }
}
