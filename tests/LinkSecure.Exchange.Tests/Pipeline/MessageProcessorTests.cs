using LinkSecure.Core.Handling;
using System;
using System.Linq;
using System.Threading.Tasks;
using LinkSecure.Exchange.Pipeline;
using LinkSecure.Exchange.Simulator;
using LinkSecure.Exchange.Tests.Support;
using Microsoft.Exchange.Data.Transport;
using Xunit;

namespace LinkSecure.Exchange.Tests.Pipeline;

/// <summary>Scenario tests: every decision kind applied through the pipeline simulator.</summary>
public class MessageProcessorTests
{
    private static SimMailItem Item(byte[] mime, params string[] recipients) =>
        new(mime, recipients.Select(r => new SimRecipient(r)));

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void Untagged_PassesUntouched(ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness(forkMode: mode);
        var mime = Messages.Create();
        var item = Item(mime, "bob@partner.example", "carol@other.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        Assert.Empty(harness.Pipeline.Violations);
        Assert.All(harness.Pipeline.Outcomes, o => Assert.Equal(OutcomeKind.Delivered, o.Kind));
        Assert.All(harness.Pipeline.Outcomes, o => Assert.Null(o.Override));
        Assert.Same(mime, item.Mime);
        Assert.All(item.SimRecipients.Items, r => Assert.Empty(r.Bag));
        Assert.Equal(0, harness.Profiles.LookupCount);
        Assert.Empty(harness.DecisionLines);
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void Tagged_DomainMeetsLevel_RoutesToDomainValidationConnectorWithTlsDomain(ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness(forkMode: mode);
        harness.Profiles.WithCached("partner.example", 2, "*.mx.partner.example");
        var item = Item(Messages.Create("level=2; fallback=bounce"), "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        Assert.Empty(harness.Pipeline.Violations);
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Delivered, outcome.Kind);
        Assert.Equal("linksecure-dv.invalid", outcome.Override!.RoutingDomain.Domain);
        Assert.True(outcome.Override.RoutingDomain.IsSmtp(), "a DNS-routed route needs an SMTP address space");
        Assert.Equal(DeliveryQueueDomain.UseRecipientDomain, outcome.Override.DeliveryQueueDomain);
        Assert.Equal("*.mx.partner.example", outcome.TlsDomain);
        var line = Assert.Single(harness.DecisionLines);
        Assert.Contains("decision=Secure", line);
        Assert.Contains("route=linksecure-dv.invalid (DomainValidation, *.mx.partner.example)", line);
        Assert.DoesNotContain("does not authenticate", line);
        Assert.Contains("recipientDomain=partner.example", line);
        Assert.Contains("senderDomain=contoso.example", line);
        Assert.Contains("elapsedUs=", line);
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void Tagged_DaneOnlyNoPinnedNames_BouncesCouldNotBeVerified(ForkMode mode)
    {
        // Arrange: level 1 from DANE alone (RFC 7672 §2.2); Exchange cannot check TLSA records and no name is pinned,
        // so no route of this server authenticates the MX hosts (docs/protocol.md §5).
        using var harness = new AgentHarness(forkMode: mode);
        harness.Profiles.WithCached("partner.example", 1);
        var item = Item(Messages.Create("level=1"), "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        Assert.Empty(harness.Pipeline.Violations);
        var ndr = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Bounced, ndr.Kind);
        Assert.Null(ndr.Override);
        Assert.Null(ndr.TlsDomain);
        Assert.Equal("550", ndr.Response.StatusCode);
        Assert.Equal("5.7.30", ndr.Response.EnhancedStatusCode);
        Assert.Contains("could not be verified from this server", ndr.Response.DsnExplanation);
        Assert.Contains("bob@partner.example", ndr.Response.DsnExplanation);
        var line = Assert.Single(harness.DecisionLines);
        Assert.Contains("decision=Bounce", line);
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void Tagged_NamesNoTlsDomainCovers_SafePartFallbackDowngrades(ForkMode mode)
    {
        // Arrange: the pinned names lie under two registrable domains, so no one Exchange TLS domain covers them and a
        // CertificateValidation connector would accept any publicly trusted certificate.
        using var harness = new AgentHarness(forkMode: mode);
        harness.Profiles.WithCached("partner.example", 1, "*.mx.partner.example", "*.mail.hoster.example");
        var item = Item(Messages.Create("level=1; fallback=safe-part", withSafePart: true), "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        Assert.Empty(harness.Pipeline.Violations);
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Delivered, outcome.Kind);
        Assert.Null(outcome.Override);
        Assert.Null(outcome.TlsDomain);
        var text = Messages.Text(outcome.Mime);
        Assert.Contains("Link-Security-Downgraded", text);
        Assert.DoesNotContain("Confidential", text);
        Assert.Contains("decision=Downgrade", Assert.Single(harness.DecisionLines));
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void AllowUnauthenticatedRoutes_NamesNoTlsDomainCovers_RoutesToCertificateValidationWithoutTlsDomain(ForkMode mode)
    {
        // Arrange: the administrator's opt-in restores the unauthenticated CertificateValidation route.
        using var harness = new AgentHarness("""{ "routing": { "allowUnauthenticatedRoutes": true } }""", forkMode: mode);
        harness.Profiles.WithCached("partner.example", 1, "*.mx.partner.example", "*.mail.hoster.example");
        var item = Item(Messages.Create("level=1"), "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Delivered, outcome.Kind);
        Assert.Equal("linksecure-cv.invalid", outcome.Override!.RoutingDomain.Domain);
        Assert.Equal(DeliveryQueueDomain.UseRecipientDomain, outcome.Override.DeliveryQueueDomain);
        Assert.Null(outcome.TlsDomain);
        Assert.Contains("does not authenticate the server", Assert.Single(harness.DecisionLines));
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void AllowUnauthenticatedRoutes_DaneOnly_RoutesToEncryptionOnlyWithoutTlsDomain(ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness("""{ "routing": { "allowUnauthenticatedRoutes": true } }""", forkMode: mode);
        harness.Profiles.WithCached("partner.example", 1);
        var item = Item(Messages.Create("level=1"), "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Delivered, outcome.Kind);
        Assert.Equal("linksecure-eo.invalid", outcome.Override!.RoutingDomain.Domain);
        Assert.Null(outcome.TlsDomain);
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void TransportRuleStampsHeader_AgentRunsAfterItAndSecures(ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness(forkMode: mode);
        harness.Profiles.WithCached("partner.example", 1, "mx.partner.example");
        harness.Pipeline.TransportRules.Add(new TransportRule(_ => true, "Link-Security", "level=1"));
        var item = Item(Messages.Create(), "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        var trace = harness.Pipeline.Trace;
        // The agent's OnSubmittedMessage (the inbound check) runs before the rules; its decision after them.
        Assert.True(trace.FindIndex(t => t.Contains("OnSubmittedMessage LinkSecure")) < trace.FindIndex(t => t.Contains("TransportRule")));
        Assert.True(trace.FindIndex(t => t.Contains("TransportRule")) < trace.FindIndex(t => t.Contains("OnResolvedMessage LinkSecure")));
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal("linksecure-dv.invalid", outcome.Override!.RoutingDomain.Domain);
        Assert.Equal("mx.partner.example", outcome.TlsDomain);
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void Bounce_RemovesRecipientWithDsnCarryingCodeAndExplanation(ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness(forkMode: mode);
        var item = Item(Messages.Create("level=1; fallback=bounce"), "bob@plain.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        Assert.Empty(harness.Pipeline.Violations);
        var ndr = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Bounced, ndr.Kind);
        Assert.Equal("550", ndr.Response.StatusCode);
        Assert.Equal("5.7.30", ndr.Response.EnhancedStatusCode);
        Assert.Contains("link-secure delivery", ndr.Response.DsnExplanation);
        Assert.Contains("bob@plain.example", ndr.Response.DsnExplanation);
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void Downgrade_WithSafePart_RewritesOnceThroughBufferedWrite(ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness(forkMode: mode);
        var item = Item(Messages.Create("level=1; fallback=safe-part", withSafePart: true), "bob@plain.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        Assert.Empty(harness.Pipeline.Violations);
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Delivered, outcome.Kind);
        Assert.Null(outcome.Override);
        var text = Messages.Text(outcome.Mime);
        Assert.Contains("Link-Security-Downgraded", text);
        Assert.Contains("secure portal", text);
        Assert.DoesNotContain("Confidential", text);
        Assert.Equal(1, item.MimeWrites);
        Assert.True(RecipientMarks.IsDowngraded(item));
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void Downgrade_WithoutSafePart_BouncesInstead(ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness(forkMode: mode);
        var item = Item(Messages.Create("level=1; fallback=safe-part"), "bob@plain.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        var ndr = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Bounced, ndr.Kind);
        Assert.Equal("5.7.30", ndr.Response.EnhancedStatusCode);
        Assert.Contains("no part of it was marked as safe", ndr.Response.DsnExplanation);
        Assert.Equal(0, item.MimeWrites);
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void Defer_TemporaryLookupFailure_DefersTheCopyWith4xx(ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness(forkMode: mode);
        harness.Profiles.WithTemporaryFailure("flaky.example");
        var item = Item(Messages.Create("level=1"), "bob@flaky.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        Assert.Empty(harness.Pipeline.Violations);
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Deferred, outcome.Kind);
        Assert.Equal("451", outcome.Response.StatusCode);
        Assert.Equal("4.4.3", outcome.Response.EnhancedStatusCode);
        Assert.Equal(TimeSpan.FromMinutes(15), outcome.DeferFor);
        Assert.Equal(1, harness.Pipeline.AsyncCount);
        Assert.All(item.SimRecipients.Items, r => Assert.Equal(MarkKind.None, RecipientMarks.Read(r, DateTimeOffset.UtcNow).Kind));
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent, true)]
    [InlineData(ForkMode.ReentersSameEvent, false)]
    [InlineData(ForkMode.LaterEventsOnly, true)]
    [InlineData(ForkMode.LaterEventsOnly, false)]
    public void MixedRecipients_ForkOncePerTreatment_EveryRecipientOneOutcome(ForkMode mode, bool forkKeepsProperties)
    {
        // Arrange
        using var harness = new AgentHarness(forkMode: mode);
        harness.Profiles.WithCached("secure.example", 2, "*.mx.secure.example").WithTemporaryFailure("flaky.example");
        harness.Pipeline.ForkKeepsProperties = forkKeepsProperties;
        var item = new SimMailItem(
            Messages.Create("level=1; fallback=safe-part", withSafePart: true),
            new[]
            {
                new SimRecipient("ann@contoso.example", RecipientCategory.InSameOrganization),
                new SimRecipient("bob@secure.example"),
                new SimRecipient("cat@plain.example"),
                new SimRecipient("dan@flaky.example"),
                new SimRecipient("eve@secure.example"),
            });

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        Assert.Empty(harness.Pipeline.Violations);
        var outcomes = harness.Pipeline.Outcomes.ToDictionary(o => o.Address);
        var settledLater = mode == ForkMode.LaterEventsOnly && !forkKeepsProperties;
        if (settledLater)
        {
            // Without marks on the clone, the downgrade copy meets OnRoutedMessage undecided: the backstop defers it
            // untouched, and the retry decides it afresh.
            Assert.Equal(OutcomeKind.Deferred, outcomes["cat@plain.example"].Kind);
            harness.Pipeline.RunUntilSettled(1);
            Assert.Empty(harness.Pipeline.Violations);
            outcomes = harness.Pipeline.Outcomes.ToDictionary(o => o.Address);
        }

        Assert.Equal(5, harness.Pipeline.Outcomes.Count);
        Assert.Null(outcomes["ann@contoso.example"].Override);
        Assert.Equal(OutcomeKind.Delivered, outcomes["ann@contoso.example"].Kind);
        Assert.Equal("linksecure-dv.invalid", outcomes["bob@secure.example"].Override!.RoutingDomain.Domain);
        Assert.Equal("linksecure-dv.invalid", outcomes["eve@secure.example"].Override!.RoutingDomain.Domain);
        Assert.Equal("*.mx.secure.example", outcomes["bob@secure.example"].TlsDomain);
        Assert.Equal("*.mx.secure.example", outcomes["eve@secure.example"].TlsDomain);
        Assert.Contains("Link-Security-Downgraded", Messages.Text(outcomes["cat@plain.example"].Mime));
        Assert.DoesNotContain("Link-Security-Downgraded", Messages.Text(outcomes["bob@secure.example"].Mime));
        Assert.Equal(OutcomeKind.Deferred, outcomes["dan@flaky.example"].Kind);
        if (!settledLater)
        {
            Assert.Equal(2, harness.Pipeline.ForkCount);
            Assert.Equal(3, harness.Pipeline.Outcomes.Select(o => o.Item).Distinct().Count());
        }
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void Reentry_DecidedRecipientsAreNotDecidedAgain(ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness(forkMode: mode);
        harness.Profiles.WithCached("secure.example", 1, "mx.secure.example");
        var item = Item(Messages.Create("level=1; fallback=safe-part", withSafePart: true), "bob@secure.example", "cat@plain.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert: one decision line per recipient although the handler ran twice.
        Assert.Equal(2, harness.Pipeline.AgentsCreated);
        Assert.Equal(2, harness.DecisionLines.Length);
        Assert.Empty(harness.Pipeline.Violations);
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void SystemMessage_TaggedButUntouched(ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness(forkMode: mode);
        var item = new SimMailItem(Messages.Create("level=1"), new[] { new SimRecipient("bob@plain.example") }, isSystemMessage: true);

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Delivered, outcome.Kind);
        Assert.Null(outcome.Override);
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void TnefMessage_RewrittenAfterContentConversion_SecureStillRoutes(ForkMode mode)
    {
        // Arrange: TNEF at OnResolvedMessage and OnRoutedMessage, MIME at OnCategorizedMessage.
        using var harness = new AgentHarness(forkMode: mode);
        harness.Profiles.WithCached("secure.example", 1, "mx.secure.example");
        var item = new SimMailItem(
            Messages.Create("level=1; fallback=safe-part", withSafePart: true),
            new[] { new SimRecipient("bob@secure.example"), new SimRecipient("cat@plain.example") },
            isTnef: true);

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        Assert.Empty(harness.Pipeline.Violations);
        var outcomes = harness.Pipeline.Outcomes.ToDictionary(o => o.Address);
        Assert.Equal("linksecure-dv.invalid", outcomes["bob@secure.example"].Override!.RoutingDomain.Domain);
        Assert.Equal(OutcomeKind.Delivered, outcomes["cat@plain.example"].Kind);
        Assert.Contains("X-MS-Exchange-Organization-LinkSecure-Downgraded", System.Text.Encoding.UTF8.GetString(outcomes["cat@plain.example"].Mime));
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void TnefMessage_NeverConverted_NoNotice_DowngradeBouncesInPlainWords(ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness(forkMode: mode);
        harness.Pipeline.TnefUntil = TnefUntil.Categorized;
        var item = new SimMailItem(
            Messages.Create("level=1; fallback=safe-part", withSafePart: false),
            new[] { new SimRecipient("cat@plain.example") },
            isTnef: true);

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Bounced, outcome.Kind);
        Assert.Contains("format from which this server cannot take out the protected parts", outcome.Response.DsnExplanation);
        Assert.DoesNotContain("TNEF", outcome.Response.DsnExplanation);
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void ZeroRecipients_NoErrorNoViolation(ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness(forkMode: mode);
        var item = Item(Messages.Create("level=1"));

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        Assert.Empty(harness.Pipeline.Violations);
        Assert.Empty(harness.Pipeline.Outcomes);
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void Waiver_TlsRequiredNo_Passes(ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness(forkMode: mode);
        var item = Item(Messages.Create(null, extraHeader: "TLS-Required", extraValue: "No"), "bob@plain.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Delivered, outcome.Kind);
        Assert.Null(outcome.Override);
    }

    private const string SmartHostConfig = """{ "routing": { "mode": "smartHost", "smartHosts": ["relay.contoso.example"], "smartHostDomain": "relay.linksecure.invalid" } }""";

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void SmartHostMode_RelayDoesNotAuthenticate_BouncesCouldNotBeVerified(ForkMode mode)
    {
        // Arrange: the generic relay receives no per-recipient requirement, so it is not known to enforce the pinned names.
        using var harness = new AgentHarness(SmartHostConfig, forkMode: mode);
        harness.Profiles.WithCached("partner.example", 1, "mx.partner.example");
        var item = Item(Messages.Create("level=1"), "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        Assert.Empty(harness.Pipeline.Violations);
        var ndr = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Bounced, ndr.Kind);
        Assert.Null(ndr.Override);
        Assert.Equal("5.7.30", ndr.Response.EnhancedStatusCode);
        Assert.Contains("could not be verified from this server", ndr.Response.DsnExplanation);
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void SmartHostMode_AllowUnauthenticatedRoutes_RoutesToRelayDomainByOverrideQueue(ForkMode mode)
    {
        // Arrange
        var config = """{ "routing": { "mode": "smartHost", "smartHosts": ["relay.contoso.example"], "smartHostDomain": "relay.linksecure.invalid", "allowUnauthenticatedRoutes": true } }""";
        using var harness = new AgentHarness(config, forkMode: mode);
        harness.Profiles.WithCached("partner.example", 1, "mx.partner.example");
        var item = Item(Messages.Create("level=1"), "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Delivered, outcome.Kind);
        Assert.Equal("relay.linksecure.invalid", outcome.Override!.RoutingDomain.Domain);
        Assert.Equal("LinkSecure", outcome.Override.RoutingDomain.Type);
        Assert.Equal(DeliveryQueueDomain.UseOverrideDomain, outcome.Override.DeliveryQueueDomain);
        Assert.Null(outcome.TlsDomain);
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void SmartHostMode_SmtpAddressSpaceType_RoutesToAnSmtpRelayDomain(ForkMode mode)
    {
        // Arrange: an Edge Transport relay connector, where Exchange allows only SMTP address spaces.
        var config = """{ "routing": { "mode": "smartHost", "smartHosts": ["relay.contoso.example"], "smartHostDomain": "relay.linksecure.invalid", "smartHostAddressSpaceType": "smtp", "allowUnauthenticatedRoutes": true } }""";
        using var harness = new AgentHarness(config, forkMode: mode);
        harness.Profiles.WithCached("partner.example", 1, "mx.partner.example");
        var item = Item(Messages.Create("level=1"), "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal("relay.linksecure.invalid", outcome.Override!.RoutingDomain.Domain);
        Assert.True(outcome.Override.RoutingDomain.IsSmtp());
        Assert.Equal(DeliveryQueueDomain.UseOverrideDomain, outcome.Override.DeliveryQueueDomain);
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void InternalRecipients_SameOrganizationInAnAuthoritativeDomain_PassUntouched(ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness(forkMode: mode);
        var item = new SimMailItem(Messages.Create("level=1; fallback=bounce"), new[] { new SimRecipient("ann@contoso.example", RecipientCategory.InSameOrganization) });

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Delivered, outcome.Kind);
        Assert.Null(outcome.Override);
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void AcceptedDomainAlone_IsNotInternal_TheRecipientIsDecided(ForkMode mode)
    {
        // Arrange: the category says another organisation (a mail contact's target, a relay recipient).
        using var harness = new AgentHarness(forkMode: mode);
        var item = Item(Messages.Create("level=1; fallback=bounce"), "ann@contoso.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.NotEqual(OutcomeKind.Delivered, outcome.Kind);
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void CachedProfileExpiringBeforeTheDecision_IsLookedUp_NotDeferred(ForkMode mode)
    {
        // Arrange: cached when the agent looks for missing profiles, gone when it decides (review T3-9).
        using var harness = new AgentHarness(forkMode: mode);
        harness.Profiles.WithCached("secure.example", 1, "mx.secure.example").WithAsync("secure.example", 1, "mx.secure.example");
        harness.Profiles.ExpiresAfterReads["secure.example"] = 1;
        var item = Item(Messages.Create("level=1"), "bob@secure.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        Assert.Empty(harness.Pipeline.Violations);
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Delivered, outcome.Kind);
        Assert.Equal("linksecure-dv.invalid", outcome.Override!.RoutingDomain.Domain);
        Assert.Equal(1, harness.Pipeline.AsyncCount);
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void CacheMiss_GoesAsync_ResumesAndCompletes(ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness(forkMode: mode);
        harness.Profiles.WithLookup("slow.example", async ct =>
        {
            await Task.Delay(20, ct).ConfigureAwait(false);
            return FakeProfileSource.Profile("slow.example", 1, "mx.slow.example");
        });
        var item = Item(Messages.Create("level=1"), "bob@slow.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        Assert.Empty(harness.Pipeline.Violations);
        Assert.Equal(1, harness.Pipeline.AsyncCount);
        Assert.Equal("linksecure-dv.invalid", Assert.Single(harness.Pipeline.Outcomes).Override!.RoutingDomain.Domain);
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void EnforceForAllMail_UntaggedToCapableDomainIsSecured_ButNeverBounced(ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness("""{ "enforceForAllMail": true }""", forkMode: mode);
        harness.Profiles.WithCached("secure.example", 1, "mx.secure.example").WithCached("dane.example", 1);
        var item = Item(Messages.Create(), "bob@secure.example", "cat@plain.example", "dan@dane.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        var outcomes = harness.Pipeline.Outcomes.ToDictionary(o => o.Address);
        Assert.Equal("linksecure-dv.invalid", outcomes["bob@secure.example"].Override!.RoutingDomain.Domain);
        Assert.Equal(OutcomeKind.Delivered, outcomes["cat@plain.example"].Kind);
        Assert.Null(outcomes["cat@plain.example"].Override);
        Assert.Equal(OutcomeKind.Delivered, outcomes["dan@dane.example"].Kind);
        Assert.Null(outcomes["dan@dane.example"].Override);
    }
}
