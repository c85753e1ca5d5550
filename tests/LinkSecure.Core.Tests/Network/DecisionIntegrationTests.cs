using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using LinkSecure.Core.Database;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;
using LinkSecure.TestSupport.Network;
using Xunit;

namespace LinkSecure.Core.Tests.Network;

/// <summary>The decision engine fed by the live source through the core's <see cref="ProfileResolver"/>.</summary>
[Collection(NetworkCollection.Name)]
public class DecisionIntegrationTests
{
    private readonly NetworkFixture fixture;

    public DecisionIntegrationTests(NetworkFixture fixture)
    {
        this.fixture = fixture;
    }

    private async Task<RecipientDecision> DecideAsync(string domain, string header, bool validating = false)
    {
        var settings = fixture.Settings(validating);
        using var source = Core.Network.NetworkProfileSource.Create(settings);
        var resolver = new ProfileResolver(settings, KnownDomainDatabase.Empty, source);
        var request = RequestParser.Parse(new List<KeyValuePair<string, string>> { new("Link-Security", header) });
        var profile = await resolver.ResolveAsync(domain);
        return new DecisionEngine(settings).Decide(request, "user@" + domain, profile, TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task MtaStsEnforce_MeetsLevelOne_OverThePkixRoute()
    {
        // Arrange
        var domain = fixture.NewDomain("decide");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.PublishMtaSts(domain, "d1", PolicyResponse.Policy("enforce", 86400, "mx1." + domain));

        // Act
        var decision = await DecideAsync(domain, "level=1; fallback=bounce");

        // Assert
        Assert.Equal(DecisionKind.Secure, decision.Kind);
        Assert.Equal("DomainValidation", decision.Route!.TlsAuthLevel);
        Assert.Equal("mx1." + domain, decision.Route.TlsDomain);
    }

    [Fact]
    public async Task BogusTlsa_DefersWithTheReason_NeverBounces()
    {
        // Arrange
        var domain = fixture.NewDomain("decidebogus");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.Dns.MarkSecure(domain);
        fixture.Dns.SetFault("_25._tcp.mx1." + domain, DnsFault.ServFail);

        // Act
        var decision = await DecideAsync(domain, "level=1; fallback=bounce", validating: true);

        // Assert
        Assert.Equal(DecisionKind.Defer, decision.Kind);
        Assert.Equal(TemporaryFailureKind.Dnssec, decision.Profile!.FailureKind);
        Assert.Contains($"TLSA lookup for _25._tcp.mx1.{domain} returned SERVFAIL", decision.TechnicalDetail);
    }

    [Fact]
    public async Task UnreachablePolicyHost_DefersInsteadOfBouncing()
    {
        // Arrange
        var domain = fixture.NewDomain("decide500");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.PublishMtaSts(domain, "e1", new PolicyResponse { Status = 503 });

        // Act
        var decision = await DecideAsync(domain, "level=1; fallback=bounce");

        // Assert
        Assert.Equal(DecisionKind.Defer, decision.Kind);
        Assert.Contains("answered HTTP 503", decision.TechnicalDetail);
    }
}
