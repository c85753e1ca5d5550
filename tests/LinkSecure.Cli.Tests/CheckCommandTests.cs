using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Json.Schema;
using LinkSecure.TestSupport.Network;
using LinkSecure.TestSupport.Probing;
using Xunit;

namespace LinkSecure.Cli.Tests;

// One collection with the console tests: the CLI runs in-process with a redirected console.
[Collection("console")]
public class CheckCommandTests : IClassFixture<CheckFixture>
{
    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromFile(CliRunner.RepositoryFile("docs", "schemas", "check-output.schema.json")));
    private readonly CheckFixture fixture;

    public CheckCommandTests(CheckFixture fixture)
    {
        this.fixture = fixture;
    }

    [Fact]
    public async Task Postfix_WithMtaStsEnforce_IsLevel1AndSecure_RecordsWithDefaultTtl()
    {
        // Arrange
        var domain = fixture.Domain("postfix", CheckFixture.PostfixHost);
        fixture.Network.PublishMtaSts(domain, "p1", PolicyResponse.Policy("enforce", 86400, "*.postfix.test"));
        var config = fixture.WriteConfig(out var store);

        // Act
        var (code, output, error) = await CliRunner.RunAsync(fixture.Args(config, fixture.Postfix.Port, domain, "--learned-ttl", "3600"));

        // Assert
        Assert.True(code == 0, output + error + fixture.Postfix.Log());
        var first = output.Split('\n')[0];
        Assert.StartsWith(domain + ": level 1, meets required level 1; tagged level-1 mail: Secure via", first);
        Assert.EndsWith("1/1 MX addresses TLS-authenticated", first);
        Assert.Contains("MTA-STS:   policy id p1 (fetched now): mode enforce, max_age 86400, mx *.postfix.test", output);
        Assert.Matches(@"mx\.postfix\.test \(10\)\s+127\.0\.0\.1:\d+\s+TlsAuthenticated\s+TLSv1\.[23] TLS_\S+\s+valid\s+not checked\s+match", output);
        Assert.Contains("SNI mx.postfix.test", output);
        Assert.Contains("recorded 1 host(s) in " + store, output);
        using var learned = JsonDocument.Parse(File.ReadAllText(store));
        var host = learned.RootElement.GetProperty("hosts").EnumerateArray().Single(h => h.GetProperty("host").GetString() == CheckFixture.PostfixHost);
        Assert.True(host.GetProperty("startTls").GetBoolean());
        Assert.True(host.GetProperty("certificateValid").GetBoolean());
        Assert.Equal(TimeSpan.FromSeconds(3600), host.GetProperty("expires").GetDateTimeOffset() - host.GetProperty("observed").GetDateTimeOffset());
        Assert.Contains("Summary: 1 domain(s) checked", output);
    }

    [Fact]
    public async Task NoStartTls_IsBelow_Bounces5710_Exit1()
    {
        // Arrange
        using var server = TestSmtpServer.Start(new SmtpBehaviour { OfferStartTls = false });
        var domain = fixture.Domain("plain");
        var config = fixture.WriteConfig(out var store);

        // Act
        var (code, output, _) = await CliRunner.RunAsync(fixture.Args(config, server.Port, domain));

        // Assert
        Assert.Equal(1, code);
        Assert.StartsWith(domain + ": level 0, BELOW required level 1; tagged level-1 mail: Bounce 550 5.7.10", output);
        Assert.Contains("NoStartTls", output);
        Assert.Contains("STARTTLS not offered", output);
        Assert.Contains("no STARTTLS (or the handshake failed)", output);
        Assert.Contains("\"startTls\": false", File.ReadAllText(store));
    }

    [Fact]
    public async Task LinkSecureFromAnUnsignedMxSet_IsShownButNotCounted_Level0()
    {
        // Arrange: a PKIX-valid MX announcing LINKSECURE 2 and REQUIRETLS, found through unsigned DNS.
        var domain = fixture.Domain("declared");
        using var certificate = fixture.Network.Ca.Issue("mx." + domain);
        using var server = TestSmtpServer.Start(new SmtpBehaviour
        {
            Certificate = certificate,
            KeywordsAfterTls = new[] { "PIPELINING", "REQUIRETLS", "LINKSECURE 2 86400" },
        });
        var config = fixture.WriteConfig(out var store);

        // Act
        var (code, output, error) = await CliRunner.RunAsync(fixture.Args(config, server.Port, domain, "--require-level", "3"));

        // Assert: an attacker who forges the MX answer could run exactly this server, so nothing counts.
        Assert.Equal(1, code);
        Assert.StartsWith(domain + ": level 0, BELOW required level 3", output);
        Assert.Contains("REQUIRETLS, LINKSECURE 2 86400", output);
        Assert.Contains("LINKSECURE not counted: the host is not in an authenticated MX set", output);
        Assert.DoesNotContain("meets", output.Split('\n')[0]);
        Assert.True(error.Length == 0 || !error.Contains("Exception", StringComparison.Ordinal), error);
        using var learned = JsonDocument.Parse(File.ReadAllText(store));
        var host = learned.RootElement.GetProperty("hosts")[0];
        Assert.Equal(domain, host.GetProperty("domain").GetString());
        Assert.Equal(2, host.GetProperty("linkSecureLevel").GetInt32());
    }

    [Fact]
    public async Task LinkSecureFromASecureMxSet_InAnAuthenticatedSession_Counts_Level2()
    {
        // Arrange: the same server, but the MX RRset is DNSSEC-secure from the named validating resolver.
        var domain = fixture.Domain("declaredsigned");
        fixture.Network.Dns.MarkSecure(domain);
        using var certificate = fixture.Network.Ca.Issue("mx." + domain);
        using var server = TestSmtpServer.Start(new SmtpBehaviour
        {
            Certificate = certificate,
            KeywordsAfterTls = new[] { "PIPELINING", "REQUIRETLS", "LINKSECURE 2 86400" },
        });
        var config = fixture.WriteConfig(out var store);

        // Act
        var (code, output, error) = await CliRunner.RunAsync(fixture.Args(config, server.Port, domain, "--require-level", "2", "--validating-dns-server", fixture.Network.Dns.Address));

        // Assert: level 2 (REQUIRETLS does not lift it to 3: no route sends the REQUIRETLS parameter).
        Assert.True(code == 0, output + error);
        Assert.StartsWith(domain + ": level 2, meets required level 2", output);
        Assert.Contains("every MX announced LINKSECURE 2 or higher in an authenticated session", output);
        using var learned = JsonDocument.Parse(File.ReadAllText(store));
        var host = learned.RootElement.GetProperty("hosts")[0];
        Assert.True(host.GetProperty("requireTls").GetBoolean());
        Assert.Equal(TimeSpan.FromSeconds(86400), host.GetProperty("expires").GetDateTimeOffset() - host.GetProperty("observed").GetDateTimeOffset());
    }

    [Fact]
    public async Task Json_ValidatesAgainstTheSchema_KeepsInputOrder_CountsTheSummary()
    {
        // Arrange
        using var expired = fixture.Network.Ca.Issue("mx.expired.test", DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
        using var server = TestSmtpServer.Start(new SmtpBehaviour { Certificate = expired });
        var bad = fixture.Domain("expired", "mx.expired.test");
        var good = fixture.Domain("good");
        fixture.Network.PublishMtaSts(good, "g1", PolicyResponse.Policy("testing", 600, "mx." + good));
        var config = fixture.WriteConfig(out _);

        // Act
        var (code, output, error) = await CliRunner.RunAsync(fixture.Args(config, server.Port, bad, good, "--json", "--concurrency", "2"));

        // Assert
        Assert.True(code == 1, output + error);
        using var doc = JsonDocument.Parse(output);
        var evaluation = Schema.Value.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(evaluation.IsValid, string.Join("\n", (evaluation.Details ?? new System.Collections.Generic.List<EvaluationResults>()).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => d.InstanceLocation + ": " + e.Value))));
        var domains = doc.RootElement.GetProperty("domains").EnumerateArray().ToArray();
        Assert.Equal(new[] { bad, good }, domains.Select(d => d.GetProperty("domain").GetString()));
        var probe = domains[0].GetProperty("mx").GetProperty("hosts")[0].GetProperty("probes")[0];
        Assert.Equal("TlsNotAuthenticated", probe.GetProperty("outcome").GetString());
        Assert.StartsWith("certificate expired", probe.GetProperty("tls").GetProperty("certificateProblem").GetString());
        Assert.Equal("below", domains[0].GetProperty("verdict").GetString());
        Assert.Equal("Bounce", domains[0].GetProperty("decision").GetProperty("decision").GetString());
        Assert.Equal("testing", domains[1].GetProperty("mtaSts").GetProperty("mode").GetString());
        var summary = doc.RootElement.GetProperty("summary");
        Assert.Equal(2, summary.GetProperty("domains").GetInt32());
        Assert.Equal(2, summary.GetProperty("below").GetInt32());
        Assert.Equal(2, summary.GetProperty("levels").GetProperty("0").GetInt32());
    }

    [Fact]
    public async Task UnwritableLearnedStore_IsReportedInTheSummary_Exit3()
    {
        // Arrange: the store's folder is a file, so the store cannot be written.
        var domain = fixture.Domain("unwritable");
        var config = fixture.WriteConfig(out var store);
        var blocker = Path.Combine(Path.GetDirectoryName(store)!, "blocker");
        File.WriteAllText(blocker, "not a folder");
        var unwritable = Path.Combine(blocker, "learned.json");

        // Act
        var (code, output, error) = await CliRunner.RunAsync(fixture.Args(config, fixture.Postfix.Port, domain, "--learned-store", unwritable, "--json"));
        var (textCode, text, _) = await CliRunner.RunAsync(fixture.Args(config, fixture.Postfix.Port, domain, "--learned-store", unwritable));

        // Assert
        Assert.True(code == 3, output + error);
        using var doc = JsonDocument.Parse(output);
        var evaluation = Schema.Value.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(evaluation.IsValid, output);
        Assert.Contains("could not be written", doc.RootElement.GetProperty("summary").GetProperty("learnedStoreError").GetString());
        Assert.False(File.Exists(unwritable));
        Assert.Equal(3, textCode);
        Assert.Contains("Learned store NOT written: ", text);
    }

    [Fact]
    public async Task DnsFailure_IsUnknown_Exit3()
    {
        // Arrange
        var domain = fixture.Network.NewDomain("servfail");
        fixture.Network.Dns.SetFault(domain, DnsFault.ServFail);
        var config = fixture.WriteConfig(out _);

        // Act
        var (code, output, _) = await CliRunner.RunAsync(fixture.Args(config, 1, domain));

        // Assert
        Assert.Equal(3, code);
        Assert.StartsWith(domain + ": level 0, UNKNOWN (lookup failed:", output);
        Assert.Contains("SERVFAIL", output);
        Assert.Contains("Defer", output);
    }

    [Fact]
    public async Task FromFile_ChecksEveryLine_ReportsInvalidLines_PlainProgressLines()
    {
        // Arrange
        using var server = TestSmtpServer.Start(new SmtpBehaviour { StartTlsReply = "454 4.7.0 TLS not available" });
        var one = fixture.Domain("file-a");
        var two = fixture.Domain("file-b");
        var config = fixture.WriteConfig(out _);
        var list = Path.Combine(fixture.Network.Directory, Guid.NewGuid().ToString("N") + ".txt");
        await File.WriteAllTextAsync(list, "# correspondents\n" + one + "\n\nnot a domain!\n" + two + "  # trailing comment\n");

        // Act
        var (code, output, error) = await CliRunner.RunAsync(fixture.Args(config, server.Port, "--from-file", list));

        // Assert
        Assert.Equal(2, code);
        Assert.Contains("line 4: 'not a domain!' is not a valid domain name; skipped", error);
        Assert.Contains("/3] " + one + ": below, level 0", error);
        Assert.Contains("STARTTLS refused: 454 4.7.0 TLS not available", output);
        Assert.True(output.IndexOf(one + ": level 0", StringComparison.Ordinal) < output.IndexOf(two + ": level 0", StringComparison.Ordinal));
        Assert.Contains("Summary: 2 domain(s) checked", output);
        Assert.Contains("1 invalid line(s) skipped", output);
    }

    [Fact]
    public async Task NoLearnedStore_SaysSoAndDoesNotRecord()
    {
        // Arrange
        using var server = TestSmtpServer.Start(new SmtpBehaviour { OfferStartTls = false });
        var domain = fixture.Domain("nostore");

        // Act
        var (code, output, _) = await CliRunner.RunAsync("check", domain, "--dns-server", fixture.Network.Dns.Address, "--smtp-port", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // Assert
        Assert.Equal(1, code);
        Assert.Contains("not recorded: no learned store is configured", output);
    }

    [Theory]
    [InlineData("check")]
    [InlineData("check", "not a domain")]
    [InlineData("check", "example.com", "--require-level", "7")]
    [InlineData("check", "example.com", "--concurrency", "0")]
    [InlineData("check", "example.com", "--dns-server", "127.0.0.1:99999")]
    [InlineData("check", "example.com", "--ca-file", "/nonexistent/ca.pem")]
    [InlineData("check", "--from-file", "/nonexistent/list.txt")]
    public async Task UsageErrors_Exit2(params string[] args)
    {
        // Act
        var (code, _, error) = await CliRunner.RunAsync(args);

        // Assert
        Assert.Equal(2, code);
        Assert.NotEmpty(error);
    }

    [Fact]
    public async Task Explain_UsesTheLiveResolverUnlessOffline()
    {
        // Arrange
        var domain = fixture.Domain("explain", CheckFixture.PostfixHost);
        fixture.Network.PublishMtaSts(domain, "e1", PolicyResponse.Policy("enforce", 86400, "*.postfix.test"));
        var message = Path.Combine(fixture.Network.Directory, Guid.NewGuid().ToString("N") + ".eml");
        await File.WriteAllTextAsync(message, "From: a@contoso.example\r\nTo: bob@" + domain + "\r\nLink-Security: level=1\r\nSubject: s\r\n\r\nbody\r\n");
        var config = fixture.WriteConfig(out _);

        // Act
        var live = await CliRunner.RunAsync("explain", message, "--config", config, "--dns-server", fixture.Network.Dns.Address, "--ca-file", fixture.Network.CaFile);
        var offline = await CliRunner.RunAsync("explain", message, "--config", config, "--offline");

        // Assert
        Assert.Equal(0, live.ExitCode);
        Assert.Contains("Secure via", live.Out);
        Assert.Contains("MtaSts: policy id e1", live.Out);
        Assert.Equal(0, offline.ExitCode);
        Assert.Contains("Bounce 550 5.7.30", offline.Out);
    }
}
