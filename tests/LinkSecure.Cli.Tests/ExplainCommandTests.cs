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
    public async Task Untagged_PassesWithoutLookingAnythingUp_LikeTheAgent()
    {
        // Arrange
        var path = Path.GetTempFileName();
        await File.WriteAllTextAsync(path, "From: a@contoso.example\r\nTo: x@gmail.com\r\nSubject: s\r\n\r\nbody\r\n");
        try
        {
            // Act
            var (code, output, _) = await CliRunner.RunAsync("explain", "--offline", path, "--json");

            // Assert: no profile was needed, so none is shown (docs/cli.md: LEVEL "-").
            Assert.Equal(0, code);
            using var doc = JsonDocument.Parse(output);
            var recipient = doc.RootElement.GetProperty("recipients")[0];
            Assert.Equal("Pass", recipient.GetProperty("decision").GetString());
            Assert.Equal("no link-security request", recipient.GetProperty("reason").GetString());
            Assert.Equal(JsonValueKind.Null, recipient.GetProperty("level").ValueKind);
            Assert.False(recipient.TryGetProperty("profile", out _));
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
    public async Task ExtraDatabase_LaterFileTakesPrecedence_EntryAugments_OnlyPinnedMxGivesAnAuthenticatedRoute()
    {
        // Arrange: the same domain in two extra databases, once with MX pins and once without.
        var pinned = Path.GetTempFileName();
        var unpinned = Path.GetTempFileName();
        await File.WriteAllTextAsync(pinned, """{ "version": 1, "domains": [ { "domain": "smallshop.example", "level": 2, "mx": [ "mx.smallshop.example" ], "source": "test pinned" } ] }""");
        await File.WriteAllTextAsync(unpinned, """{ "version": 1, "domains": [ { "domain": "smallshop.example", "level": 2, "source": "test unpinned" } ] }""");
        try
        {
            // Act
            var pinnedLast = await CliRunner.RunAsync("explain", "--offline", Sample, "--db", unpinned, "--db", pinned, "--rcpt", "bob@smallshop.example");
            var unpinnedLast = await CliRunner.RunAsync("explain", "--offline", Sample, "--db", pinned, "--db", unpinned, "--rcpt", "bob@smallshop.example");
            var json = await CliRunner.RunAsync("explain", "--offline", Sample, "--db", pinned, "--db", unpinned, "--rcpt", "bob@smallshop.example", "--json");

            // Assert: the pinned entry settles the level and pins the certificate name (DomainValidation).
            Assert.Equal(0, pinnedLast.ExitCode);
            Assert.Contains("test pinned", pinnedLast.Out);
            Assert.Contains("Secure via linksecure-dv.invalid (DomainValidation, mx.smallshop.example)", pinnedLast.Out);
            Assert.Contains("route:     linksecure-dv.invalid, TlsAuthLevel DomainValidation, TLS domain mx.smallshop.example; authenticates the server: yes", pinnedLast.Out);
            Assert.Contains("authenticated      KnownDomainDatabase:", pinnedLast.Out);

            // Assert: an entry without pins only augments; no route authenticates the server, so the fallback applies.
            Assert.Equal(0, unpinnedLast.ExitCode);
            Assert.Contains("test unpinned", unpinnedLast.Out);
            Assert.DoesNotContain("Secure via", unpinnedLast.Out);
            Assert.DoesNotContain("test pinned", unpinnedLast.Out);
            Assert.Contains(unpinnedLast.Out.Split('\n'), r => r.StartsWith("bob@smallshop.example") && r.Contains("Downgrade"));
            using var doc = JsonDocument.Parse(json.Out);
            var recipient = doc.RootElement.GetProperty("recipients")[0];
            Assert.Equal("Downgrade", recipient.GetProperty("decision").GetString());
            Assert.Contains(recipient.GetProperty("profile").GetProperty("evidence").EnumerateArray(), e => e.GetProperty("source").GetString() == "KnownDomainDatabase");
            if (recipient.TryGetProperty("route", out var route))
            {
                Assert.False(route.GetProperty("authenticates").GetBoolean());
            }
        }
        finally
        {
            File.Delete(pinned);
            File.Delete(unpinned);
        }
    }

    [Fact]
    public async Task Offline_EveryEmbeddedDomain_SecureOnlyViaDomainValidation()
    {
        // Arrange: one recipient per embedded database domain, tagged level=1 fallback=bounce.
        var domains = LinkSecure.Core.Database.KnownDomainDatabase.LoadEmbedded().Entries.Select(e => e.Domain).ToArray();
        var path = Path.GetTempFileName();
        await File.WriteAllTextAsync(path, "From: a@contoso.example\r\nTo: " + string.Join(", ", domains.Select(d => "postmaster@" + d)) + "\r\nLink-Security: level=1; fallback=bounce\r\nSubject: s\r\n\r\nbody\r\n");
        var expectSecure = new[] { "gmail.com", "google.com", "outlook.com", "hotmail.com", "protonmail.com", "comcast.net" };
        try
        {
            // Act
            var (code, output, error) = await CliRunner.RunAsync("explain", "--offline", path, "--json");

            // Assert
            Assert.True(code == 0, output + error);
            using var doc = JsonDocument.Parse(output);
            var recipients = doc.RootElement.GetProperty("recipients").EnumerateArray().ToDictionary(r => r.GetProperty("domain").GetString()!, r => r.Clone());
            Assert.Equal(domains.Length, recipients.Count);
            foreach (var (domain, r) in recipients)
            {
                var decision = r.GetProperty("decision").GetString();
                if (decision == "Secure")
                {
                    // Never Secure on a route that does not authenticate the server (RFC 8461 §4, docs/protocol.md §5).
                    var route = r.GetProperty("route");
                    Assert.True(route.GetProperty("kind").GetString() == "DomainValidation", domain + ": " + route);
                    Assert.Equal("DomainValidation", route.GetProperty("tlsAuthLevel").GetString());
                    Assert.True(route.GetProperty("authenticates").GetBoolean(), domain);
                    Assert.False(string.IsNullOrEmpty(route.GetProperty("tlsDomain").GetString()), domain);
                }

                if (expectSecure.Contains(domain))
                {
                    Assert.True(decision == "Secure", domain + ": " + r);
                }
                else
                {
                    // The entries without pins give no level on their own; microsoft.com's pins span two registrable
                    // domains, so no Exchange TLS domain covers them and its level 1 falls back for want of a route.
                    Assert.True(decision == "Bounce", domain + ": " + r);
                    Assert.Equal("550 5.7.30", r.GetProperty("status").GetString());
                    var pins = r.GetProperty("profile").GetProperty("mxPatterns").GetArrayLength() > 0;
                    Assert.Equal(pins, r.GetProperty("unauthenticatedRouteFallback").GetBoolean());
                    if (pins)
                    {
                        Assert.False(r.GetProperty("route").GetProperty("authenticates").GetBoolean(), domain);
                    }
                    else
                    {
                        Assert.Equal(0, r.GetProperty("level").GetInt32());
                    }
                }
            }

            Assert.Contains("microsoft.com", recipients.Keys);
            Assert.True(recipients["microsoft.com"].GetProperty("unauthenticatedRouteFallback").GetBoolean());
            Assert.Equal("CertificateValidation", recipients["microsoft.com"].GetProperty("route").GetProperty("kind").GetString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Text_ShowsTheRouteAndWhetherItAuthenticates()
    {
        // Arrange
        var path = Path.GetTempFileName();
        await File.WriteAllTextAsync(path, "From: a@contoso.example\r\nTo: a@gmail.com, b@microsoft.com\r\nLink-Security: level=1; fallback=bounce\r\nSubject: s\r\n\r\nbody\r\n");
        try
        {
            // Act
            var (code, output, _) = await CliRunner.RunAsync("explain", "--offline", path);

            // Assert
            Assert.Equal(0, code);
            Assert.Contains("route:     linksecure-dv.invalid, TlsAuthLevel DomainValidation, TLS domain *.l.google.com; authenticates the server: yes", output);
            Assert.Contains("TlsAuthLevel CertificateValidation, TLS domain (none); authenticates the server: no", output);
            Assert.Contains("fallback:  level 1 is met, but no route of this server authenticates the servers of microsoft.com", output);
            Assert.Contains("the mail servers of microsoft.com could not be verified from this server", output);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
