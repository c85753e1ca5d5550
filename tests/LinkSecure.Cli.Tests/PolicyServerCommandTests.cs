using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace LinkSecure.Cli.Tests;

public partial class PolicyServerCommandTests
{
    [Theory]
    [InlineData("127.0.0.1:8461", "127.0.0.1:8461")]
    [InlineData("127.0.0.2:0", "127.0.0.2:0")]
    [InlineData("[::1]:8461", "[::1]:8461")]
    [InlineData(" 127.0.0.1:25 ", "127.0.0.1:25")]
    public void ParseEndpoint_LoopbackWithPort_Parsed(string text, string expected)
    {
        // Act
        var endpoint = PolicyServerCommand.ParseEndpoint(text, "--listen", remote: false);

        // Assert
        Assert.Equal(expected, endpoint.ToString());
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost:8461")]
    [InlineData("::1:8461")]
    [InlineData("[127.0.0.1]:8461")]
    [InlineData("127.0.0.1:65536")]
    [InlineData("127.0.0.1:-1")]
    [InlineData(":8461")]
    public void ParseEndpoint_NotIpAndPort_UsageError(string text)
    {
        // Act
        var ex = Assert.Throws<UsageException>(() => PolicyServerCommand.ParseEndpoint(text, "--listen", remote: true));

        // Assert
        Assert.Contains("is not IP:PORT", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("192.0.2.1:8461")]
    [InlineData("0.0.0.0:8461")]
    [InlineData("[::]:8461")]
    public void ParseEndpoint_RemoteWithoutAllowRemote_UsageErrorNamingTheOption(string text)
    {
        // Act
        var refused = Assert.Throws<UsageException>(() => PolicyServerCommand.ParseEndpoint(text, "--listen", remote: false));
        var allowed = PolicyServerCommand.ParseEndpoint(text, "--listen", remote: true);

        // Assert
        Assert.Contains("--allow-remote", refused.Message, StringComparison.Ordinal);
        Assert.Equal(IPEndPoint.Parse(text), allowed);
    }

    [Theory]
    [InlineData("--listen", "192.0.2.1:8461", "--allow-remote")]
    [InlineData("--metrics", "192.0.2.1:9100", "--allow-remote")]
    [InlineData("--listen", "somewhere", "is not IP:PORT")]
    public async Task Run_BadAddress_ExitsUsage(string option, string value, string message)
    {
        // Act
        var (code, _, error) = await CliRunner.RunAsync("policy-server", option, value, "--offline");

        // Assert
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_PortInUse_ExitsRuntimeFailure()
    {
        // Arrange
        await using var harness = new PolicyServerHarness();

        // Act
        var (code, _, error) = await CliRunner.RunAsync("policy-server", "--listen", harness.Endpoint.ToString(), "--offline");

        // Assert
        Assert.Equal(ExitCodes.RuntimeFailure, code);
        Assert.Contains("cannot listen on " + harness.Endpoint, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_Sigterm_AnswersThenStopsGracefullyWithExitZero()
    {
        // Arrange: the real command in a child process, on a free loopback port.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var info = new ProcessStartInfo(dotnet) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "linksecure.dll"), "policy-server", "--listen", "127.0.0.1:0", "--offline", "--log-lookups" })
        {
            info.ArgumentList.Add(argument);
        }

        var error = new StringBuilder();
        var listening = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = new Process { StartInfo = info };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new IOException("The server ended before listening: " + error));
                return;
            }

            lock (error)
            {
                error.AppendLine(e.Data);
            }

            var match = ListeningLine().Match(e.Data);
            if (match.Success)
            {
                listening.TrySetResult(IPEndPoint.Parse(match.Groups[1].Value));
            }
        };
        process.Start();
        process.BeginErrorReadLine();
        try
        {
            var endpoint = await listening.Task.WaitAsync(timeout.Token);
            string reply;
            using (var client = await SocketmapClient.ConnectAsync(endpoint, timeout.Token))
            {
                reply = await client.LookupAsync("nosuch example.org");
            }

            // Act
            Assert.Equal(0, await TerminateAsync(process.Id, timeout.Token));
            await process.WaitForExitAsync(timeout.Token);

            // Assert
            Assert.Equal("PERM unknown map", reply);
            Assert.Equal(ExitCodes.Ok, process.ExitCode);
            string log;
            lock (error)
            {
                log = error.ToString();
            }

            Assert.Contains("nosuch example.org -> PERM unknown map", log, StringComparison.Ordinal);
            Assert.Contains("stopped after 1 lookups", log, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>Sends SIGTERM, as systemd does on stop, through kill(1).</summary>
    private static async Task<int> TerminateAsync(int pid, CancellationToken cancellationToken)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        await kill.WaitForExitAsync(cancellationToken);
        return kill.ExitCode;
    }

    [GeneratedRegex(@"listening on (\S+)$")]
    private static partial Regex ListeningLine();
}
