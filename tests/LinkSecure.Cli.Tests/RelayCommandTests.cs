using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace LinkSecure.Cli.Tests;

[Collection("console")]
public sealed class RelayCommandTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "linksecure-relaycmd-" + Guid.NewGuid().ToString("N").Substring(0, 12));

    public RelayCommandTests()
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Cert, "certificate");
        File.WriteAllText(Key, "key");
    }

    private string Cert => Path.Combine(directory, "relay.crt");

    private string Key => Path.Combine(directory, "relay.key");

    private string Out => Path.Combine(directory, "out");

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private Task<(int ExitCode, string Out, string Error)> RunAsync(params string[] extra) =>
        CliRunner.RunAsync(new[] { "relay", "config", "--out", Out, "--listen", "127.0.0.1:2525", "--hostname", "relay.example.com", "--cert", Cert, "--key", Key }.Concat(extra).ToArray());

    [Fact]
    public async Task Config_ValidArguments_WritesMainAndMasterCf()
    {
        // Act
        var result = await RunAsync("--exchange", "127.0.0.0/8", "--exchange", "::1", "--client-cert-fingerprint", new string('b', 64));

        // Assert
        Assert.Equal(0, result.ExitCode);
        var main = File.ReadAllText(Path.Combine(Out, "main.cf"));
        var master = File.ReadAllText(Path.Combine(Out, "master.cf"));
        Assert.Contains("\nmynetworks = 127.0.0.0/8 [::1]\n", main, StringComparison.Ordinal);
        Assert.Contains("\nsmtpd_relay_restrictions = permit_mynetworks, permit_tls_clientcerts, reject\n", main, StringComparison.Ordinal);
        Assert.Contains("\nsmtpd_tls_cert_file = " + Cert + "\n", main, StringComparison.Ordinal);
        Assert.Contains("\nmaximal_queue_lifetime = 240m\n", main, StringComparison.Ordinal);
        Assert.Contains("\n127.0.0.1:2525 inet ", master, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Out, "*.tmp"));
    }

    [Fact]
    public async Task Config_MaxDeferFromConfigFile_SetsQueueLifetime()
    {
        // Arrange
        var config = Path.Combine(directory, "LinkSecure.config.json");
        await File.WriteAllTextAsync(config, """{ "defer": { "maxDeferMinutes": 90 } }""");

        // Act
        var result = await RunAsync("--config", config, "--exchange", "192.0.2.10");

        // Assert
        Assert.Equal(0, result.ExitCode);
        var main = await File.ReadAllTextAsync(Path.Combine(Out, "main.cf"));
        Assert.Contains("\nmaximal_queue_lifetime = 90m\n", main, StringComparison.Ordinal);
        Assert.Contains("\nbounce_queue_lifetime = 90m\n", main, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_ExistingFiles_Replaced()
    {
        // Arrange
        Directory.CreateDirectory(Out);
        await File.WriteAllTextAsync(Path.Combine(Out, "main.cf"), "old");

        // Act
        var result = await RunAsync("--exchange", "192.0.2.10");

        // Assert
        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("# main.cf of the LinkSecure relay", await File.ReadAllTextAsync(Path.Combine(Out, "main.cf")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_NoExchange_UsageErrorAndNothingWritten()
    {
        // Act
        var result = await RunAsync();

        // Assert
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--exchange is required", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Out));
    }

    [Theory]
    [InlineData("0.0.0.0/0")]
    [InlineData("::/0")]
    public async Task Config_EveryAddress_UsageErrorAndNothingWritten(string network)
    {
        // Act
        var result = await RunAsync("--exchange", "192.0.2.10", "--exchange", network);

        // Assert
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("open relay", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Out));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:0")]
    [InlineData("::1:25")]
    [InlineData("relay:25")]
    public async Task Config_BadListen_UsageError(string value)
    {
        // Act
        var result = await CliRunner.RunAsync("relay", "config", "--out", Out, "--listen", value, "--hostname", "relay.example.com", "--cert", Cert, "--key", Key, "--exchange", "192.0.2.10");

        // Assert
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--listen", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_Ipv6Listen_Bracketed()
    {
        // Act
        var result = await CliRunner.RunAsync("relay", "config", "--out", Out, "--listen", "[::1]:2525", "--hostname", "relay.example.com", "--cert", Cert, "--key", Key, "--exchange", "::1");

        // Assert
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("\n[::1]:2525 inet ", await File.ReadAllTextAsync(Path.Combine(Out, "master.cf")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_MissingKey_UsageError()
    {
        // Arrange
        File.Delete(Key);

        // Act
        var result = await RunAsync("--exchange", "192.0.2.10");

        // Assert
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("relay.key does not exist", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_BadFingerprint_UsageErrorNamesIt()
    {
        // Act
        var result = await RunAsync("--exchange", "192.0.2.10", "--client-cert-fingerprint", "abcd");

        // Assert
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("'abcd' is not a SHA-256 fingerprint", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_ReturnHost_OrganisationDomainsFromInternalDomainsReturnToExchange()
    {
        // Arrange
        var config = Path.Combine(directory, "LinkSecure.config.json");
        await File.WriteAllTextAsync(config, """{ "internalDomains": ["contoso.example", "*.contoso.example"] }""");

        // Act
        var result = await RunAsync("--config", config, "--exchange", "192.0.2.10", "--return-host", "exch1.contoso.example", "--return-cert-name", "mail.contoso.example");

        // Assert
        Assert.Equal(0, result.ExitCode);
        var main = await File.ReadAllTextAsync(Path.Combine(Out, "main.cf"));
        var master = await File.ReadAllTextAsync(Path.Combine(Out, "master.cf"));
        Assert.Contains("\ntransport_maps = inline:{ { contoso.example = linksecure-return:[exch1.contoso.example]:25 }, { .contoso.example = linksecure-return:[exch1.contoso.example]:25 } }\n", main, StringComparison.Ordinal);
        Assert.Contains("\n        -o smtp_tls_secure_cert_match=mail.contoso.example\n", master, StringComparison.Ordinal);
        Assert.Contains("returns to exch1.contoso.example port 25 over TLS", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_ReturnDomainGiven_OverridesInternalDomainsAndPort()
    {
        // Act
        var result = await RunAsync("--exchange", "192.0.2.10", "--return-host", "192.0.2.7", "--return-port", "2525", "--return-cert-name", "*.contoso.example", "--return-domain", "contoso.example");

        // Assert
        Assert.Equal(0, result.ExitCode);
        var main = await File.ReadAllTextAsync(Path.Combine(Out, "main.cf"));
        Assert.Contains("\ntransport_maps = inline:{ { contoso.example = linksecure-return:[192.0.2.7]:2525 } }\n", main, StringComparison.Ordinal);
        Assert.Contains("smtp_tls_secure_cert_match=.contoso.example\n", await File.ReadAllTextAsync(Path.Combine(Out, "master.cf")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_ReturnHostWithoutCertNameOrDomains_UsageErrorAndNothingWritten()
    {
        // Act: no --return-cert-name, and no --return-domain nor internalDomains.
        var result = await RunAsync("--exchange", "192.0.2.10", "--return-host", "exch1.contoso.example");

        // Assert
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("the name on the Exchange servers' certificate", result.Error, StringComparison.Ordinal);
        Assert.Contains("the organisation's domains", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Out));
    }
}
