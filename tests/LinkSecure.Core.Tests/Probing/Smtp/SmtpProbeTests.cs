using System;
using System.Linq;
using System.Net;
using System.Security.Cryptography;
using System.Threading.Tasks;
using LinkSecure.Core.Probing;
using LinkSecure.Core.Protocol;
using LinkSecure.TestSupport.Probing;
using Xunit;

namespace LinkSecure.Core.Tests.Probing;

[Collection(ProbingCollection.Name)]
public class SmtpProbeTests
{
    private readonly ProbingFixture fixture;

    public SmtpProbeTests(ProbingFixture fixture)
    {
        this.fixture = fixture;
    }

    [Fact]
    public async Task Postfix_StartTlsWithValidCertificate_IsAuthenticatedAndNoMailIsSent()
    {
        // Arrange
        var probe = new SmtpProbe(fixture.Options(fixture.Postfix.Port));

        // Act
        var result = await probe.ProbeAsync(new SmtpProbeTarget(ProbingFixture.PostfixHost, IPAddress.Loopback) { PolicyPatterns = new[] { "*.postfix.test" } });

        // Assert
        Assert.True(result.Outcome == SmtpProbeOutcome.TlsAuthenticated, result.Summarize() + "\n" + fixture.Postfix.Log());
        Assert.Equal(SmtpProbeStage.Completed, result.Stage);
        Assert.StartsWith("220 " + ProbingFixture.PostfixHost, result.Banner);
        Assert.True(result.StartTlsOffered);
        Assert.StartsWith("220", result.StartTlsReply);
        var tls = result.Tls!;
        Assert.Contains(tls.Protocol, new[] { "TLSv1.2", "TLSv1.3" });
        Assert.StartsWith("TLS_", tls.CipherSuite);
        Assert.Equal(ProbingFixture.PostfixHost, tls.Sni);
        Assert.True(tls.ChainValid, tls.ChainDetail);
        Assert.True(tls.NameMatchesMx);
        Assert.True(tls.NameMatchesPolicy);
        Assert.Null(tls.Dane);
        Assert.Equal(ProbingFixture.PostfixHost, tls.Certificates[0].DnsNames.Single());
        Assert.NotNull(result.EhloKeywordsAfterTls);
        Assert.DoesNotContain(result.EhloKeywordsAfterTls!, k => k.StartsWith("STARTTLS", StringComparison.Ordinal));
        Assert.False(result.RequireTls);
        Assert.Null(result.LinkSecure);
        await Task.Delay(300);
        var log = fixture.Postfix.Log();
        Assert.Contains("starttls=1", log);
        Assert.DoesNotContain("mail=", log);
    }

    [Fact]
    public async Task NoStartTls_IsNoStartTls()
    {
        // Arrange
        using var server = TestSmtpServer.Start(new SmtpBehaviour { OfferStartTls = false });
        var probe = new SmtpProbe(fixture.Options(server.Port));

        // Act
        var result = await probe.ProbeAsync(new SmtpProbeTarget("mx.test", IPAddress.Loopback));

        // Assert
        Assert.Equal(SmtpProbeOutcome.NoStartTls, result.Outcome);
        Assert.False(result.StartTlsOffered);
        Assert.Equal("STARTTLS not offered", result.Error);
        Assert.Contains("PIPELINING", result.EhloKeywords);
        Assert.Null(result.Tls);
        Assert.True(result.IsConclusive);
        Assert.Contains("QUIT", server.Commands);
        Assert.DoesNotContain(server.Commands, c => c.StartsWith("MAIL", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task StartTlsRefused454_IsNoStartTlsWithTheReply()
    {
        // Arrange
        using var server = TestSmtpServer.Start(new SmtpBehaviour { StartTlsReply = "454 4.7.0 TLS not available due to local problem" });
        var probe = new SmtpProbe(fixture.Options(server.Port));

        // Act
        var result = await probe.ProbeAsync(new SmtpProbeTarget("mx.test", IPAddress.Loopback));

        // Assert
        Assert.Equal(SmtpProbeOutcome.NoStartTls, result.Outcome);
        Assert.True(result.StartTlsOffered);
        Assert.Equal("454 4.7.0 TLS not available due to local problem", result.StartTlsReply);
        Assert.Contains("STARTTLS refused", result.Summarize());
    }

    [Fact]
    public async Task HandshakeFailure_IsTlsHandshakeFailed()
    {
        // Arrange
        using var server = TestSmtpServer.Start(new SmtpBehaviour { BreakHandshake = true });
        var probe = new SmtpProbe(fixture.Options(server.Port));

        // Act
        var result = await probe.ProbeAsync(new SmtpProbeTarget("mx.test", IPAddress.Loopback));

        // Assert
        Assert.Equal(SmtpProbeOutcome.TlsHandshakeFailed, result.Outcome);
        Assert.Equal(SmtpProbeStage.TlsHandshake, result.Stage);
        Assert.StartsWith("TLS handshake failed", result.Error);
        Assert.True(result.IsConclusive);
    }

    [Fact]
    public async Task ExpiredCertificate_IsNotAuthenticated()
    {
        // Arrange
        var now = DateTimeOffset.UtcNow;
        using var certificate = fixture.Ca.Issue("mx.test", now.AddDays(-30), now.AddDays(-1));
        using var server = TestSmtpServer.Start(new SmtpBehaviour { Certificate = certificate });
        var probe = new SmtpProbe(fixture.Options(server.Port));

        // Act
        var result = await probe.ProbeAsync(new SmtpProbeTarget("mx.test", IPAddress.Loopback));

        // Assert
        Assert.Equal(SmtpProbeOutcome.TlsNotAuthenticated, result.Outcome);
        Assert.False(result.Tls!.ChainValid);
        Assert.StartsWith("certificate expired", result.Tls.CertificateProblem);
        Assert.NotNull(result.EhloKeywordsAfterTls);
    }

    [Fact]
    public async Task WrongName_ChainValidButNameMismatch()
    {
        // Arrange
        using var certificate = fixture.Ca.Issue("other.example");
        using var server = TestSmtpServer.Start(new SmtpBehaviour { Certificate = certificate });
        var probe = new SmtpProbe(fixture.Options(server.Port));

        // Act
        var result = await probe.ProbeAsync(new SmtpProbeTarget("mx.test", IPAddress.Loopback) { PolicyPatterns = new[] { "mx.test" } });

        // Assert
        Assert.Equal(SmtpProbeOutcome.TlsNotAuthenticated, result.Outcome);
        Assert.True(result.Tls!.ChainValid, result.Tls.ChainDetail);
        Assert.False(result.Tls.NameMatchesMx);
        Assert.False(result.Tls.NameMatchesPolicy);
        Assert.Contains("other.example", result.Tls.CertificateProblem);
    }

    [Fact]
    public async Task SelfSigned_IsNotAuthenticated()
    {
        // Arrange
        using var certificate = ProbingFixture.SelfSigned("mx.test");
        using var server = TestSmtpServer.Start(new SmtpBehaviour { Certificate = certificate });
        var probe = new SmtpProbe(fixture.Options(server.Port));

        // Act
        var result = await probe.ProbeAsync(new SmtpProbeTarget("mx.test", IPAddress.Loopback));

        // Assert
        Assert.Equal(SmtpProbeOutcome.TlsNotAuthenticated, result.Outcome);
        Assert.True(result.Tls!.NameMatchesMx);
        Assert.StartsWith("self-signed certificate", result.Tls.CertificateProblem);
    }

    [Fact]
    public async Task UntrustedCa_WithoutExtraAnchor_IsNotAuthenticated()
    {
        // Arrange
        using var certificate = fixture.Ca.Issue("mx.test");
        using var server = TestSmtpServer.Start(new SmtpBehaviour { Certificate = certificate });
        var probe = new SmtpProbe(new SmtpProbeOptions { Port = server.Port });

        // Act
        var result = await probe.ProbeAsync(new SmtpProbeTarget("mx.test", IPAddress.Loopback));

        // Assert
        Assert.Equal(SmtpProbeOutcome.TlsNotAuthenticated, result.Outcome);
        Assert.StartsWith("does not chain to a trusted root", result.Tls!.CertificateProblem);
    }

    [Fact]
    public async Task RequireTlsAndLinkSecureAfterTls_AreReported()
    {
        // Arrange
        using var certificate = fixture.Ca.Issue("mx.test");
        using var server = TestSmtpServer.Start(new SmtpBehaviour
        {
            Certificate = certificate,
            KeywordsBeforeTls = new[] { "PIPELINING", "LINKSECURE 4 60" },
            KeywordsAfterTls = new[] { "PIPELINING", "REQUIRETLS", "LINKSECURE 2 86400" },
        });
        var probe = new SmtpProbe(fixture.Options(server.Port));

        // Act
        var result = await probe.ProbeAsync(new SmtpProbeTarget("mx.test", IPAddress.Loopback));

        // Assert
        Assert.Equal(SmtpProbeOutcome.TlsAuthenticated, result.Outcome);
        Assert.True(result.RequireTls);
        Assert.Equal(LinkSecurityLevel.ReadSecure, result.LinkSecure!.Level);
        Assert.Equal(TimeSpan.FromSeconds(86400), result.LinkSecure.MaxAge);
        Assert.Contains("REQUIRETLS", result.Summarize());
        Assert.Contains("LINKSECURE 2 86400", result.Summarize());
    }

    [Fact]
    public async Task KeywordsOnlyBeforeTls_DoNotCount()
    {
        // Arrange
        using var certificate = fixture.Ca.Issue("mx.test");
        using var server = TestSmtpServer.Start(new SmtpBehaviour
        {
            Certificate = certificate,
            KeywordsBeforeTls = new[] { "REQUIRETLS", "LINKSECURE 3 600" },
            KeywordsAfterTls = new[] { "PIPELINING", "LINKSECURE nine 600" },
        });
        var probe = new SmtpProbe(fixture.Options(server.Port));

        // Act
        var result = await probe.ProbeAsync(new SmtpProbeTarget("mx.test", IPAddress.Loopback));

        // Assert
        Assert.False(result.RequireTls);
        Assert.Null(result.LinkSecure);
        Assert.Contains(result.Warnings, w => w.Contains("REQUIRETLS was offered only before STARTTLS"));
        Assert.Contains(result.Warnings, w => w.StartsWith("malformed LINKSECURE keyword"));
    }

    [Fact]
    public async Task ConnectionDroppedMidEhlo_IsInconclusive()
    {
        // Arrange
        using var server = TestSmtpServer.Start(new SmtpBehaviour { DropMidEhlo = true });
        var probe = new SmtpProbe(fixture.Options(server.Port));

        // Act
        var result = await probe.ProbeAsync(new SmtpProbeTarget("mx.test", IPAddress.Loopback));

        // Assert
        Assert.Equal(SmtpProbeOutcome.Inconclusive, result.Outcome);
        Assert.Equal(SmtpProbeStage.Ehlo, result.Stage);
        Assert.Contains("in the middle of the EHLO reply", result.Error);
        Assert.False(result.IsConclusive);
    }

    [Fact]
    public async Task OneBytePerSecond_StopsAtTheTimeBudget()
    {
        // Arrange
        using var server = TestSmtpServer.Start(new SmtpBehaviour { ByteDelay = TimeSpan.FromSeconds(1) });
        var probe = new SmtpProbe(fixture.Options(server.Port, budget: TimeSpan.FromSeconds(2)));

        // Act
        var result = await probe.ProbeAsync(new SmtpProbeTarget("mx.test", IPAddress.Loopback));

        // Assert
        Assert.Equal(SmtpProbeOutcome.Inconclusive, result.Outcome);
        Assert.Equal(SmtpProbeStage.Banner, result.Stage);
        Assert.StartsWith("time budget of 2 s exhausted during the greeting", result.Error);
    }

    [Fact]
    public async Task ClosedPort_IsUnreachable()
    {
        // Arrange
        int port;
        using (var server = TestSmtpServer.Start(new SmtpBehaviour()))
        {
            port = server.Port;
        }

        var probe = new SmtpProbe(fixture.Options(port));

        // Act
        var result = await probe.ProbeAsync(new SmtpProbeTarget("mx.test", IPAddress.Loopback));

        // Assert
        Assert.Equal(SmtpProbeOutcome.Unreachable, result.Outcome);
        Assert.StartsWith("cannot connect to 127.0.0.1 port " + port, result.Error);
    }

    [Fact]
    public async Task OverlongReplyLine_IsAProtocolError()
    {
        // Arrange
        using var server = TestSmtpServer.Start(new SmtpBehaviour { Banner = "220 " + new string('x', 5000) });
        var probe = new SmtpProbe(fixture.Options(server.Port));

        // Act
        var result = await probe.ProbeAsync(new SmtpProbeTarget("mx.test", IPAddress.Loopback));

        // Assert
        Assert.Equal(SmtpProbeOutcome.Inconclusive, result.Outcome);
        Assert.Equal("reply line longer than 2048 bytes", result.Error);
    }

    [Fact]
    public async Task Dane_EeSpkiMatch_AuthenticatesEvenWithoutPkix()
    {
        // Arrange
        using var certificate = ProbingFixture.SelfSigned("mx.test");
        using var server = TestSmtpServer.Start(new SmtpBehaviour { Certificate = certificate });
        var spki = SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo());
        var probe = new SmtpProbe(fixture.Options(server.Port));

        // Act
        var result = await probe.ProbeAsync(new SmtpProbeTarget("mx.test", IPAddress.Loopback) { Tlsa = new[] { new TlsaAssociation(3, 1, 1, spki) } });

        // Assert
        Assert.Equal(SmtpProbeOutcome.TlsAuthenticated, result.Outcome);
        Assert.True(result.Tls!.Dane!.Matched);
        Assert.Contains("DANE-EE", result.Tls.Dane.Detail);
        Assert.False(result.Tls.CertificateValid);
    }

    [Fact]
    public async Task Dane_NoMatchingRecord_IsNotAuthenticatedEvenWithPkix()
    {
        // Arrange
        using var certificate = fixture.Ca.Issue("mx.test");
        using var server = TestSmtpServer.Start(new SmtpBehaviour { Certificate = certificate });
        var probe = new SmtpProbe(fixture.Options(server.Port));

        // Act
        var result = await probe.ProbeAsync(new SmtpProbeTarget("mx.test", IPAddress.Loopback)
        {
            Tlsa = new[] { new TlsaAssociation(3, 1, 1, new byte[32]), new TlsaAssociation(1, 1, 1, new byte[32]) },
        });

        // Assert
        Assert.Equal(SmtpProbeOutcome.TlsNotAuthenticated, result.Outcome);
        Assert.False(result.Tls!.Dane!.Matched);
        Assert.StartsWith("no TLSA record matched", result.Tls.Dane.Detail);
        Assert.True(result.Tls.CertificateValid);
    }

    [Fact]
    public async Task Dane_TrustAnchorInTheRecord_AuthenticatesAndChecksTheName()
    {
        // Arrange
        using var certificate = fixture.Ca.Issue("mx.test");
        using var server = TestSmtpServer.Start(new SmtpBehaviour { Certificate = certificate });
        var probe = new SmtpProbe(new SmtpProbeOptions { Port = server.Port });
        var anchor = new TlsaAssociation(2, 0, 0, fixture.Ca.Root.RawData);

        // Act
        var matching = await probe.ProbeAsync(new SmtpProbeTarget("mx.test", IPAddress.Loopback) { Tlsa = new[] { anchor } });
        var otherName = await probe.ProbeAsync(new SmtpProbeTarget("mx2.test", IPAddress.Loopback) { Tlsa = new[] { anchor } });

        // Assert
        Assert.Equal(SmtpProbeOutcome.TlsAuthenticated, matching.Outcome);
        Assert.Contains("DANE-TA", matching.Tls!.Dane!.Detail);
        Assert.Equal(SmtpProbeOutcome.TlsNotAuthenticated, otherName.Outcome);
        Assert.Contains("not valid for mx2.test", otherName.Tls!.Dane!.Detail);
    }
}
