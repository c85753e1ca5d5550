using System.Linq;
using LinkSecure.Exchange.Simulator;
using LinkSecure.Exchange.Tests.Support;
using Microsoft.Exchange.Data.Transport;
using Xunit;

namespace LinkSecure.Exchange.Tests.Pipeline;

/// <summary>
/// The agent with a validating relay (<c>routing.validatingRelay</c>, docs/relay.md): recipients whose evidence no
/// connector of Exchange can enforce — DANE (Exchange cannot check TLSA, RFC 7672 §2.2) and MTA-STS names that no one
/// TLS domain covers — go to the relay's smart-host connector and are Secure; without the relay they fall back, never
/// weaker; a generic smart host never makes them Secure.
/// </summary>
public class ValidatingRelayTests
{
    private const string RelayDomain = "relay.linksecure.invalid";

    /// <summary>Connector mode plus two validating relays behind one DomainValidation smart-host connector.</summary>
    private const string RelayConfig = """{ "routing": { "validatingRelay": true, "smartHosts": ["relay1.contoso.example", "relay2.contoso.example"], "smartHostTlsDomain": "relay.contoso.example", "smartHostDomain": "relay.linksecure.invalid" } }""";

    /// <summary>A generic smart host: the same connector, but not known to enforce per-recipient evidence.</summary>
    private const string GenericSmartHostConfig = """{ "routing": { "mode": "smartHost", "smartHosts": ["relay1.contoso.example"], "smartHostTlsDomain": "relay.contoso.example", "smartHostDomain": "relay.linksecure.invalid" } }""";

    private static readonly string[] NoNames = System.Array.Empty<string>();

    private static readonly string[] MultiName = { "*.mx.partner.example", "*.mail.hoster.example" };

    public static TheoryData<string[], ForkMode> Unenforceable => new()
    {
        { NoNames, ForkMode.ReentersSameEvent },
        { NoNames, ForkMode.LaterEventsOnly },
        { MultiName, ForkMode.ReentersSameEvent },
        { MultiName, ForkMode.LaterEventsOnly },
    };

    private static SimMailItem Item(byte[] mime, params string[] recipients) =>
        new(mime, recipients.Select(r => new SimRecipient(r)));

    [Theory]
    [MemberData(nameof(Unenforceable))]
    public void ValidatingRelay_DaneOrMultiNameRecipient_RoutedToTheRelayAndSecure(string[] mx, ForkMode mode)
    {
        // Arrange: DANE alone (no names) or an MTA-STS policy whose names lie under two registrable domains.
        using var harness = new AgentHarness(RelayConfig, forkMode: mode);
        harness.Profiles.WithCached("partner.example", 1, mx);
        var item = Item(Messages.Create("level=1; fallback=bounce"), "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        Assert.Empty(harness.Pipeline.Violations);
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Delivered, outcome.Kind);
        Assert.Equal(RelayDomain, outcome.Override!.RoutingDomain.Domain);
        Assert.Equal(DeliveryQueueDomain.UseOverrideDomain, outcome.Override.DeliveryQueueDomain);
        Assert.Null(outcome.TlsDomain);
        var line = Assert.Single(harness.DecisionLines);
        Assert.Contains("decision=Secure", line);
        Assert.Contains("route=" + RelayDomain + " (DomainValidation)", line);
        Assert.DoesNotContain("does not authenticate", line);
    }

    [Theory]
    [MemberData(nameof(Unenforceable))]
    public void NoRelay_DaneOrMultiNameRecipient_BouncesNeverWeaker(string[] mx, ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness(forkMode: mode);
        harness.Profiles.WithCached("partner.example", 1, mx);
        var item = Item(Messages.Create("level=1; fallback=bounce"), "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        Assert.Empty(harness.Pipeline.Violations);
        var ndr = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Bounced, ndr.Kind);
        Assert.Null(ndr.Override);
        Assert.Equal("5.7.30", ndr.Response.EnhancedStatusCode);
        Assert.Contains("decision=Bounce", Assert.Single(harness.DecisionLines));
    }

    [Theory]
    [MemberData(nameof(Unenforceable))]
    public void NoRelay_DaneOrMultiNameRecipient_SafePartFallbackDowngrades(string[] mx, ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness(forkMode: mode);
        harness.Profiles.WithCached("partner.example", 1, mx);
        var item = Item(Messages.Create("level=1; fallback=safe-part", withSafePart: true), "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Delivered, outcome.Kind);
        Assert.Null(outcome.Override);
        var text = Messages.Text(outcome.Mime);
        Assert.Contains("Link-Security-Downgraded", text);
        Assert.DoesNotContain("Confidential", text);
        Assert.Contains("decision=Downgrade", Assert.Single(harness.DecisionLines));
    }

    [Theory]
    [MemberData(nameof(Unenforceable))]
    public void GenericSmartHost_DaneOrMultiNameRecipient_NeverSecure(string[] mx, ForkMode mode)
    {
        // Arrange: the same relay host names and an authenticated connector, but not declared a validating relay: it
        // receives no per-recipient requirement, so it is not known to enforce the evidence.
        using var harness = new AgentHarness(GenericSmartHostConfig, forkMode: mode);
        harness.Profiles.WithCached("partner.example", 1, mx);
        var item = Item(Messages.Create("level=1; fallback=bounce"), "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        var ndr = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Bounced, ndr.Kind);
        Assert.Null(ndr.Override);
        Assert.DoesNotContain("decision=Secure", Assert.Single(harness.DecisionLines));
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void ValidatingRelay_OneTlsDomainCoversTheNames_StaysOnTheDomainValidationConnector(ForkMode mode)
    {
        // Arrange: a route Exchange can authenticate itself keeps using it; the relay is only for what it cannot.
        using var harness = new AgentHarness(RelayConfig, forkMode: mode);
        harness.Profiles.WithCached("partner.example", 1, "*.mx.partner.example");
        var item = Item(Messages.Create("level=1; fallback=bounce"), "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal("linksecure-dv.invalid", outcome.Override!.RoutingDomain.Domain);
        Assert.Equal("*.mx.partner.example", outcome.TlsDomain);
    }
}
