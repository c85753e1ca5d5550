using System;
using System.IO;
using System.Threading.Tasks;
using MimeKit;
using Xunit;

namespace LinkSecure.Cli.Tests;

[Collection("console")]
public sealed class DowngradeCommandTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("linksecure-downgrade-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Write(string name, string content)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, content.Replace("\n", "\r\n"));
        return path;
    }

    [Fact]
    public async Task Sample_WritesOnlyTheSafePartToAFile()
    {
        // Arrange
        var output = Path.Combine(dir, "out.eml");

        // Act
        var result = await CliRunner.RunAsync("downgrade", CliRunner.RepositoryFile("samples", "invoice-safe-part.eml"), "-o", output);
        var message = await MimeMessage.LoadAsync(output);
        var text = await File.ReadAllTextAsync(output);

        // Assert
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("A new document is waiting for you", message.Subject);
        Assert.Equal("manual downgrade (linksecure CLI)", message.Headers["Link-Security-Downgraded"]);
        Assert.Contains("Sign in at https://billing.contoso.example", message.TextBody);
        Assert.DoesNotContain("Amount due", text);
        Assert.DoesNotContain("invoice-2026-11-0042.pdf", text);
        Assert.DoesNotContain("Link-Security-Subject", text);
    }

    [Fact]
    public async Task NoSafePartAndNoTemplate_Exit3()
    {
        // Arrange
        var path = Write("plain.eml", "From: a@contoso.example\nTo: b@x.example\nSubject: s\nLink-Security: level=1; fallback=safe-part\n\nsecret body\n");

        // Act
        var result = await CliRunner.RunAsync("downgrade", path);

        // Assert
        Assert.Equal(3, result.ExitCode);
        Assert.DoesNotContain("secret body", result.Out);
        Assert.NotEmpty(result.Error);
    }

    [Fact]
    public async Task NoSafePartWithNoticeTemplate_WritesTheNotice()
    {
        // Arrange
        var path = Write("plain.eml", "From: a@contoso.example\nTo: b@x.example\nSubject: s\nMessage-ID: <m1@contoso.example>\n\nsecret body\n");
        var config = Write("config.json", """{ "downgrade": { "notice": { "text": "A message is waiting for you at {pickupUrl}.", "pickupUrl": "https://portal.contoso.example/pickup?id={messageId}" } } }""");
        var output = Path.Combine(dir, "notice.eml");

        // Act
        var result = await CliRunner.RunAsync("downgrade", path, "--config", config, "-o", output);
        var text = await File.ReadAllTextAsync(output);

        // Assert
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("https://portal.contoso.example/pickup?id=", text);
        Assert.DoesNotContain("secret body", text);
    }

    [Fact]
    public async Task UnreadableInput_Exit4()
    {
        // Act
        var result = await CliRunner.RunAsync("downgrade", Path.Combine(dir, "missing.eml"));

        // Assert
        Assert.Equal(4, result.ExitCode);
    }

    [Fact]
    public async Task InvalidConfig_Exit2()
    {
        // Arrange
        var config = Write("bad.json", """{ "downgrade": { "extraKeepHeaders": 5 } }""");

        // Act
        var result = await CliRunner.RunAsync("downgrade", CliRunner.RepositoryFile("samples", "invoice-safe-part.eml"), "--config", config);

        // Assert
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("$.downgrade.extraKeepHeaders", result.Error);
    }
}
