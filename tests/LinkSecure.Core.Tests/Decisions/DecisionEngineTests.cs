using System;
using System.IO;
using System.Text;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;
using Xunit;

namespace LinkSecure.Core.Tests.Decisions;

public class DecisionEngineTests
{
    private static readonly LinkSecurityRequest Level1Bounce = new(LinkSecurityLevel.TransportSecure, FallbackAction.Bounce, false, RequestSources.LinkSecurity);
    private static readonly LinkSecurityRequest Level2Bounce = new(LinkSecurityLevel.ReadSecure, FallbackAction.Bounce, false, RequestSources.LinkSecurity);
    private static readonly LinkSecurityRequest Level2SafePart = new(LinkSecurityLevel.ReadSecure, FallbackAction.SafePart, false, RequestSources.LinkSecurity);
    private static readonly LinkSecurityRequest Waiver = new(LinkSecurityLevel.None, FallbackAction.Bounce, true, RequestSources.TlsRequiredNo);

    private static LinkSecureSettings Settings(string json = "{}") =>
        LinkSecureSettings.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)));

    private static DomainProfile Profile(string domain, LinkSecurityLevel declared, TlsRequirement? tls = null) =>
        new(domain) { DeclaredLevel = declared, TransportEnforced = declared >= LinkSecurityLevel.TransportSecure, Tls = tls ?? new TlsRequirement(TlsMode.Pkix, new[] { "*.mx." + domain }) };

    [Fact]
    public void Untagged_Passes_WithoutNeedingAProfile()
    {
        // Arrange
        var engine = new DecisionEngine(Settings());

        // Act
        var needs = engine.NeedsProfile(LinkSecurityRequest.None);
        var decision = engine.Decide(LinkSecurityRequest.None, "a@example.com", null, TimeSpan.Zero);

        // Assert
        Assert.False(needs);
        Assert.Equal(DecisionKind.Pass, decision.Kind);
        Assert.Null(decision.StatusCode);
    }

    [Fact]
    public void Tagged_LevelMet_IsSecureWithRoute()
    {
        // Arrange
        var engine = new DecisionEngine(Settings());
        var profile = Profile("example.com", LinkSecurityLevel.ReadSecure);

        // Act
        var decision = engine.Decide(Level2Bounce, "a@example.com", profile, TimeSpan.Zero);

        // Assert
        Assert.Equal(DecisionKind.Secure, decision.Kind);
        Assert.Equal("linksecure-dv.invalid", decision.Route!.RoutingDomain);
        Assert.Equal("DomainValidation", decision.Route.TlsAuthLevel);
        Assert.Equal("*.mx.example.com", decision.Route.TlsDomain);
        Assert.True(decision.Route.Authenticates);
        Assert.Equal(LinkSecurityLevel.ReadSecure, decision.Level);
    }

    [Fact]
    public void Tagged_LevelNotMet_BouncesWith5730AndExplanations()
    {
        // Arrange
        var engine = new DecisionEngine(Settings());
        var profile = Profile("example.com", LinkSecurityLevel.TransportSecure);

        // Act
        var decision = engine.Decide(Level2Bounce, "a@example.com", profile, TimeSpan.Zero);

        // Assert
        Assert.Equal(DecisionKind.Bounce, decision.Kind);
        Assert.Equal(EnhancedStatusCode.RequiredLevelNotMet, decision.StatusCode);
        Assert.Equal("5.7.30", decision.StatusCode!.Value.Enhanced);
        Assert.Contains("a@example.com", decision.UserExplanation);
        Assert.Contains("level 2", decision.UserExplanation);
        Assert.Contains("level 1 below requested 2", decision.TechnicalDetail);
    }

    [Fact]
    public void Tagged_TlsFailure_BouncesWith5710()
    {
        // Arrange
        var engine = new DecisionEngine(Settings());
        var profile = new DomainProfile("example.com") { DeclaredLevel = LinkSecurityLevel.TransportSecure, TlsFailure = "mx1.example.com offered no STARTTLS" };

        // Act
        var decision = engine.Decide(Level1Bounce, "a@example.com", profile, TimeSpan.Zero);

        // Assert
        Assert.Equal(DecisionKind.Bounce, decision.Kind);
        Assert.Equal("5.7.10", decision.StatusCode!.Value.Enhanced);
        Assert.Contains("secure (encrypted and verified) connection", decision.UserExplanation);
        Assert.Contains("STARTTLS", decision.TechnicalDetail);
    }

    [Fact]
    public void Tagged_SafePartFallback_Downgrades()
    {
        // Arrange
        var engine = new DecisionEngine(Settings());

        // Act
        var decision = engine.Decide(Level2SafePart, "a@example.com", DomainProfile.Unknown("example.com"), TimeSpan.Zero);

        // Assert
        Assert.Equal(DecisionKind.Downgrade, decision.Kind);
        Assert.Contains("fallback=safe-part", decision.Reason);
    }

    [Fact]
    public void Tagged_TemporaryFailure_DefersWith443ThenFallsBackAfterLimit()
    {
        // Arrange
        var engine = new DecisionEngine(Settings("""{ "defer": { "retryMinutes": 10, "maxDeferMinutes": 60 } }"""));
        var failed = DomainProfile.TemporaryFailure("example.com", TemporaryFailureKind.Lookup, "MX lookup for example.com timed out");

        // Act
        var early = engine.Decide(Level2SafePart, "a@example.com", failed, TimeSpan.FromMinutes(59));
        var late = engine.Decide(Level2SafePart, "a@example.com", failed, TimeSpan.FromMinutes(60));
        var lateBounce = engine.Decide(Level2Bounce, "a@example.com", failed, TimeSpan.FromMinutes(61));

        // Assert
        Assert.Equal(DecisionKind.Defer, early.Kind);
        Assert.Equal("4.4.3", early.StatusCode!.Value.Enhanced);
        Assert.Equal(TimeSpan.FromMinutes(10), early.RetryAfter);
        Assert.Contains("timed out", early.TechnicalDetail);
        Assert.Equal(DecisionKind.Downgrade, late.Kind);
        Assert.True(late.DeferralExpired);
        Assert.Equal(DecisionKind.Bounce, lateBounce.Kind);
        Assert.Equal("5.7.30", lateBounce.StatusCode!.Value.Enhanced);
        Assert.Contains("kept failing", lateBounce.TechnicalDetail);
    }

    [Fact]
    public void Tagged_DnssecFailure_DefersWith475()
    {
        // Arrange
        var engine = new DecisionEngine(Settings());
        var bogus = DomainProfile.TemporaryFailure("example.com", TemporaryFailureKind.Dnssec, "TLSA answer for mx1.example.com is bogus");

        // Act
        var decision = engine.Decide(Level1Bounce, "a@example.com", bogus, TimeSpan.Zero);

        // Assert
        Assert.Equal(DecisionKind.Defer, decision.Kind);
        Assert.Equal("4.7.5", decision.StatusCode!.Value.Enhanced);
        Assert.False(decision.StatusCode.Value.IsPermanent);
    }

    [Fact]
    public void Tagged_NullMx_BouncesWith5110()
    {
        // Arrange
        var engine = new DecisionEngine(Settings());
        var profile = new DomainProfile("example.com") { Status = ProfileStatus.NoMail };

        // Act
        var decision = engine.Decide(Level2SafePart, "a@example.com", profile, TimeSpan.Zero);

        // Assert
        Assert.Equal(DecisionKind.Bounce, decision.Kind);
        Assert.Equal("5.1.10", decision.StatusCode!.Value.Enhanced);
    }

    [Fact]
    public void Waiver_PassesEvenWithEnforceForAllMail()
    {
        // Arrange
        var engine = new DecisionEngine(Settings("""{ "enforceForAllMail": true }"""));

        // Act
        var needs = engine.NeedsProfile(Waiver);
        var decision = engine.Decide(Waiver, "a@example.com", Profile("example.com", LinkSecurityLevel.ForwardSecure), TimeSpan.Zero);

        // Assert
        Assert.False(needs);
        Assert.Equal(DecisionKind.Pass, decision.Kind);
        Assert.Contains("TLS-Required: No", decision.Reason);
    }

    [Fact]
    public void InternalRecipient_PassesUntouched()
    {
        // Arrange
        var engine = new DecisionEngine(Settings("""{ "internalDomains": [ "*.contoso.com" ] }"""));

        // Act
        var configured = engine.Decide(Level2Bounce, "a@sales.contoso.com", null, TimeSpan.Zero);
        var hostSays = engine.Decide(Level2Bounce, "b@fabrikam.example", null, TimeSpan.Zero, isInternal: true);

        // Assert
        Assert.Equal(DecisionKind.Pass, configured.Kind);
        Assert.Equal(DecisionKind.Pass, hostSays.Kind);
        Assert.True(engine.IsInternal("x@eu.contoso.com"));
        Assert.False(engine.IsInternal("x@contoso.com"));
    }

    [Fact]
    public void EnforceForAllMail_UntaggedToSecureDomainIsSecure_OthersPass()
    {
        // Arrange
        var engine = new DecisionEngine(Settings("""{ "enforceForAllMail": true }"""));

        // Act
        var needs = engine.NeedsProfile(LinkSecurityRequest.None);
        var secure = engine.Decide(LinkSecurityRequest.None, "a@example.com", Profile("example.com", LinkSecurityLevel.TransportSecure), TimeSpan.Zero);
        var unknown = engine.Decide(LinkSecurityRequest.None, "b@other.example", DomainProfile.Unknown("other.example"), TimeSpan.Zero);
        var failed = engine.Decide(LinkSecurityRequest.None, "c@f.example", DomainProfile.TemporaryFailure("f.example", TemporaryFailureKind.Lookup, "x"), TimeSpan.Zero);

        // Assert
        Assert.True(needs);
        Assert.Equal(DecisionKind.Secure, secure.Kind);
        Assert.Equal(DecisionKind.Pass, unknown.Kind);
        Assert.Equal(DecisionKind.Pass, failed.Kind); // untagged mail fails open
    }

    [Fact]
    public void Tagged_AddressWithoutDomain_FallsBack()
    {
        // Arrange
        var engine = new DecisionEngine(Settings());

        // Act
        var decision = engine.Decide(Level1Bounce, "postmaster", null, TimeSpan.Zero);

        // Assert
        Assert.Equal(DecisionKind.Bounce, decision.Kind);
        Assert.Equal("5.7.30", decision.StatusCode!.Value.Enhanced);
    }

    [Fact]
    public void Tagged_WithoutProfile_IsAProgrammingError()
    {
        // Arrange
        var engine = new DecisionEngine(Settings());

        // Act & Assert
        Assert.Throws<ArgumentException>(() => engine.Decide(Level1Bounce, "a@example.com", null, TimeSpan.Zero));
    }

    [Theory]
    [InlineData(LinkSecurityLevel.TransportSecure, LinkSecurityLevel.TransportSecure, DecisionKind.Secure)]
    [InlineData(LinkSecurityLevel.ForwardSecure, LinkSecurityLevel.TransportSecure, DecisionKind.Secure)]
    [InlineData(LinkSecurityLevel.TransportSecure, LinkSecurityLevel.ForwardSecure, DecisionKind.Bounce)]
    [InlineData(LinkSecurityLevel.BounceInsecure, LinkSecurityLevel.BounceInsecure, DecisionKind.Secure)]
    [InlineData(LinkSecurityLevel.None, LinkSecurityLevel.TransportSecure, DecisionKind.Bounce)]
    public void LevelComparison(LinkSecurityLevel domainLevel, LinkSecurityLevel requested, DecisionKind expected)
    {
        // Arrange
        var engine = new DecisionEngine(Settings());
        var request = new LinkSecurityRequest(requested, FallbackAction.Bounce, false, RequestSources.LinkSecurity);

        // Act
        var decision = engine.Decide(request, "a@example.com", Profile("example.com", domainLevel), TimeSpan.Zero);

        // Assert
        Assert.Equal(expected, decision.Kind);
    }

    [Theory]
    [InlineData("dane")]
    [InlineData("nopins")]
    [InlineData("unpinnable")]
    public void LevelMet_OnARouteThatDoesNotAuthenticate_FallsBackWithAnUnverifiableText(string kind)
    {
        // Arrange: each requirement has the level, but no route of this server checks the certificate's name.
        var tls = kind switch
        {
            "dane" => new TlsRequirement(TlsMode.Dane, null, null, daneRequired: true),
            "nopins" => new TlsRequirement(TlsMode.Pkix),
            _ => new TlsRequirement(TlsMode.Pkix, new[] { "*.f-v1.mx.microsoft", "*.mail.protection.outlook.com" }, "the MTA-STS policy"),
        };
        var engine = new DecisionEngine(Settings());
        var profile = Profile("example.com", LinkSecurityLevel.TransportSecure, tls);

        // Act
        var bounce = engine.Decide(Level1Bounce, "a@example.com", profile, TimeSpan.Zero);
        var safePart = engine.Decide(new LinkSecurityRequest(LinkSecurityLevel.TransportSecure, FallbackAction.SafePart, false, RequestSources.LinkSecurity), "a@example.com", profile, TimeSpan.Zero);

        // Assert
        Assert.Equal(DecisionKind.Bounce, bounce.Kind);
        Assert.Null(bounce.Route);
        Assert.Equal("5.7.30", bounce.StatusCode!.Value.Enhanced);
        Assert.Contains("could not be verified from this server", bounce.UserExplanation);
        Assert.Contains("no route of this server enforces it", bounce.Reason);
        Assert.Contains("routing.allowUnauthenticatedRoutes", bounce.TechnicalDetail);
        Assert.Equal(DecisionKind.Downgrade, safePart.Kind);
    }

    [Fact]
    public void AllowUnauthenticatedRoutes_OptOut_LetsTheUnauthenticatedRouteCarrySecure_AndSaysSo()
    {
        // Arrange
        var engine = new DecisionEngine(Settings("""{ "routing": { "allowUnauthenticatedRoutes": true } }"""));
        var profile = Profile("example.com", LinkSecurityLevel.TransportSecure, new TlsRequirement(TlsMode.Dane, null, null, daneRequired: true));

        // Act
        var decision = engine.Decide(Level1Bounce, "a@example.com", profile, TimeSpan.Zero);

        // Assert
        Assert.Equal(DecisionKind.Secure, decision.Kind);
        Assert.False(decision.Route!.Authenticates);
        Assert.Equal("EncryptionOnly", decision.Route.TlsAuthLevel);
        Assert.Contains("does not authenticate", decision.Route.ToString());
    }

    [Fact]
    public void EnforceForAllMail_OnAnUnauthenticatedRoute_Passes()
    {
        // Arrange
        var engine = new DecisionEngine(Settings("""{ "enforceForAllMail": true }"""));
        var profile = Profile("example.com", LinkSecurityLevel.TransportSecure, new TlsRequirement(TlsMode.Pkix));

        // Act
        var decision = engine.Decide(LinkSecurityRequest.None, "a@example.com", profile, TimeSpan.Zero);

        // Assert
        Assert.Equal(DecisionKind.Pass, decision.Kind);
    }

    [Fact]
    public void PolicyViolation_DefersWith475()
    {
        // Arrange
        var engine = new DecisionEngine(Settings());
        var profile = DomainProfile.TemporaryFailure("example.com", TemporaryFailureKind.PolicyViolation, "mx1.example.com: no STARTTLS under MTA-STS enforce");

        // Act
        var decision = engine.Decide(Level1Bounce, "a@example.com", profile, TimeSpan.FromMinutes(1));

        // Assert
        Assert.Equal(DecisionKind.Defer, decision.Kind);
        Assert.Equal("4.7.5", decision.StatusCode!.Value.Enhanced);
    }
}
