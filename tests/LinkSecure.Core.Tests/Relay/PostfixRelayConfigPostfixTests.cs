using System;
using System.Diagnostics;
using System.IO;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Relay;
using Xunit;

namespace LinkSecure.Core.Tests.Relay;

/// <summary>
/// Runs Debian's Postfix 3.7 on the generated configuration: <c>postconf</c> warns on stderr about every unknown or
/// invalid parameter, and <c>postfix check</c> checks the instance's directories. Nothing is started and no socket is
/// opened. Needs the postfix package; <c>postfix check</c> needs root (as the Postfix fixtures of the suite do).
/// </summary>
public sealed class PostfixRelayConfigPostfixTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "linksecure-relaycfg-" + Guid.NewGuid().ToString("N").Substring(0, 12));

    public PostfixRelayConfigPostfixTests()
    {
        Directory.CreateDirectory(Path.Combine(directory, "etc"));
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string Write(string[]? fingerprints = null, bool returnRoute = false)
    {
        var etc = Path.Combine(directory, "etc");
        var options = new PostfixRelayConfigOptions(System.Net.IPAddress.Loopback, 2525, "relay.example.com", new[] { "127.0.0.0/8", "::1" }, Path.Combine(etc, "relay.crt"), Path.Combine(etc, "relay.key"))
        {
            ClientCertificateFingerprints = fingerprints ?? Array.Empty<string>(),
            QueueDirectory = Path.Combine(directory, "queue"),
            DataDirectory = Path.Combine(directory, "data"),
        };
        var config = PostfixRelayConfig.Generate(LinkSecureSettings.Default, returnRoute ? PostfixRelayConfigTests.WithReturn(options) : options);
        File.WriteAllText(Path.Combine(etc, "main.cf"), config.MainCf);
        File.WriteAllText(Path.Combine(etc, "master.cf"), config.MasterCf);
        return etc;
    }

    private static (int ExitCode, string Out, string Error) Run(string file, params string[] arguments)
    {
        Assert.True(File.Exists(file), file + " is missing: install Debian's postfix (apt-get install postfix)");
        var info = new ProcessStartInfo(file, string.Join(" ", arguments)) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            Assert.Fail(file + " did not finish within 30 s");
        }

        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }

    [Fact]
    public void Postconf_MainCf_EveryParameterKnownAndValid()
    {
        // Arrange
        var etc = Write(new[] { new string('a', 64) });

        // Act
        var result = Run("/usr/sbin/postconf", "-c", etc, "-n");

        // Assert
        Assert.Equal(string.Empty, result.Error);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("smtp_tls_policy_maps = socketmap:inet:127.0.0.1:8461:linksecure", result.Out);
    }

    [Fact]
    public void Postconf_MasterCf_EveryServiceParsed()
    {
        // Arrange
        var etc = Write();

        // Act
        var result = Run("/usr/sbin/postconf", "-c", etc, "-M");

        // Assert
        Assert.Equal(string.Empty, result.Error);
        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("127.0.0.1:2525 inet", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Postmap_RelayClientcerts_FindsTheFingerprint()
    {
        // Arrange
        var etc = Write(new[] { new string('a', 64) });
        var table = Run("/usr/sbin/postconf", "-c", etc, "-h", "-x", "relay_clientcerts").Out.Trim();
        var fingerprint = string.Join(":", System.Linq.Enumerable.Repeat("AA", 32));

        // Act
        var result = Run("/usr/sbin/postmap", "-q", fingerprint, "\"" + table + "\"");

        // Assert
        Assert.Equal(string.Empty, result.Error);
        Assert.Equal("exchange", result.Out.Trim());
    }

    [Fact]
    public void PostfixCheck_PrivateInstance_Passes()
    {
        // Arrange
        var etc = Write(new[] { new string('a', 64) });
        Directory.CreateDirectory(Path.Combine(directory, "queue"));
        Directory.CreateDirectory(Path.Combine(directory, "data"));

        // Act
        var result = Run("/usr/sbin/postfix", "-c", etc, "check");

        // Assert
        Assert.Equal(string.Empty, result.Error);
        Assert.Equal(0, result.ExitCode);
        Assert.True(Directory.Exists(Path.Combine(directory, "queue", "incoming")), "postfix check creates the queue of the private instance");
    }

    [Fact]
    public void Postconf_ReturnRoute_ServiceOverridesParsedAndTransportTableFindsOnlyTheOrganisation()
    {
        // Arrange
        var etc = Write(returnRoute: true);
        var table = Run("/usr/sbin/postconf", "-c", etc, "-h", "-x", "transport_maps").Out.Trim();

        // Act
        var services = Run("/usr/sbin/postconf", "-c", etc, "-P");
        var domain = Run("/usr/sbin/postmap", "-q", "contoso.example", "\"" + table + "\"");
        var subdomains = Run("/usr/sbin/postmap", "-q", ".contoso.example", "\"" + table + "\"");
        var other = Run("/usr/sbin/postmap", "-q", "partner.example", "\"" + table + "\"");

        // Assert
        Assert.Equal(string.Empty, services.Error);
        Assert.Contains("linksecure-return/unix/smtp_tls_security_level = secure", services.Out, StringComparison.Ordinal);
        Assert.Contains("linksecure-return/unix/smtp_tls_secure_cert_match = mail.contoso.example:.contoso.example", services.Out, StringComparison.Ordinal);
        Assert.Contains("linksecure-return/unix/smtp_tls_policy_maps =", services.Out, StringComparison.Ordinal);
        Assert.Equal("linksecure-return:[exch1.contoso.example]:25 [192.0.2.7]:25 [ipv6:2001:db8::7]:25", domain.Out.Trim());
        Assert.Equal(domain.Out, subdomains.Out);
        Assert.Equal(1, other.ExitCode);
        Assert.Equal(string.Empty, other.Out);
    }
}
