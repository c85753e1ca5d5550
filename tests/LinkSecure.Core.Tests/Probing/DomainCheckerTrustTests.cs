using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Database;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Network;
using LinkSecure.Core.Probing;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;
using LinkSecure.Core.Tests.Network;
using LinkSecure.TestSupport.Network;
using LinkSecure.TestSupport.Probing;
using Xunit;
using Xunit.Abstractions;

namespace LinkSecure.Core.Tests.Probing;

/// <summary>Shared plumbing of the <see cref="DomainChecker"/> trust tests: a checker wired to loopback servers, TLSA
/// data from a certificate, and a description of a result for assertion messages.</summary>
internal static class CheckerKit
{
    /// <summary>Every check is bounded: DNS 1.5 s per try, HTTPS 5 s, the SMTP probe 10 s, the whole check 30 s.</summary>
    public static readonly TimeSpan CheckBudget = TimeSpan.FromSeconds(30);

    public static DomainChecker Create(LinkSecureSettings settings, int smtpPort, X509Certificate2 anchor, LinkSecurityLevel level = LinkSecurityLevel.TransportSecure) =>
        DomainChecker.Create(settings, KnownDomainDatabase.Empty, new DomainCheckOptions
        {
            RequestLevel = level,
            Probe = new SmtpProbeOptions
            {
                Port = smtpPort,
                Budget = TimeSpan.FromSeconds(10),
                ConnectTimeout = TimeSpan.FromSeconds(3),
                TrustAnchors = new[] { anchor },
            },
        });

    public static async Task<DomainCheckResult> CheckAsync(DomainChecker checker, string domain)
    {
        using var timeout = new CancellationTokenSource(CheckBudget);
        return await checker.CheckAsync(domain, timeout.Token);
    }

    /// <summary>DANE-EE SPKI SHA2-256 (TLSA 3 1 1) association data of a certificate (RFC 6698 §2.1, RFC 7218).</summary>
    public static byte[] Spki256(X509Certificate2 certificate) => SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo());

    public static string Describe(DomainCheckResult r) =>
        $"level {(int)r.Profile.Level}, status {r.Profile.Status} {r.Profile.FailureKind} {r.Profile.FailureReason}, tls failure {r.Profile.TlsFailure}, tls {r.Profile.Tls}; decision {r.Decision}; "
        + $"status code {r.Decision.StatusCode}; route {r.Decision.Route}; mx {r.MxDetail}; dane {r.DaneNote}; "
        + "probes: " + string.Join(" / ", r.Hosts.SelectMany(h => h.Probes.Select(p => h.Host + " " + p.Summarize())))
        + "; requirements: " + string.Join(" / ", r.Hosts.Select(h => h.Host + " " + h.Requirement?.Requirement + " → " + h.Requirement?.Met + " " + h.Requirement?.Detail))
        + "; evidence: " + r.Profile.DescribeEvidence();

    public static void AssertDefer475(DomainCheckResult result, TemporaryFailureKind kind)
    {
        var why = Describe(result);
        Assert.True(result.Decision.Kind == DecisionKind.Defer, why);
        Assert.Equal(ProfileStatus.TemporaryFailure, result.Profile.Status);
        Assert.True(result.Profile.FailureKind == kind, why);
        Assert.Equal(EnhancedStatusCode.DnssecFailed, result.Decision.StatusCode);
        Assert.Equal("4.7.5", result.Decision.StatusCode!.Value.Enhanced);
        Assert.Null(result.Decision.Route);
        Assert.Equal(LinkSecurityLevel.None, result.Profile.Level);
    }

    public static void AssertBounce(DomainCheckResult result, EnhancedStatusCode code)
    {
        var why = Describe(result);
        Assert.True(result.Decision.Kind == DecisionKind.Bounce, why);
        Assert.True(code.Equals(result.Decision.StatusCode), why);
        Assert.Null(result.Decision.Route);
    }
}

/// <summary>
/// <c>linksecure check &lt;domain&gt; --require-level N</c> end to end: <see cref="DomainChecker.CheckAsync"/> against the
/// loopback DNS server (the named validator: its AD bit is believed where <see cref="TestDnsServer.MarkSecure"/> says),
/// the Kestrel MTA-STS server, and one <see cref="TestSmtpServer"/> per test presenting the certificate the case needs.
/// Every MX resolves to 127.0.0.1 and the probe port is set per checker. Each test asserts the verdict
/// (<see cref="DomainCheckResult.Profile"/> level, decision kind, status code, route) of the trust rule: a level only
/// from evidence an on-path attacker cannot forge, <c>Secure</c> only over a route that enforces it
/// (docs/protocol.md §3–§5, security review F1–F8).
/// </summary>
[Collection(NetworkCollection.Name)]
public class DomainCheckerTrustTests
{
    private readonly NetworkFixture net;
    private readonly ITestOutputHelper output;

    public DomainCheckerTrustTests(NetworkFixture net, ITestOutputHelper output)
    {
        this.net = net;
        this.output = output;
    }

    /// <summary>Runs one bounded check and writes what it found to the test output.</summary>
    private async Task<DomainCheckResult> CheckAsync(DomainChecker checker, string domain)
    {
        var result = await CheckerKit.CheckAsync(checker, domain);
        output.WriteLine(domain + ": " + CheckerKit.Describe(result));
        return result;
    }

    private static string[] KeywordsAfterTls(params string[] extra) => new[] { "PIPELINING", "SIZE 10240000", "8BITMIME" }.Concat(extra).ToArray();

    // ---------------------------------------------------------------- MTA-STS (RFC 8461)

    [Fact]
    public async Task MtaStsEnforce_MatchingMxWithValidCertificate_IsLevel1SecureViaDomainValidationPinnedToTheMx()
    {
        // Arrange
        var domain = net.NewDomain("sts-ok");
        var mx = "mx1." + domain;
        net.PublishMx(domain, mx);
        net.PublishMtaSts(domain, "p1", PolicyResponse.Policy("enforce", 86400, mx));
        using var certificate = net.Ca.Issue(mx);
        using var server = TestSmtpServer.Start(new SmtpBehaviour { HostName = mx, Certificate = certificate });
        using var checker = CheckerKit.Create(net.Settings(), server.Port, net.Ca.Root);

        // Act
        var result = await CheckAsync(checker, domain);

        // Assert
        var why = CheckerKit.Describe(result);
        Assert.True(result.Profile.Level == LinkSecurityLevel.TransportSecure, why);
        Assert.True(result.Decision.Kind == DecisionKind.Secure, why);
        var route = result.Decision.Route!;
        Assert.Equal(SecureRouteKind.DomainValidation, route.Kind);
        Assert.True(route.Authenticates);
        Assert.Equal(mx, route.TlsDomain);
        Assert.Equal(SmtpProbeOutcome.TlsAuthenticated, result.Hosts.Single().Probes.Single().Outcome);
        Assert.True(result.Hosts.Single().Requirement!.Met);
    }

    [Fact]
    public async Task MtaStsEnforce_MxPresentsTheAttackersOwnValidCertificate_DefersAsPolicyViolation_NeverSecure()
    {
        // Arrange: the path is redirected to the attacker's server, which has a publicly valid certificate for its own name.
        var domain = net.NewDomain("sts-mitm");
        var mx = "mx1." + domain;
        net.PublishMx(domain, mx);
        net.PublishMtaSts(domain, "p1", PolicyResponse.Policy("enforce", 86400, mx));
        using var attackerCertificate = net.Ca.Issue("mx.attacker.example");
        using var server = TestSmtpServer.Start(new SmtpBehaviour { HostName = "mx.attacker.example", Certificate = attackerCertificate });
        using var checker = CheckerKit.Create(net.Settings(), server.Port, net.Ca.Root);

        // Act
        var result = await CheckAsync(checker, domain);

        // Assert: RFC 8461 §5 — a policy failure under enforce is not a property of the domain; wait and retry.
        CheckerKit.AssertDefer475(result, TemporaryFailureKind.PolicyViolation);
        Assert.Equal(SmtpProbeOutcome.TlsNotAuthenticated, result.Hosts.Single().Probes.Single().Outcome);
        Assert.True(result.Hosts.Single().Requirement!.Enforced);
        Assert.False(result.Hosts.Single().Requirement!.Met);
    }

    [Theory]
    [InlineData(false, null)]
    [InlineData(true, "454 4.7.0 TLS not available due to local problem")]
    public async Task MtaStsEnforce_StartTlsStrippedOrRefused_DefersAsPolicyViolation(bool offerStartTls, string? reply)
    {
        // Arrange
        var domain = net.NewDomain("sts-strip");
        var mx = "mx1." + domain;
        net.PublishMx(domain, mx);
        net.PublishMtaSts(domain, "p1", PolicyResponse.Policy("enforce", 86400, mx));
        using var certificate = net.Ca.Issue(mx);
        using var server = TestSmtpServer.Start(new SmtpBehaviour { HostName = mx, Certificate = certificate, OfferStartTls = offerStartTls, StartTlsReply = reply ?? "220 2.0.0 Ready to start TLS" });
        using var checker = CheckerKit.Create(net.Settings(), server.Port, net.Ca.Root);

        // Act
        var result = await CheckAsync(checker, domain);

        // Assert
        CheckerKit.AssertDefer475(result, TemporaryFailureKind.PolicyViolation);
        Assert.Equal(SmtpProbeOutcome.NoStartTls, result.Hosts.Single().Probes.Single().Outcome);
    }

    [Theory]
    [InlineData("expired")]
    [InlineData("self-signed")]
    public async Task MtaStsEnforce_ExpiredOrSelfSignedCertificate_Defers(string kind)
    {
        // Arrange
        var domain = net.NewDomain("sts-badcert");
        var mx = "mx1." + domain;
        net.PublishMx(domain, mx);
        net.PublishMtaSts(domain, "p1", PolicyResponse.Policy("enforce", 86400, mx));
        var now = DateTimeOffset.UtcNow;
        using var certificate = kind == "expired" ? net.Ca.Issue(mx, now.AddDays(-30), now.AddDays(-1)) : ProbingFixture.SelfSigned(mx);
        using var server = TestSmtpServer.Start(new SmtpBehaviour { HostName = mx, Certificate = certificate });
        using var checker = CheckerKit.Create(net.Settings(), server.Port, net.Ca.Root);

        // Act
        var result = await CheckAsync(checker, domain);

        // Assert
        CheckerKit.AssertDefer475(result, TemporaryFailureKind.PolicyViolation);
        Assert.Equal(SmtpProbeOutcome.TlsNotAuthenticated, result.Hosts.Single().Probes.Single().Outcome);
    }

    [Fact]
    public async Task MtaStsEnforce_MxNotMatchingThePolicyNames_IsNeverSecure()
    {
        // Arrange: a forged MX answer points at a host the policy does not list, which has a valid certificate for itself.
        var domain = net.NewDomain("sts-nomatch");
        var mx = "mx.elsewhere-" + domain;
        net.PublishMx(domain, mx);
        net.PublishMtaSts(domain, "p1", PolicyResponse.Policy("enforce", 86400, "mx1." + domain));
        using var certificate = net.Ca.Issue(mx);
        using var server = TestSmtpServer.Start(new SmtpBehaviour { HostName = mx, Certificate = certificate });
        using var checker = CheckerKit.Create(net.Settings(), server.Port, net.Ca.Root);

        // Act
        var result = await CheckAsync(checker, domain);

        // Assert: RFC 8461 §4.1 — senders must not deliver to a non-matching MX; with no matching MX, delivery waits.
        var why = CheckerKit.Describe(result);
        Assert.True(result.Decision.Kind != DecisionKind.Secure, why);
        Assert.Equal(LinkSecurityLevel.None, result.Profile.Level);
        Assert.True(result.Decision.Kind == DecisionKind.Defer, why);
        Assert.Equal(ProfileStatus.TemporaryFailure, result.Profile.Status);
        Assert.Equal(TemporaryFailureKind.PolicyViolation, result.Profile.FailureKind);
        Assert.Equal("4.7.5", result.Decision.StatusCode!.Value.Enhanced);
        Assert.False(result.Hosts.Single().MatchesPolicy);
    }

    [Fact]
    public async Task MtaStsTesting_ValidTls_IsLevel0Bounce()
    {
        // Arrange
        var domain = net.NewDomain("sts-testing");
        var mx = "mx1." + domain;
        net.PublishMx(domain, mx);
        net.PublishMtaSts(domain, "p1", PolicyResponse.Policy("testing", 86400, mx));
        using var certificate = net.Ca.Issue(mx);
        using var server = TestSmtpServer.Start(new SmtpBehaviour { HostName = mx, Certificate = certificate });
        using var checker = CheckerKit.Create(net.Settings(), server.Port, net.Ca.Root);

        // Act
        var result = await CheckAsync(checker, domain);

        // Assert: mode testing is not enforced (RFC 8461 §5), so it is no evidence.
        Assert.Equal("testing", result.MtaStsMode);
        Assert.Equal(LinkSecurityLevel.None, result.Profile.Level);
        CheckerKit.AssertBounce(result, EnhancedStatusCode.RequiredLevelNotMet);
    }

    [Theory]
    [InlineData("404")]
    [InlineData("content-type")]
    [InlineData("https-certificate")]
    public async Task MtaStsEnforce_PolicyNotAuthenticallyFetched_IsNeverSecure(string failure)
    {
        // Arrange: the TXT record is there, but no valid policy can be fetched (RFC 8461 §3.3: HTTPS with a certificate
        // valid for mta-sts.<domain>, 200, text/plain).
        var domain = net.NewDomain("sts-fetch");
        var mx = "mx1." + domain;
        net.PublishMx(domain, mx);
        var policy = PolicyResponse.Policy("enforce", 86400, mx);
        net.PublishMtaSts(domain, "p1", failure switch
        {
            "404" => new PolicyResponse { Status = 404, Body = policy.Body },
            "content-type" => new PolicyResponse { ContentType = "text/html", Body = policy.Body },
            _ => policy,
        });
        if (failure == "https-certificate")
        {
            net.Https.UseCertificate("mta-sts." + domain, net.Ca.Issue("mta-sts.attacker.example"));
        }

        using var certificate = net.Ca.Issue(mx);
        using var server = TestSmtpServer.Start(new SmtpBehaviour { HostName = mx, Certificate = certificate });
        using var checker = CheckerKit.Create(net.Settings(), server.Port, net.Ca.Root);

        // Act
        var result = await CheckAsync(checker, domain);

        // Assert: no authenticated policy, so no level; the core may defer or fall back, but never claims Secure.
        var why = CheckerKit.Describe(result);
        Assert.True(result.Decision.Kind != DecisionKind.Secure, why);
        Assert.Equal(LinkSecurityLevel.None, result.Profile.Level);
        Assert.Null(result.MtaStsMode);
        Assert.True(result.Decision.Kind is DecisionKind.Bounce or DecisionKind.Defer, why);
    }

    [Fact]
    public async Task MtaStsEnforce_LinksecureKey3_IsLevel3Secure()
    {
        // Arrange
        var domain = net.NewDomain("sts-ls3");
        var mx = "mx1." + domain;
        net.PublishMx(domain, mx);
        var policy = PolicyResponse.Policy("enforce", 86400, mx);
        net.PublishMtaSts(domain, "p1", new PolicyResponse { Body = policy.Body + "linksecure: 3\r\n" });
        using var certificate = net.Ca.Issue(mx);
        using var server = TestSmtpServer.Start(new SmtpBehaviour { HostName = mx, Certificate = certificate });
        using var checker = CheckerKit.Create(net.Settings(), server.Port, net.Ca.Root, LinkSecurityLevel.BounceInsecure);

        // Act
        var result = await CheckAsync(checker, domain);

        // Assert: the key is authenticated by the policy's HTTPS fetch (RFC 8461 §3.3).
        var why = CheckerKit.Describe(result);
        Assert.True(result.Profile.Level == LinkSecurityLevel.BounceInsecure, why);
        Assert.True(result.Decision.Kind == DecisionKind.Secure, why);
        Assert.Equal(SecureRouteKind.DomainValidation, result.Decision.Route!.Kind);
        Assert.Equal(mx, result.Decision.Route.TlsDomain);
        Assert.Contains(result.Profile.Evidence, e => e.Authenticated && e.SupportsLevel == LinkSecurityLevel.BounceInsecure);
    }

    [Fact]
    public async Task MtaStsTesting_LinksecureKey3_IsLevel0AndNotCounted()
    {
        // Arrange
        var domain = net.NewDomain("sts-ls3-testing");
        var mx = "mx1." + domain;
        net.PublishMx(domain, mx);
        var policy = PolicyResponse.Policy("testing", 86400, mx);
        net.PublishMtaSts(domain, "p1", new PolicyResponse { Body = policy.Body + "linksecure: 3\r\n" });
        using var certificate = net.Ca.Issue(mx);
        using var server = TestSmtpServer.Start(new SmtpBehaviour { HostName = mx, Certificate = certificate });
        using var checker = CheckerKit.Create(net.Settings(), server.Port, net.Ca.Root, LinkSecurityLevel.BounceInsecure);

        // Act
        var result = await CheckAsync(checker, domain);

        // Assert
        Assert.Equal(LinkSecurityLevel.None, result.Profile.Level);
        Assert.Equal(LinkSecurityLevel.None, result.Profile.DeclaredLevel);
        Assert.DoesNotContain(result.Profile.Evidence, e => e.SupportsLevel > LinkSecurityLevel.None);
        Assert.Contains("testing is not enforced", result.Profile.DescribeEvidence());
        CheckerKit.AssertBounce(result, EnhancedStatusCode.RequiredLevelNotMet);
    }

    [Fact]
    public async Task MtaStsEnforce_PolicyNamesInTwoRegistrableDomains_IsLevel1ButNotSecure_F2()
    {
        // Arrange: mx: mx1.<domain> plus a backup at another provider; one Exchange TLS domain cannot cover both, so the
        // route could only check "some valid certificate", which the attacker's own certificate passes.
        var domain = net.NewDomain("sts-multi");
        var mx = "mx1." + domain;
        var backup = "backup." + net.NewDomain("isp");
        net.PublishMx(domain, mx, backup);
        net.PublishMtaSts(domain, "p1", PolicyResponse.Policy("enforce", 86400, mx, backup));
        using var certificate = net.Ca.Issue(new[] { mx, backup });
        using var server = TestSmtpServer.Start(new SmtpBehaviour { HostName = mx, Certificate = certificate });
        var settings = net.Settings();
        using var checker = CheckerKit.Create(settings, server.Port, net.Ca.Root);

        // Act
        var result = await CheckAsync(checker, domain);

        // Assert
        var why = CheckerKit.Describe(result);
        Assert.True(result.Profile.Level == LinkSecurityLevel.TransportSecure, why);
        Assert.False(result.Profile.Tls.RouteFor(settings.Routing).Authenticates);
        CheckerKit.AssertBounce(result, EnhancedStatusCode.RequiredLevelNotMet);
        Assert.Contains("could not be verified from this server", result.Decision.UserExplanation);
    }

    [Fact]
    public async Task MtaStsEnforce_DeclaredRecordLookupFails_StillLevel1Secure_F8()
    {
        // Arrange: the optional _linksecure lookup is dropped on the path (or the authoritative server SERVFAILs).
        var domain = net.NewDomain("f8");
        var mx = "mx1." + domain;
        net.PublishMx(domain, mx);
        net.PublishMtaSts(domain, "p1", PolicyResponse.Policy("enforce", 86400, mx));
        net.Dns.SetFault("_linksecure." + domain, DnsFault.ServFail);
        using var certificate = net.Ca.Issue(mx);
        using var server = TestSmtpServer.Start(new SmtpBehaviour { HostName = mx, Certificate = certificate });
        using var checker = CheckerKit.Create(net.Settings(), server.Port, net.Ca.Root);

        // Act
        var result = await CheckAsync(checker, domain);

        // Assert: a declaration can only raise the level; its failed lookup must not defer a complete level 1.
        var why = CheckerKit.Describe(result);
        Assert.True(result.Profile.Level == LinkSecurityLevel.TransportSecure, why);
        Assert.True(result.Decision.Kind == DecisionKind.Secure, why);
        Assert.Equal(mx, result.Decision.Route!.TlsDomain);
    }

    [Fact]
    public async Task DaneMitmWithSelfSignedCertificateAnnouncingLinkSecure4_DefersAndTheStoreDoesNotLiftTheDomain_F5()
    {
        // Arrange: a DANE domain whose probe is intercepted by a server with a self-signed certificate (no TLSA match)
        // announcing LINKSECURE 4 31557600 and REQUIRETLS.
        var domain = net.NewDomain("f5-dane");
        var mx = "mx1." + domain;
        net.PublishMx(domain, mx);
        net.Dns.MarkSecure(domain);
        using var genuine = ProbingFixture.SelfSigned(mx);
        net.Dns.AddTlsa("_25._tcp." + mx, 3, 1, 1, CheckerKit.Spki256(genuine));
        using var attacker = ProbingFixture.SelfSigned(mx);
        using var server = TestSmtpServer.Start(new SmtpBehaviour
        {
            HostName = mx,
            Certificate = attacker,
            KeywordsAfterTls = KeywordsAfterTls("REQUIRETLS", "LINKSECURE 4 31557600"),
        });
        var directory = Directory.CreateTempSubdirectory("linksecure-f5-").FullName;
        var settings = net.Settings(validating: true, extra: "\"learnedStorePath\": " + JsonSerializer.Serialize(Path.Combine(directory, "learned.json")));
        try
        {
            DomainCheckResult result;
            using (var checker = CheckerKit.Create(settings, server.Port, net.Ca.Root, LinkSecurityLevel.ForwardSecure))
            {
                // Act
                result = await CheckAsync(checker, domain);
                Assert.Null(await checker.FlushLearnedStoreAsync());
            }

            using var source = NetworkProfileSource.Create(settings);
            var later = await source.GetProfileAsync(domain);

            // Assert: the check defers (possible attack), the store keeps no keyword from the unauthenticated session, and
            // the agent's later lookup does not make the DANE domain level 4.
            CheckerKit.AssertDefer475(result, TemporaryFailureKind.PolicyViolation);
            var store = new LearnedCapabilityStore(Path.Combine(directory, "learned.json"));
            Assert.True(store.TryGet(domain, mx, out var learned), store.LastLoadError);
            Assert.False(learned!.DaneMatched);
            Assert.Equal(LinkSecurityLevel.None, learned.LinkSecureLevel);
            Assert.False(learned.RequireTls);
            Assert.Equal(LinkSecurityLevel.None, later.Level);
            Assert.Equal(LinkSecurityLevel.None, later.DeclaredLevel);
            Assert.True(later.Status == ProfileStatus.TemporaryFailure && later.FailureKind == TemporaryFailureKind.PolicyViolation, later.FailureReason + " | " + later.DescribeEvidence());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    // ---------------------------------------------------------------- DANE (RFC 7672)

    [Fact]
    public async Task DaneTlsaMatchesSelfSignedCertificate_IsLevel1_ButNotSecureInConnectorMode()
    {
        // Arrange: a signed zone with DANE-EE 3 1 1 over the server's self-signed key.
        var domain = net.NewDomain("dane-ok");
        var mx = "mx1." + domain;
        net.PublishMx(domain, mx);
        net.Dns.MarkSecure(domain);
        using var certificate = ProbingFixture.SelfSigned(mx);
        net.Dns.AddTlsa("_25._tcp." + mx, 3, 1, 1, CheckerKit.Spki256(certificate));
        using var server = TestSmtpServer.Start(new SmtpBehaviour { HostName = mx, Certificate = certificate });
        var settings = net.Settings(validating: true);
        using var checker = CheckerKit.Create(settings, server.Port, net.Ca.Root);

        // Act
        var result = await CheckAsync(checker, domain);

        // Assert: DANE proves level 1, but Exchange cannot check TLSA, so no connector route enforces it (F2).
        var why = CheckerKit.Describe(result);
        Assert.True(result.MxSecure, why);
        Assert.Equal(DaneStatus.Usable, result.Hosts.Single().Dane);
        Assert.True(result.Hosts.Single().Probes.Single().Tls!.Dane!.Matched, why);
        Assert.True(result.Profile.Level == LinkSecurityLevel.TransportSecure, why);
        var route = result.Profile.Tls.RouteFor(settings.Routing);
        Assert.False(route.Authenticates);
        CheckerKit.AssertBounce(result, EnhancedStatusCode.RequiredLevelNotMet);
        Assert.Contains("could not be verified from this server", result.Decision.UserExplanation);
    }

    [Fact]
    public async Task DaneTlsaMismatch_DefersAsPolicyViolation_NeverSecureViaEncryptionOnly()
    {
        // Arrange: the TLSA record names another key (an attacker's certificate on the path).
        var domain = net.NewDomain("dane-mismatch");
        var mx = "mx1." + domain;
        net.PublishMx(domain, mx);
        net.Dns.MarkSecure(domain);
        using var published = ProbingFixture.SelfSigned(mx);
        net.Dns.AddTlsa("_25._tcp." + mx, 3, 1, 1, CheckerKit.Spki256(published));
        using var presented = net.Ca.Issue(mx);
        using var server = TestSmtpServer.Start(new SmtpBehaviour { HostName = mx, Certificate = presented });
        using var checker = CheckerKit.Create(net.Settings(validating: true), server.Port, net.Ca.Root);

        // Act
        var result = await CheckAsync(checker, domain);

        // Assert: RFC 7672 §2.2 — with usable TLSA the session must match; PKIX validity does not rescue it.
        CheckerKit.AssertDefer475(result, TemporaryFailureKind.PolicyViolation);
        Assert.False(result.Hosts.Single().Probes.Single().Tls!.Dane!.Matched);
        Assert.NotEqual(DecisionKind.Secure, result.Decision.Kind);
    }

    [Fact]
    public async Task DaneAllTlsaUnusable_IsLevel0()
    {
        // Arrange: secure TLSA records, none usable (unknown usage 4, unknown matching type 9) (RFC 7672 §2.2, §3.1.3).
        var domain = net.NewDomain("dane-unusable");
        var mx = "mx1." + domain;
        net.PublishMx(domain, mx);
        net.Dns.MarkSecure(domain);
        using var certificate = ProbingFixture.SelfSigned(mx);
        net.Dns.AddTlsa("_25._tcp." + mx, 4, 1, 1, CheckerKit.Spki256(certificate));
        net.Dns.AddTlsa("_25._tcp." + mx, 3, 1, 9, CheckerKit.Spki256(certificate));
        using var server = TestSmtpServer.Start(new SmtpBehaviour { HostName = mx, Certificate = certificate });
        using var checker = CheckerKit.Create(net.Settings(validating: true), server.Port, net.Ca.Root);

        // Act
        var result = await CheckAsync(checker, domain);

        // Assert
        var why = CheckerKit.Describe(result);
        Assert.Equal(DaneStatus.AllUnusable, result.Hosts.Single().Dane);
        Assert.True(result.Profile.Level == LinkSecurityLevel.None, why);
        Assert.True(result.Decision.Kind == DecisionKind.Bounce, why);
    }

    [Fact]
    public async Task DaneTlsaServFailFromTheValidator_DefersAsDnssecFailure()
    {
        // Arrange: the validator answers SERVFAIL for the TLSA RRset (bogus, RFC 7672 §2.1.1).
        var domain = net.NewDomain("dane-bogus");
        var mx = "mx1." + domain;
        net.PublishMx(domain, mx);
        net.Dns.MarkSecure(domain);
        net.Dns.SetFault("_25._tcp." + mx, DnsFault.ServFail);
        using var certificate = net.Ca.Issue(mx);
        using var server = TestSmtpServer.Start(new SmtpBehaviour { HostName = mx, Certificate = certificate });
        using var checker = CheckerKit.Create(net.Settings(validating: true), server.Port, net.Ca.Root);

        // Act
        var result = await CheckAsync(checker, domain);

        // Assert
        CheckerKit.AssertDefer475(result, TemporaryFailureKind.Dnssec);
        Assert.Equal(DaneStatus.Failed, result.Hosts.Single().Dane);
    }

    [Fact]
    public async Task DaneInInsecureZone_IsNotApplied()
    {
        // Arrange: matching TLSA, but nothing is DNSSEC-secure (no AD), so an attacker could have forged it.
        var domain = net.NewDomain("dane-insecure");
        var mx = "mx1." + domain;
        net.PublishMx(domain, mx);
        using var certificate = ProbingFixture.SelfSigned(mx);
        net.Dns.AddTlsa("_25._tcp." + mx, 3, 1, 1, CheckerKit.Spki256(certificate));
        using var server = TestSmtpServer.Start(new SmtpBehaviour { HostName = mx, Certificate = certificate });
        using var checker = CheckerKit.Create(net.Settings(validating: true), server.Port, net.Ca.Root);

        // Act
        var result = await CheckAsync(checker, domain);

        // Assert
        var why = CheckerKit.Describe(result);
        Assert.False(result.MxSecure);
        Assert.Contains("DANE does not apply", result.DaneNote);
        Assert.Equal(DaneStatus.NotChecked, result.Hosts.Single().Dane);
        Assert.Null(result.Hosts.Single().Probes.Single().Tls!.Dane);
        Assert.True(result.Profile.Level == LinkSecurityLevel.None, why);
        Assert.True(result.Decision.Kind == DecisionKind.Bounce, why);
    }

    [Fact]
    public async Task DaneInsecureMxRRsetIntoASignedZoneWithMatchingTlsa_IsLevel0_F3()
    {
        // Arrange: the victim's zone is unsigned; the attacker forges its MX to a host in the attacker's own signed
        // zone, with an authentic TLSA record matching the attacker's key.
        var victim = net.NewDomain("f3-victim");
        var evil = net.NewDomain("f3-evil");
        var attackerMx = "mx." + evil;
        net.PublishMx(victim, attackerMx);
        net.Dns.MarkSecure(evil);
        using var certificate = ProbingFixture.SelfSigned(attackerMx);
        net.Dns.AddTlsa("_25._tcp." + attackerMx, 3, 1, 1, CheckerKit.Spki256(certificate));
        using var server = TestSmtpServer.Start(new SmtpBehaviour { HostName = attackerMx, Certificate = certificate });
        using var checker = CheckerKit.Create(net.Settings(validating: true), server.Port, net.Ca.Root);

        // Act
        var result = await CheckAsync(checker, victim);

        // Assert: RFC 7672 §2.2.1 — DANE applies only to MX hosts of a secure MX RRset.
        var why = CheckerKit.Describe(result);
        Assert.False(result.MxSecure);
        Assert.Equal(DaneStatus.NotChecked, result.Hosts.Single().Dane);
        Assert.Equal(0, net.Dns.QueryCount("_25._tcp." + attackerMx, 52));
        Assert.True(result.Profile.Level == LinkSecurityLevel.None, why);
        Assert.False(result.Profile.TransportEnforced);
        Assert.True(result.Decision.Kind == DecisionKind.Bounce, why);
    }

    // ---------------------------------------------------------------- Declarations (_linksecure, EHLO keyword)

    [Fact]
    public async Task SignedDeclarationLevel2_SecureMxAndPkixValidCertificate_IsLevel2SecureViaDomainValidationPinnedToTheMx()
    {
        // Arrange
        var domain = net.NewDomain("decl-signed");
        var mx = "mx1." + domain;
        net.PublishMx(domain, mx);
        net.Dns.AddTxt("_linksecure." + domain, "v=LS1; level=2; max-age=86400");
        net.Dns.MarkSecure(domain);
        using var certificate = net.Ca.Issue(mx);
        using var server = TestSmtpServer.Start(new SmtpBehaviour { HostName = mx, Certificate = certificate });
        using var checker = CheckerKit.Create(net.Settings(validating: true), server.Port, net.Ca.Root, LinkSecurityLevel.ReadSecure);

        // Act
        var result = await CheckAsync(checker, domain);

        // Assert
        var why = CheckerKit.Describe(result);
        Assert.True(result.MxSecure, why);
        Assert.True(result.Profile.Level == LinkSecurityLevel.ReadSecure, why);
        Assert.True(result.Decision.Kind == DecisionKind.Secure, why);
        var route = result.Decision.Route!;
        Assert.Equal(SecureRouteKind.DomainValidation, route.Kind);
        Assert.True(route.Authenticates);
        Assert.Equal(mx, route.TlsDomain);
        Assert.Contains(result.Profile.Evidence, e => e.Source == EvidenceSource.DeclaredRecord && e.Authenticated);
    }

    [Fact]
    public async Task SignedDeclaration_MxOffersNoStartTls_IsLevel0Fallback5710()
    {
        // Arrange
        var domain = net.NewDomain("decl-signed-notls");
        var mx = "mx1." + domain;
        net.PublishMx(domain, mx);
        net.Dns.AddTxt("_linksecure." + domain, "v=LS1; level=2; max-age=86400");
        net.Dns.MarkSecure(domain);
        using var server = TestSmtpServer.Start(new SmtpBehaviour { HostName = mx, OfferStartTls = false });
        using var checker = CheckerKit.Create(net.Settings(validating: true), server.Port, net.Ca.Root, LinkSecurityLevel.ReadSecure);

        // Act
        var result = await CheckAsync(checker, domain);

        // Assert: this run's observation defeats the declaration (docs/protocol.md §5: every MX must meet the evidence).
        var why = CheckerKit.Describe(result);
        Assert.True(result.Profile.Level == LinkSecurityLevel.None, why);
        Assert.NotNull(result.Profile.TlsFailure);
        CheckerKit.AssertBounce(result, EnhancedStatusCode.EncryptionNeeded);
    }

    [Fact]
    public async Task UnsignedDeclarationLevel4_ForgedMxToAttackerAnnouncingLinkSecure4_IsLevel0AndNothingCounted_F1_F5()
    {
        // Arrange: the attacker forges _linksecure (level 4) and the MX of an unsigned victim to its own host, which has
        // a valid certificate for its own name and announces LINKSECURE 4 31557600 and REQUIRETLS after STARTTLS.
        var victim = net.NewDomain("f1-victim");
        var second = net.NewDomain("f1-second");
        var attackerMx = "mx." + net.NewDomain("f1-evil");
        net.PublishMx(victim, attackerMx);
        net.Dns.AddTxt("_linksecure." + victim, "v=LS1; level=4; max-age=31557600");
        net.Dns.AddMx(second, 10, attackerMx);
        net.Dns.AddTxt("_linksecure." + second, "v=LS1; level=4; max-age=31557600");
        using var certificate = net.Ca.Issue(attackerMx);
        using var server = TestSmtpServer.Start(new SmtpBehaviour
        {
            HostName = attackerMx,
            Certificate = certificate,
            KeywordsAfterTls = KeywordsAfterTls("REQUIRETLS", "LINKSECURE 4 31557600"),
        });
        var directory = Directory.CreateTempSubdirectory("linksecure-f1-").FullName;
        var settings = net.Settings(validating: true, extra: "\"learnedStorePath\": " + JsonSerializer.Serialize(Path.Combine(directory, "learned.json")));
        try
        {
            DomainCheckResult result;
            using (var checker = CheckerKit.Create(settings, server.Port, net.Ca.Root))
            {
                // Act
                result = await CheckAsync(checker, victim);
                Assert.Null(await checker.FlushLearnedStoreAsync());
            }

            using var source = NetworkProfileSource.Create(settings);
            var later = await source.GetProfileAsync(victim);
            var poisoned = await source.GetProfileAsync(second);

            // Assert: the check itself.
            var why = CheckerKit.Describe(result);
            var probe = result.Hosts.Single().Probes.Single();
            Assert.Equal(SmtpProbeOutcome.TlsAuthenticated, probe.Outcome);
            Assert.True(probe.RequireTls);
            Assert.Equal(LinkSecurityLevel.ForwardSecure, probe.LinkSecure!.Level);
            Assert.False(result.MxSecure);
            Assert.True(result.Profile.Level == LinkSecurityLevel.None, why);
            Assert.Equal(LinkSecurityLevel.None, result.Profile.DeclaredLevel);
            Assert.False(result.Profile.TransportEnforced);
            Assert.False(result.Profile.RequireTlsOnEveryMx);
            Assert.DoesNotContain(result.Profile.Evidence, e => e.SupportsLevel > LinkSecurityLevel.None);
            Assert.Contains("not counted", result.Profile.DescribeEvidence());
            CheckerKit.AssertBounce(result, EnhancedStatusCode.RequiredLevelNotMet);

            // Assert: the store holds the attacker's announcement (the session was PKIX-valid for its own name)...
            var store = new LearnedCapabilityStore(Path.Combine(directory, "learned.json"));
            Assert.True(store.TryGet(victim, attackerMx, out var learned), store.LastLoadError);
            Assert.True(learned!.CertificateValid);

            // ...but what was learned cannot lift this domain or another domain forged to the same MX later.
            Assert.Contains(later.Evidence, e => e.Source == EvidenceSource.LearnedCapabilities && !e.Authenticated);
            Assert.Equal(LinkSecurityLevel.None, later.Level);
            Assert.Equal(LinkSecurityLevel.None, later.DeclaredLevel);
            Assert.Equal(LinkSecurityLevel.None, poisoned.Level);
            Assert.Equal(LinkSecurityLevel.None, poisoned.DeclaredLevel);
            Assert.DoesNotContain(later.Evidence.Concat(poisoned.Evidence), e => e.SupportsLevel > LinkSecurityLevel.None);
            var engine = new DecisionEngine(settings);
            var request = new LinkSecurityRequest(LinkSecurityLevel.ForwardSecure, FallbackAction.Bounce, false, RequestSources.LinkSecurity);
            Assert.Equal(DecisionKind.Bounce, engine.Decide(request, "ceo@" + victim, later, TimeSpan.Zero).Kind);
            Assert.Equal(DecisionKind.Bounce, engine.Decide(request, "ceo@" + second, poisoned, TimeSpan.Zero).Kind);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    // ---------------------------------------------------------------- Plain domain

    [Fact]
    public async Task PlainDomain_PerfectlyValidTls_IsLevel0Bounce5730_TlsAloneIsNoEvidence()
    {
        // Arrange
        var domain = net.NewDomain("plain");
        var mx = "mx1." + domain;
        net.PublishMx(domain, mx);
        using var certificate = net.Ca.Issue(mx);
        using var server = TestSmtpServer.Start(new SmtpBehaviour { HostName = mx, Certificate = certificate });
        using var checker = CheckerKit.Create(net.Settings(validating: true), server.Port, net.Ca.Root);

        // Act
        var result = await CheckAsync(checker, domain);

        // Assert
        Assert.Equal(SmtpProbeOutcome.TlsAuthenticated, result.Hosts.Single().Probes.Single().Outcome);
        Assert.Equal(LinkSecurityLevel.None, result.Profile.Level);
        CheckerKit.AssertBounce(result, EnhancedStatusCode.RequiredLevelNotMet);
    }

    // ---------------------------------------------------------------- Learned-store poisoning (F5, F7)

    [Fact]
    public async Task StartTlsStrippedAtASharedMxWhileCheckingA_DoesNotChangeTheVerdictForB_F7()
    {
        // Arrange: A (plain) and B (MTA-STS enforce) share one MX host name.
        var a = net.NewDomain("f7-a");
        var b = net.NewDomain("f7-b");
        var shared = "mx." + net.NewDomain("f7-shared");
        net.PublishMx(a, shared);
        net.Dns.AddMx(b, 10, shared);
        net.PublishMtaSts(b, "p1", PolicyResponse.Policy("enforce", 86400, shared));
        using var certificate = net.Ca.Issue(shared);
        using var good = TestSmtpServer.Start(new SmtpBehaviour { HostName = shared, Certificate = certificate });
        using var stripped = TestSmtpServer.Start(new SmtpBehaviour { HostName = shared, OfferStartTls = false });
        var directory = Directory.CreateTempSubdirectory("linksecure-f7-").FullName;
        var settings = net.Settings(extra: "\"learnedStorePath\": " + JsonSerializer.Serialize(Path.Combine(directory, "learned.json")));
        try
        {
            DomainCheckResult before, attacked, after;
            using (var checker = CheckerKit.Create(settings, good.Port, net.Ca.Root))
            {
                before = await CheckAsync(checker, b);
                Assert.Null(await checker.FlushLearnedStoreAsync());
            }

            // Act: the attacker strips STARTTLS on the path while A is checked.
            using (var checker = CheckerKit.Create(settings, stripped.Port, net.Ca.Root))
            {
                attacked = await CheckAsync(checker, a);
                Assert.Null(await checker.FlushLearnedStoreAsync());
            }

            using (var checker = CheckerKit.Create(settings, good.Port, net.Ca.Root))
            {
                after = await CheckAsync(checker, b);
                Assert.Null(await checker.FlushLearnedStoreAsync());
            }

            using var source = NetworkProfileSource.Create(settings);
            var lookup = await source.GetProfileAsync(b);

            // Assert: A's failed session was recorded, for A only; the agent's lookup of B read B's own observation.
            Assert.Contains(lookup.Evidence, e => e.Source == EvidenceSource.LearnedCapabilities && e.Detail.Contains("STARTTLS, certificate valid", StringComparison.Ordinal));
            Assert.Equal(SmtpProbeOutcome.NoStartTls, attacked.Hosts.Single().Probes.Single().Outcome);
            CheckerKit.AssertBounce(attacked, EnhancedStatusCode.EncryptionNeeded);
            var store = new LearnedCapabilityStore(Path.Combine(directory, "learned.json"));
            Assert.True(store.TryGet(a, shared, out var learnedA));
            Assert.False(learnedA!.StartTls);
            Assert.True(store.TryGet(b, shared, out var learnedB));
            Assert.True(learnedB!.StartTls);

            // Assert: B's verdict is level 1 Secure before, after, and from the agent's lookup.
            foreach (var result in new[] { before, after })
            {
                var why = CheckerKit.Describe(result);
                Assert.True(result.Profile.Level == LinkSecurityLevel.TransportSecure, why);
                Assert.True(result.Decision.Kind == DecisionKind.Secure, why);
                Assert.Equal(shared, result.Decision.Route!.TlsDomain);
            }

            Assert.True(lookup.Status == ProfileStatus.Ok, lookup.FailureReason);
            Assert.Null(lookup.TlsFailure);
            Assert.Equal(LinkSecurityLevel.TransportSecure, lookup.Level);
            var decision = new DecisionEngine(settings).Decide(new LinkSecurityRequest(LinkSecurityLevel.TransportSecure, FallbackAction.Bounce, false, RequestSources.LinkSecurity), "user@" + b, lookup, TimeSpan.Zero);
            Assert.Equal(DecisionKind.Secure, decision.Kind);
            Assert.True(decision.Route!.Authenticates);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    // ---------------------------------------------------------------- No name server

    [Fact]
    public void NoDnsServerConfiguredAndNoneOnTheSystem_IsNoNameServerException()
    {
        // Arrange: no resolver.dnsServers / validatingDnsServers, and the platform lists none (the internal overload
        // stands in for a host without /etc/resolv.conf servers).
        var settings = LinkSecureSettings.Load(new MemoryStream(Encoding.UTF8.GetBytes("{ \"resolver\": { } }")), "test configuration");

        // Act
        var ex = Record.Exception(() => DnsResolvers.Create(settings.Resolver, () => Array.Empty<IPEndPoint>()));

        // Assert
        Assert.IsType<NoNameServerException>(ex);
    }
}

/// <summary>The bogus-TLSA case through a real validating resolver: unbound over NSD serving the signed zone
/// <c>dnssec.example</c>, whose <c>_25._tcp.mx2</c> TLSA RRset was altered after signing (RFC 7672 §2.1.1).</summary>
[Collection(NetworkCollection.Name)]
public class DomainCheckerUnboundTests : IClassFixture<UnboundFixture>
{
    private readonly NetworkFixture net;
    private readonly UnboundFixture unbound;

    public DomainCheckerUnboundTests(NetworkFixture net, UnboundFixture unbound)
    {
        this.net = net;
        this.unbound = unbound;
    }

    [Fact]
    public async Task DaneBogusTlsaFromUnbound_DefersAsDnssecFailure()
    {
        // Arrange
        var json = $"{{ \"resolver\": {{ \"validatingDnsServers\": [\"{unbound.Address}\"], \"caFiles\": [{JsonSerializer.Serialize(net.CaFile)}], \"httpsPort\": {net.Https.Port}, \"timeoutMilliseconds\": 3000, \"retries\": 1 }} }}";
        var settings = LinkSecureSettings.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)), "unbound test configuration");
        var mx = "mx2." + UnboundFixture.Zone;
        using var certificate = net.Ca.Issue(mx);
        using var server = TestSmtpServer.Start(new SmtpBehaviour { HostName = mx, Certificate = certificate });
        using var checker = CheckerKit.Create(settings, server.Port, net.Ca.Root);

        // Act
        var result = await CheckerKit.CheckAsync(checker, "bad." + UnboundFixture.Zone);

        // Assert
        Assert.True(result.MxSecure, CheckerKit.Describe(result) + " | " + unbound.Log);
        CheckerKit.AssertDefer475(result, TemporaryFailureKind.Dnssec);
        Assert.Equal(DaneStatus.Failed, result.Hosts.Single().Dane);
    }
}
