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
        Assert.StartsWith("Resolver:  ", output);
        Assert.Contains("\nDNSSEC:    self-test no validator", output);
        var first = CheckFixture.VerdictLine(output, domain);
        Assert.StartsWith(domain + ": level 1, meets required level 1; tagged level-1 mail: Secure via linksecure-dv.invalid (DomainValidation, *.postfix.test)", first);
        Assert.EndsWith("1/1 MX addresses TLS-authenticated", first);
        Assert.Contains("requires:  mx.postfix.test: MTA-STS: a certificate valid for mx.postfix.test, which matches the policy's mx names (RFC 8461 §4) [enforced policy] — met: TLS, certificate valid", output);
        Assert.Contains("route:     linksecure-dv.invalid, TlsAuthLevel DomainValidation, TLS domain *.postfix.test; authenticates the server: yes", output);
        Assert.Contains("relay:     linksecure map OK secure match=.postfix.test servername=hostname; postfix map OK secure match=.postfix.test servername=hostname", output);
        Assert.Contains("evidence:  authenticated      MtaSts: policy id p1", output);
        Assert.Contains("DNSSEC:    MX RRset not DNSSEC-secure; DANE not checked", output);
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
        var verdict = CheckFixture.VerdictLine(output, domain);
        Assert.StartsWith(domain + ": level 0, BELOW required level 1; tagged level-1 mail: Bounce 550 5.7.10", verdict);
        Assert.DoesNotContain("meets", verdict);
        Assert.Contains("NoStartTls", output);
        Assert.Contains("STARTTLS not offered", output);
        Assert.Contains("requires:  mx." + domain + ": STARTTLS with a certificate valid for mx." + domain + " (PKIX) — NOT met: no STARTTLS", output);
        Assert.Contains("\"startTls\": false", File.ReadAllText(store));
    }

    [Fact]
    public async Task LinkSecureKeyword_UnsignedMx_IsShownNotCounted_Level0_LearnedWithItsMaxAge()
    {
        // Arrange: a PKIX-valid session announcing LINKSECURE 2, but the MX RRset is not DNSSEC-secure, so an attacker
        // who forges the MX answer could present the same for their own name.
        var domain = fixture.Domain("declared");
        using var certificate = fixture.Network.Ca.Issue("mx." + domain);
        using var server = TestSmtpServer.Start(new SmtpBehaviour
        {
            Certificate = certificate,
            KeywordsAfterTls = new[] { "PIPELINING", "REQUIRETLS", "LINKSECURE 2 86400" },
        });
        var config = fixture.WriteConfig(out var store);

        // Act
        var (code, output, error) = await CliRunner.RunAsync(fixture.Args(config, server.Port, domain, "--require-level", "2"));

        // Assert
        Assert.True(code == 1, output + error);
        var verdict = CheckFixture.VerdictLine(output, domain);
        Assert.StartsWith(domain + ": level 0, BELOW required level 2", verdict);
        Assert.DoesNotContain("meets", verdict);
        Assert.Contains("REQUIRETLS, LINKSECURE 2 86400", output);
        Assert.Contains("not authenticated  LearnedCapabilities: mx." + domain, output);
        Assert.Contains("LINKSECURE not counted: the host is not in an authenticated MX set", output);
        Assert.DoesNotContain("every MX announced LINKSECURE", output);
        Assert.Contains("DNSSEC:    MX RRset not DNSSEC-secure", output);
        using var learned = JsonDocument.Parse(File.ReadAllText(store));
        var host = learned.RootElement.GetProperty("hosts")[0];
        Assert.Equal(2, host.GetProperty("linkSecureLevel").GetInt32());
        Assert.True(host.GetProperty("requireTls").GetBoolean());
        Assert.Equal(TimeSpan.FromSeconds(86400), host.GetProperty("expires").GetDateTimeOffset() - host.GetProperty("observed").GetDateTimeOffset());
    }

    [Fact]
    public async Task LinkSecureKeyword_SecureMxAndPkixValidSession_Counts_Level2_RequireTlsNotCounted()
    {
        // Arrange: the test DNS server is the named validator and the domain's answers carry AD (DNSSEC-secure MX
        // RRset); the session is PKIX-valid for the MX host, so the keyword is authenticated.
        var domain = fixture.Domain("declared-secure");
        fixture.Network.Dns.MarkSecure(domain);
        using var certificate = fixture.Network.Ca.Issue("mx." + domain);
        using var server = TestSmtpServer.Start(new SmtpBehaviour
        {
            Certificate = certificate,
            KeywordsAfterTls = new[] { "PIPELINING", "REQUIRETLS", "LINKSECURE 2 86400" },
        });
        var config = fixture.WriteConfig(out _);

        // Act
        var (code, output, error) = await CliRunner.RunAsync(fixture.Args(config, server.Port, domain, "--validating-dns-server", fixture.Network.Dns.Address, "--require-level", "2"));
        var three = await CliRunner.RunAsync(fixture.Args(config, server.Port, domain, "--validating-dns-server", fixture.Network.Dns.Address, "--require-level", "3"));

        // Assert
        Assert.True(code == 0, output + error);
        Assert.StartsWith(domain + ": level 2, meets required level 2; tagged level-1 mail: Secure via linksecure-dv.invalid (DomainValidation, mx." + domain + ")", CheckFixture.VerdictLine(output, domain));
        Assert.Contains("DNSSEC:    MX RRset DNSSEC-secure", output);
        Assert.Contains("authenticated      EhloKeyword: every MX announced LINKSECURE 2 or higher in an authenticated session", output);
        Assert.Contains("not counted toward level 3", output);
        Assert.Contains("authenticates the server: yes", output);

        // REQUIRETLS never counts (no route sends the REQUIRETLS parameter), so level 3 is not reached.
        Assert.True(three.ExitCode == 1, three.Out + three.Error);
        Assert.StartsWith(domain + ": level 2, BELOW required level 3", CheckFixture.VerdictLine(three.Out, domain));
    }

    [Fact]
    public async Task ForgedUnsignedDeclaration_NoStartTls_Level0_Bounces_SignedDeclarationDefeatedByTheObservation()
    {
        // Arrange: no learned store, only --dns-server; the only MX offers no STARTTLS; _linksecure declares level 3.
        using var server = TestSmtpServer.Start(new SmtpBehaviour { OfferStartTls = false });
        var forged = fixture.Domain("forged");
        fixture.Network.Dns.AddTxt("_linksecure." + forged, "v=LS1; level=3; max-age=86400");
        var signed = fixture.Domain("signed");
        fixture.Network.Dns.AddTxt("_linksecure." + signed, "v=LS1; level=3; max-age=86400");
        fixture.Network.Dns.MarkSecure(signed);
        var port = server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // Act
        var unsigned = await CliRunner.RunAsync("check", forged, "--dns-server", fixture.Network.Dns.Address, "--smtp-port", port, "--timeout", "10");
        var unsignedJson = await CliRunner.RunAsync("check", forged, "--dns-server", fixture.Network.Dns.Address, "--smtp-port", port, "--timeout", "10", "--json");
        var validated = await CliRunner.RunAsync("check", signed, "--dns-server", fixture.Network.Dns.Address, "--validating-dns-server", fixture.Network.Dns.Address, "--smtp-port", port, "--timeout", "10");

        // Assert: the forged declaration is shown, not counted.
        Assert.True(unsigned.ExitCode == 1, unsigned.Out + unsigned.Error);
        var verdict = CheckFixture.VerdictLine(unsigned.Out, forged);
        Assert.StartsWith(forged + ": level 0, BELOW required level 1; tagged level-1 mail: Bounce 550", verdict);
        Assert.DoesNotContain("meets", verdict);
        Assert.Contains("not authenticated  DeclaredRecord: _linksecure." + forged, unsigned.Out);
        Assert.Contains("not counted", unsigned.Out);
        using var doc = JsonDocument.Parse(unsignedJson.Out);
        var result = doc.RootElement.GetProperty("domains")[0];
        Assert.Equal(0, result.GetProperty("level").GetInt32());
        Assert.Equal("below", result.GetProperty("verdict").GetString());
        Assert.Equal("Bounce", result.GetProperty("decision").GetProperty("decision").GetString());
        Assert.False(result.GetProperty("mxSecure").GetBoolean());
        var declared = result.GetProperty("networkProfile").GetProperty("evidence").EnumerateArray().Single(e => e.GetProperty("source").GetString() == "DeclaredRecord");
        Assert.False(declared.GetProperty("authenticated").GetBoolean());
        Assert.Equal(0, declared.GetProperty("supportsLevel").GetInt32());

        // Assert: the signed declaration counts as evidence, but this run saw no STARTTLS on the MX, which defeats it.
        Assert.True(validated.ExitCode == 1, validated.Out + validated.Error);
        var signedVerdict = CheckFixture.VerdictLine(validated.Out, signed);
        Assert.StartsWith(signed + ": level 0, BELOW required level 1; tagged level-1 mail: Bounce 550 5.7.10", signedVerdict);
        Assert.DoesNotContain("meets", signedVerdict);
        Assert.Contains("authenticated      DeclaredRecord: _linksecure." + signed, validated.Out);
        Assert.Contains("NOT met: no STARTTLS", validated.Out);
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
    public async Task Json_ShowsRequirementsAuthenticatedEvidenceRoutesResolver_AndTheMtaStsLinkSecureKey()
    {
        // Arrange: both settings that weaken the trust rule on; one enforced policy declaring linksecure: 2 and one
        // testing policy declaring linksecure: 3 (which must not count, RFC 8461 §5).
        var enforced = fixture.Domain("key-enforce", CheckFixture.PostfixHost);
        fixture.Network.PublishMtaSts(enforced, "k1", new PolicyResponse { Body = "version: STSv1\r\nmode: enforce\r\nmx: *.postfix.test\r\nmax_age: 86400\r\nlinksecure: 2\r\n" });
        var testing = fixture.Domain("key-testing", CheckFixture.PostfixHost);
        fixture.Network.PublishMtaSts(testing, "k2", new PolicyResponse { Body = "version: STSv1\r\nmode: testing\r\nmx: *.postfix.test\r\nmax_age: 86400\r\nlinksecure: 3\r\n" });
        var config = fixture.WriteConfig(out _, "\"acceptUnauthenticatedDeclarations\": true,", "\"routing\": { \"allowUnauthenticatedRoutes\": true },");

        // Act
        var (code, output, error) = await CliRunner.RunAsync(fixture.Args(config, fixture.Postfix.Port, enforced, testing, "--json", "--no-progress"));
        var text = await CliRunner.RunAsync(fixture.Args(config, fixture.Postfix.Port, enforced, testing, "--no-progress"));

        // Assert: valid against the schema.
        Assert.True(code == 1, output + error);
        using var doc = JsonDocument.Parse(output);
        var evaluation = Schema.Value.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(evaluation.IsValid, string.Join("\n", (evaluation.Details ?? new System.Collections.Generic.List<EvaluationResults>()).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => d.InstanceLocation + ": " + e.Value))));
        Assert.Equal(2, doc.RootElement.GetProperty("schemaVersion").GetInt32());

        // Assert: the resolver, once per run, with the self-test and both warnings.
        var resolver = doc.RootElement.GetProperty("resolver");
        Assert.Equal("NoValidator", resolver.GetProperty("dnssecSelfTest").GetProperty("status").GetString());
        Assert.Equal(".", resolver.GetProperty("dnssecSelfTest").GetProperty("probeName").GetString());
        var warnings = resolver.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToArray();
        Assert.Contains(warnings, w => w.StartsWith("resolver.acceptUnauthenticatedDeclarations is on", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.StartsWith("routing.allowUnauthenticatedRoutes is on", StringComparison.Ordinal));

        // Assert: the enforced policy's key counts; the requirement of its MX is enforced and met; the route authenticates.
        var domains = doc.RootElement.GetProperty("domains").EnumerateArray().ToArray();
        Assert.Equal(2, domains[0].GetProperty("level").GetInt32());
        Assert.False(domains[0].GetProperty("mxSecure").GetBoolean());
        Assert.Contains("no trusted validating resolver", domains[0].GetProperty("daneNote").GetString());
        var key = domains[0].GetProperty("mtaSts").GetProperty("linkSecure");
        Assert.Equal(2, key.GetProperty("level").GetInt32());
        Assert.True(key.GetProperty("counted").GetBoolean());
        var requirement = domains[0].GetProperty("mx").GetProperty("hosts")[0].GetProperty("requirement");
        Assert.StartsWith("MTA-STS: a certificate valid for mx.postfix.test", requirement.GetProperty("text").GetString());
        Assert.True(requirement.GetProperty("enforced").GetBoolean());
        Assert.True(requirement.GetProperty("met").GetBoolean());
        var route = domains[0].GetProperty("decision").GetProperty("route");
        Assert.Equal("DomainValidation", route.GetProperty("kind").GetString());
        Assert.Equal("OK secure match=.postfix.test servername=hostname", domains[0].GetProperty("decision").GetProperty("relayPolicy").GetProperty("linksecure").GetString());
        Assert.True(route.GetProperty("authenticates").GetBoolean());
        Assert.Contains(domains[0].GetProperty("networkProfile").GetProperty("evidence").EnumerateArray(), e => e.GetProperty("source").GetString() == "MtaSts" && e.GetProperty("authenticated").GetBoolean() && e.GetProperty("supportsLevel").GetInt32() == 2);

        // Assert: the testing policy's key is shown and does not count.
        Assert.Equal(0, domains[1].GetProperty("level").GetInt32());
        key = domains[1].GetProperty("mtaSts").GetProperty("linkSecure");
        Assert.Equal(3, key.GetProperty("level").GetInt32());
        Assert.False(key.GetProperty("counted").GetBoolean());
        Assert.False(domains[1].GetProperty("mx").GetProperty("hosts")[0].GetProperty("requirement").GetProperty("enforced").GetBoolean());

        // Assert: the text says the same.
        Assert.Contains("warning:   resolver.acceptUnauthenticatedDeclarations is on", text.Out);
        Assert.Contains("warning:   routing.allowUnauthenticatedRoutes is on", text.Out);
        Assert.Contains("MTA-STS:   linksecure: 2 (counted: the policy is enforced", text.Out);
        Assert.Contains("MTA-STS:   linksecure: 3 (not counted: only the key of an enforced policy counts, mode testing)", text.Out);
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
        Assert.StartsWith(domain + ": level 0, UNKNOWN (lookup failed:", CheckFixture.VerdictLine(output, domain));
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
