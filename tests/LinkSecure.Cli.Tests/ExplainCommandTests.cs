using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Xunit;

namespace LinkSecure.Cli.Tests;

[Collection("console")]
public class ExplainCommandTests
{
    private static readonly string Sample = CliRunner.RepositoryFile("samples", "invoice-safe-part.eml");
    private static readonly string SampleConfig = CliRunner.RepositoryFile("samples", "sample-config.json");

    [Fact]
    public async Task Sample_PrintsOneRowPerRecipientWithDecisions()
    {
        // Act
        var (code, output, _) = await CliRunner.RunAsync("explain", "--offline", Sample, "--config", SampleConfig);

        // Assert
        Assert.Equal(0, code);
        Assert.Contains("level=1; fallback=safe-part", output);
        var rows = output.Split('\n');
        Assert.Contains(rows, r => r.StartsWith("alice@gmail.com") && r.Contains("Secure via linksecure-dv.invalid"));
        Assert.Contains(rows, r => r.StartsWith("bob@smallshop.example") && r.Contains("Downgrade"));
        Assert.Contains(rows, r => r.StartsWith("dave@contoso.example") && r.Contains("internal recipient"));
        Assert.Contains(rows, r => r.StartsWith("erin@legacy-partner.example") && r.Contains("Downgrade"));
        Assert.Contains("administrator override: never link-secure", output);
    }

    [Fact]
    public async Task Json_HasDocumentedShape()
    {
        // Act
        var (code, output, _) = await CliRunner.RunAsync("explain", "--offline", Sample, "--config", SampleConfig, "--json", "--rcpt", "alice@gmail.com", "--rcpt", "bob@smallshop.example");

        // Assert
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal("<invoice-2026-11-0042@contoso.example>", root.GetProperty("messageId").GetString()!.Trim());
        Assert.Equal(1, root.GetProperty("request").GetProperty("level").GetInt32());
        Assert.Equal("safe-part", root.GetProperty("request").GetProperty("fallback").GetString());
        var recipients = root.GetProperty("recipients").EnumerateArray().ToArray();
        Assert.Equal(2, recipients.Length);
        Assert.Equal("Secure", recipients[0].GetProperty("decision").GetString());
        Assert.Equal("linksecure-dv.invalid", recipients[0].GetProperty("route").GetProperty("routingDomain").GetString());
        Assert.Equal("KnownDomainDatabase", recipients[0].GetProperty("profile").GetProperty("evidence")[0].GetProperty("source").GetString());
        Assert.Equal("Downgrade", recipients[1].GetProperty("decision").GetString());
        Assert.Equal(0, recipients[1].GetProperty("level").GetInt32());
    }

    [Fact]
    public async Task BounceRequest_ShowsStatusAndSenderExplanation()
    {
        // Arrange
        var path = Path.GetTempFileName();
        await File.WriteAllTextAsync(path, "From: a@contoso.example\r\nTo: x@unknown.example\r\nLink-Security: level=2\r\nSubject: s\r\n\r\nbody\r\n");
        try
        {
            // Act
            var (code, output, _) = await CliRunner.RunAsync("explain", "--offline", path);

            // Assert
            Assert.Equal(0, code);
            Assert.Contains("Bounce 550 5.7.30", output);
            Assert.Contains("sender sees: Your message was not delivered to x@unknown.example", output);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task MissingMessage_Exit4()
    {
        // Act
        var (code, _, error) = await CliRunner.RunAsync("explain", "--offline", "/nonexistent/message.eml", "--rcpt", "a@example.com");

        // Assert
        Assert.Equal(4, code);
        Assert.Contains("cannot read the message", error);
    }

    [Fact]
    public async Task InvalidConfig_Exit2WithJsonPath()
    {
        // Arrange
        var config = Path.GetTempFileName();
        await File.WriteAllTextAsync(config, """{ "defer": { "retryMinutes": 0 } }""");
        try
        {
            // Act
            var (code, _, error) = await CliRunner.RunAsync("explain", "--offline", Sample, "--config", config);

            // Assert
            Assert.Equal(2, code);
            Assert.Contains("$.defer.retryMinutes", error);
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Theory]
    [InlineData("explain")]
    [InlineData("explain", "a.eml", "--no-such-option")]
    [InlineData("no-such-command")]
    public async Task UsageErrors_Exit2(params string[] args)
    {
        // Act
        var (code, _, error) = await CliRunner.RunAsync(args);

        // Assert
        Assert.Equal(2, code);
        Assert.NotEmpty(error);
    }

    [Fact]
    public async Task ExtraDatabase_EntryWithPinnedNames_GivesTheAuthenticatedDomainValidationRoute()
    {
        // Arrange
        var db = Path.GetTempFileName();
        await File.WriteAllTextAsync(db, """{ "version": 1, "domains": [ { "domain": "smallshop.example", "level": 2, "mx": [ "*.mx.smallshop.example" ], "source": "test" } ] }""");
        try
        {
            // Act
            var (code, output, _) = await CliRunner.RunAsync("explain", "--offline", Sample, "--db", db, "--rcpt", "bob@smallshop.example");

            // Assert
            Assert.Equal(0, code);
            Assert.Contains("Secure via linksecure-dv.invalid (DomainValidation, *.mx.smallshop.example)", output);
        }
        finally
        {
            File.Delete(db);
        }
    }

    [Fact]
    public async Task ExtraDatabase_EntryWithoutPinnedNames_GivesNoSecureDecision()
    {
        // Arrange
        var db = Path.GetTempFileName();
        await File.WriteAllTextAsync(db, """{ "version": 1, "domains": [ { "domain": "smallshop.example", "level": 2, "source": "test" } ] }""");
        try
        {
            // Act
            var (code, output, _) = await CliRunner.RunAsync("explain", "--offline", Sample, "--db", db, "--rcpt", "bob@smallshop.example");

            // Assert
            Assert.Equal(0, code);
            Assert.DoesNotContain("Secure via", output);
            Assert.Contains("pins no MX names", output);
        }
        finally
        {
            File.Delete(db);
        }
    }
}
