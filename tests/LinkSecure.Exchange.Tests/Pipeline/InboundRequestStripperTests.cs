using System.Linq;
using LinkSecure.Exchange.Simulator;
using LinkSecure.Exchange.Tests.Support;
using Microsoft.Exchange.Data.Transport.Routing;
using Xunit;

namespace LinkSecure.Exchange.Tests.Pipeline;

/// <summary>Request and waiver fields count only on mail submitted inside the organisation (OnSubmittedMessage).</summary>
public class InboundRequestStripperTests
{
    private const string AuthAs = "X-MS-Exchange-Organization-AuthAs";

    private static SimMailItem Item(byte[] mime, params string[] recipients) =>
        new(mime, recipients.Select(r => new SimRecipient(r)));

    [Theory]
    [InlineData("Anonymous")]
    [InlineData("Partner")]
    public void OutsideMail_SpoofedInternalSender_RequestIsRemovedBeforeTheDecision(string origin)
    {
        // Arrange: an Internet sender writes From: alice@contoso.example (our own domain) and asks for level 1; the
        // receive connector stamped the authenticated origin, whatever the From says.
        using var harness = new AgentHarness();
        harness.Profiles.WithCached("partner.example", 1);
        var item = Item(Messages.Create("level=1", authAs: origin, from: "alice@contoso.example"), "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert: no request reached the decision (a level-1 request to this profile would bounce: DANE alone).
        Assert.Empty(harness.Pipeline.Violations);
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Delivered, outcome.Kind);
        Assert.Null(outcome.Override);
        var text = Messages.Text(outcome.Mime);
        Assert.DoesNotContain("Link-Security:", text);
        Assert.Contains(AuthAs + ": " + origin, text);
        Assert.Empty(harness.DecisionLines);
        Assert.Contains(harness.AgentLines, l => l.Contains("removed Link-Security (1 field(s)) from a message from outside the organisation (AuthAs " + origin + ")"));
    }

    [Fact]
    public void OutsideMail_EveryRequestAndWaiverFieldIsRemoved_ContentMarkersStay()
    {
        // Arrange
        using var harness = new AgentHarness();
        var mime = Messages.Create("level=4", withSafePart: true, extraHeader: "X-Link-Security", extraValue: "level=3", authAs: "Anonymous");
        foreach (var (name, value) in new[] { ("Require-TLS-ESMTP", "yes"), ("TLS-Required", "No"), ("Link-Security", "level=2"), ("Link-Security-Subject", "A message for you") })
        {
            mime = Messages.WithHeader(mime, name, value);
        }

        var item = Item(mime, "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        var text = Messages.Text(Assert.Single(harness.Pipeline.Outcomes).Mime);
        Assert.DoesNotContain("\nLink-Security:", text);
        Assert.DoesNotContain("X-Link-Security:", text);
        Assert.DoesNotContain("Require-TLS-ESMTP:", text);
        Assert.DoesNotContain("TLS-Required:", text);
        Assert.Contains("Link-Security-Subject: A message for you", text);
        Assert.Contains("Link-Security-Part: safe", text);
        Assert.Contains(harness.AgentLines, l => l.Contains("(5 field(s))"));
    }

    [Fact]
    public void OutsideMail_WaiverCannotDefeatEnforceForAllMail()
    {
        // Arrange: enforceForAllMail secures every message to a capable domain unless its sender waived it.
        using var harness = new AgentHarness("""{ "enforceForAllMail": true }""");
        harness.Profiles.WithCached("secure.example", 1, "mx.secure.example");
        var outside = Item(Messages.Create(null, extraHeader: "TLS-Required", extraValue: "No", authAs: "Anonymous"), "bob@secure.example");
        var inside = Item(Messages.Create(null, extraHeader: "TLS-Required", extraValue: "No"), "carol@secure.example");

        // Act
        harness.Pipeline.Submit(outside);
        harness.Pipeline.Submit(inside);

        // Assert: the outside waiver is gone, so the message is secured; an internal sender's waiver is honoured.
        var outcomes = harness.Pipeline.Outcomes.ToDictionary(o => o.Address);
        Assert.Equal("linksecure-dv.invalid", outcomes["bob@secure.example"].Override!.RoutingDomain.Domain);
        Assert.Null(outcomes["carol@secure.example"].Override);
        Assert.Contains("TLS-Required: No", Messages.Text(outcomes["carol@secure.example"].Mime));
    }

    [Fact]
    public void OutsideMail_ForgedSecondAuthAsInternal_IsStillOutside()
    {
        // Arrange: every AuthAs field must say Internal (the header firewall removes forged ones; two disagreeing ones
        // are not proof of anything).
        using var harness = new AgentHarness();
        var item = Item(Messages.WithHeader(Messages.Create("level=1", authAs: "Anonymous"), AuthAs, "Internal"), "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Null(outcome.Override);
        Assert.DoesNotContain("Link-Security:", Messages.Text(outcome.Mime));
    }

    [Fact]
    public void OutsideMail_OrganisationsOwnTransportRuleStampsAfterTheRemoval_AndIsHonoured()
    {
        // Arrange: a message from outside, forwarded to an external address, which the organisation's rule protects.
        using var harness = new AgentHarness();
        harness.Profiles.WithCached("partner.example", 2, "*.mx.partner.example");
        harness.Pipeline.TransportRules.Add(new TransportRule(_ => true, "Link-Security", "level=2; fallback=bounce"));
        var item = Item(Messages.Create("level=0", authAs: "Anonymous"), "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Delivered, outcome.Kind);
        Assert.Equal("linksecure-dv.invalid", outcome.Override!.RoutingDomain.Domain);
        Assert.Contains("decision=Secure", Assert.Single(harness.DecisionLines));
    }

    [Fact]
    public void InternalMail_RequestIsKeptAndDecided()
    {
        // Arrange
        using var harness = new AgentHarness();
        harness.Profiles.WithCached("partner.example", 2, "*.mx.partner.example");
        var item = Item(Messages.Create("level=2"), "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal("linksecure-dv.invalid", outcome.Override!.RoutingDomain.Domain);
        Assert.Contains("Link-Security: level=2", Messages.Text(outcome.Mime));
        Assert.DoesNotContain(harness.AgentLines, l => l.Contains("OnSubmittedMessage"));
    }

    [Fact]
    public void UnknownOrigin_RequestIsKept_WaiverIsRemoved()
    {
        // Arrange: no AuthAs field at all (for example a pickup-folder message): fail closed in both directions.
        using var harness = new AgentHarness("""{ "enforceForAllMail": true }""");
        harness.Profiles.WithCached("partner.example", 2, "*.mx.partner.example").WithCached("secure.example", 1, "mx.secure.example");
        var request = Item(Messages.Create("level=2", authAs: null), "bob@partner.example");
        var waiver = Item(Messages.Create(null, extraHeader: "TLS-Required", extraValue: "No", authAs: null), "carol@secure.example");

        // Act
        harness.Pipeline.Submit(request);
        harness.Pipeline.Submit(waiver);

        // Assert
        var outcomes = harness.Pipeline.Outcomes.ToDictionary(o => o.Address);
        Assert.Equal("linksecure-dv.invalid", outcomes["bob@partner.example"].Override!.RoutingDomain.Domain);
        Assert.Equal("linksecure-dv.invalid", outcomes["carol@secure.example"].Override!.RoutingDomain.Domain);
        Assert.DoesNotContain("TLS-Required:", Messages.Text(outcomes["carol@secure.example"].Mime));
        Assert.Contains(harness.AgentLines, l => l.Contains("request on a message of unknown origin") && l.Contains("is kept"));
        Assert.Contains(harness.AgentLines, l => l.Contains("removed TLS-Required") && l.Contains("unknown origin"));
    }

    [Fact]
    public void UndecodableAuthAs_IsNotInternal()
    {
        // Arrange
        using var harness = new AgentHarness();
        harness.Pipeline.Faults = new FaultPlan { Malformed = (_, name) => name == AuthAs };
        var item = Item(Messages.Create("level=1"), "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        Assert.Empty(harness.Pipeline.Violations);
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Null(outcome.Override);
        Assert.DoesNotContain("Link-Security:", Messages.Text(outcome.Mime));
        Assert.Contains(AuthAs + ": Internal", Messages.Text(outcome.Mime));
    }

    [Fact]
    public void CheckFails_TaggedMessageIsDeferredUnchanged_ThenStrippedOnItsReturn()
    {
        // Arrange: the first read of the message at OnSubmittedMessage throws.
        using var harness = new AgentHarness();
        harness.Pipeline.Faults = FaultPlan.ThrowOn(ExchangeCall.Message, 0);
        var item = Item(Messages.Create("level=1", authAs: "Anonymous"), "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);
        var deferred = harness.Pipeline.Outcomes.ToList();
        var settled = harness.Pipeline.RunUntilSettled(3);

        // Assert
        Assert.Empty(harness.Pipeline.Violations);
        Assert.Equal(OutcomeKind.Deferred, Assert.Single(deferred).Kind);
        Assert.Equal("4.3.0", deferred[0].Response.EnhancedStatusCode);
        Assert.True(settled);
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Delivered, outcome.Kind);
        Assert.Null(outcome.Override);
        Assert.DoesNotContain("Link-Security:", Messages.Text(outcome.Mime));
        Assert.Contains(harness.AgentLines, l => l.Contains("could not be checked; deferring the message (fail-closed)"));
    }

    [Fact]
    public void UntaggedMessage_SubmittedHandlerAllocatesNothing_AndLeavesTheMessage()
    {
        // Arrange
        using var harness = new AgentHarness(withLog: false);
        var agent = (RoutingAgent)harness.Factory.CreateAgent(new SimSmtpServer("contoso.example"));
        var mime = Messages.Create(authAs: "Anonymous");
        var item = Item(mime, "bob@partner.example");

        // Act
        var perEvent = harness.Pipeline.MeasureHandlerAllocations(agent, CategorizerEvent.Submitted, item, 1000);
        harness.Pipeline.RaiseEvent(agent, CategorizerEvent.Submitted, item);

        // Assert
        Assert.True(perEvent.HasValue, "the runtime has no per-thread allocation counter");
        Assert.Equal(0, perEvent!.Value);
        Assert.Same(mime, item.Mime);
        Assert.True(TransportPipeline.HasHandler(agent, CategorizerEvent.Submitted));
    }
}
