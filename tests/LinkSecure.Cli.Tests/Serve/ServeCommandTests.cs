using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace LinkSecure.Cli.Tests.Serve;

/// <summary>The <c>linksecure serve</c> command line: usage errors, and the real command in a child process over HTTPS
/// with a certificate of the test CA, stopped by SIGTERM.</summary>
[Collection("serve")]
public sealed partial class ServeCommandTests
{
    private const string ServiceName = "serve.test";

    private readonly ServeFixture fixture;

    public ServeCommandTests(ServeFixture fixture)
    {
        this.fixture = fixture;
    }

    [Theory]
    [InlineData("only on a loopback address", "--listen", "http://192.0.2.10:8080")]
    [InlineData("is not https://IP:PORT", "--listen", "ftp://127.0.0.1:21")]
    [InlineData("is not https://IP:PORT", "--listen", "https://127.0.0.1:8443/path")]
    [InlineData("must be an IP address", "--listen", "https://serve.example:8443")]
    [InlineData("needs --certificate", "--listen", "https://127.0.0.1:0")]
    [InlineData("does not exist", "--listen", "https://127.0.0.1:0", "--certificate", "/nonexistent/cert.pfx")]
    [InlineData("Outlook loads add-ins over HTTPS only", "--listen", "http://127.0.0.1:0", "--public-url", "http://serve.example")]
    [InlineData("not an absolute https:// URL", "--listen", "http://127.0.0.1:0", "--public-url", "https://serve.example/x?y")]
    [InlineData("is not an https:// origin", "--listen", "http://127.0.0.1:0", "--frame-ancestor", "https://a.example; script-src *")]
    [InlineData("works on Windows only", "--listen", "https://127.0.0.1:0", "--certificate-store-thumbprint", "00ff")]
    public async Task UsageError_Exit2WithTheReason(string reason, params string[] args)
    {
        // Act
        var (code, _, error) = await CliRunner.RunAsync(["serve", "--offline", .. args]);

        // Assert
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidStatusSettings_Exit2WithJsonPath()
    {
        // Arrange
        var config = fixture.WriteConfig("\"maxBatch\": 500");

        // Act
        var (code, _, error) = await CliRunner.RunAsync("serve", "--listen", "http://127.0.0.1:0", "--config", config);

        // Assert
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("$.status.maxBatch", error, StringComparison.Ordinal);
    }

    [Fact]
    public void SystemdUnit_ExecStartParsesAsAServeCommandLine()
    {
        // Arrange
        var unit = File.ReadAllLines(CliRunner.RepositoryFile("install-scripts", "linux", "linksecure-serve.service"));
        var execStart = Array.Find(unit, l => l.StartsWith("ExecStart=", StringComparison.Ordinal))!;
        var words = execStart.Substring("ExecStart=".Length).Split(' ', StringSplitOptions.RemoveEmptyEntries);

        // Act
        var parse = Program.BuildRootCommand().Parse(words[1..]);

        // Assert
        Assert.Equal("/opt/linksecure/linksecure", words[0]);
        Assert.Empty(parse.Errors);
        Assert.Equal("serve", parse.CommandResult.Command.Name);
        Assert.Contains("--certificate-key", words);
        Assert.Contains(unit, l => l == "KillSignal=SIGTERM");
        Assert.Contains(unit, l => l == "RestartPreventExitStatus=2");
        Assert.Contains(unit, l => l == "NoNewPrivileges=yes");
        Assert.Contains(unit, l => l == "ProtectSystem=strict");
    }

    [Fact]
    public async Task AddressInUse_Exit3()
    {
        // Arrange
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        // Act
        var (code, _, error) = await CliRunner.RunAsync("serve", "--offline", "--listen", "http://127.0.0.1:" + port);

        // Assert
        Assert.Equal(ExitCodes.RuntimeFailure, code);
        Assert.Contains("cannot listen on http://127.0.0.1:" + port, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Https_WithAPemCertificateOfTheTestCa_AnswersThenStopsGracefullyOnSigterm()
    {
        // Arrange: the real command in a child process on a free loopback port.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var directory = Path.GetDirectoryName(fixture.WriteConfig())!;
        var (certificate, key) = fixture.Network.Ca.WriteServerPem(ServiceName, directory);
        var domain = fixture.EnforceDomain();
        var config = fixture.WriteConfig();
        var error = new StringBuilder();
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = StartCli(error, listening, "serve", "--listen", "https://127.0.0.1:0", "--certificate", certificate, "--certificate-key", key, "--public-url", "https://" + ServiceName + ":8443", "--config", config);
        try
        {
            var port = await listening.Task.WaitAsync(timeout.Token);
            using var client = TrustingClient(port);

            // Act
            var answer = await client.GetStringAsync("https://" + ServiceName + ":" + port + "/api/v1/recipients?level=1&address=a%40" + domain, timeout.Token);
            var health = await client.GetAsync("https://" + ServiceName + ":" + port + "/healthz", timeout.Token);
            Assert.Equal(0, await TerminateAsync(process.Id, timeout.Token));
            await process.WaitForExitAsync(timeout.Token);

            // Assert
            using var document = JsonDocument.Parse(answer);
            Assert.Equal("Secure", document.RootElement.GetProperty("recipients")[0].GetProperty("decision").GetString());
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal("max-age=31536000", string.Join(",", health.Headers.GetValues("Strict-Transport-Security")));
            Assert.Equal(ExitCodes.Ok, process.ExitCode);
            string log;
            lock (error)
            {
                log = error.ToString();
            }

            Assert.Contains("public URL https://" + ServiceName + ":8443", log, StringComparison.Ordinal);
            Assert.Contains("stopped; queries=1 entries=1", log, StringComparison.Ordinal);
            Assert.DoesNotContain("a@" + domain, log, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>A client that reaches <see cref="ServiceName"/> at 127.0.0.1 and trusts the test CA only.</summary>
    private HttpClient TrustingClient(int port)
    {
        var root = fixture.Network.Ca.Root;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), token);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, CustomTrustStore = { root }, RevocationMode = X509RevocationMode.NoCheck },
            },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }

    private static Process StartCli(StringBuilder error, TaskCompletionSource<int> listening, params string[] args)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "linksecure.dll"));
        foreach (var argument in args)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new IOException("serve ended before listening: " + error));
                return;
            }

            lock (error)
            {
                error.AppendLine(e.Data);
            }

            if (ListeningPort().Match(e.Data) is { Success: true } match)
            {
                listening.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        process.Start();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Sends SIGTERM, as systemd does on stop.</summary>
    private static async Task<int> TerminateAsync(int pid, CancellationToken cancellationToken)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        await kill.WaitForExitAsync(cancellationToken);
        return kill.ExitCode;
    }

    [GeneratedRegex(@"serve: listening on https://127\.0\.0\.1:(\d+)$")]
    private static partial Regex ListeningPort();
}
