using System;
using System.Collections.Generic;
using System.Linq;
using LinkSecure.Exchange.Pipeline;
using LinkSecure.Exchange.Simulator;
using Microsoft.Exchange.Data.Mime;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Routing;
using Xunit;

namespace LinkSecure.Exchange.Tests.Simulator;

/// <summary>Faults injected into the Exchange surface: calls that throw, removals refused, malformed header values.</summary>
public class FaultPlanTests
{
    public static IEnumerable<object[]> Calls => ((ExchangeCall[])Enum.GetValues(typeof(ExchangeCall))).Select(c => new object[] { c });

    [Theory]
    [MemberData(nameof(Calls))]
    public void ThrowOn_MakesThatCallThrowAtTheAgent(ExchangeCall call)
    {
        // Arrange
        Exception? error = null;
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) => error = Record.Exception(() => Make(call, source, item))))
        {
            Faults = FaultPlan.ThrowOn(call),
        };

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example", "b@y.example"));

        // Assert
        Assert.IsType<InjectedFaultException>(error);
        Assert.Equal(1, pipeline.InjectedFaultCount);
        Assert.Equal(0, pipeline.EscapedExceptionCount);
    }

    [Fact]
    public void ThrowOn_TheNthOccurrenceOnly()
    {
        // Arrange
        var errors = new List<Exception?>();
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
        {
            for (var i = 0; i < 3; i++)
            {
                errors.Add(Record.Exception(() => item.Recipients));
            }
        }))
        {
            Faults = FaultPlan.ThrowOn(ExchangeCall.Recipients, occurrence: 1),
        };

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example"));

        // Assert
        Assert.Null(errors[0]);
        Assert.IsType<InjectedFaultException>(errors[1]);
        Assert.Null(errors[2]);
    }

    [Fact]
    public void Faults_NeverHitThePipelinesOwnReads()
    {
        // Arrange: every Recipients and Message access would throw, but the agent makes none.
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) => { }))
        {
            Faults = new FaultPlan { Throw = (call, item, n) => new InjectedFaultException("always") },
        };
        pipeline.TransportRules.Add(new TransportRule(i => i.Message.RootPart is not null, "X-Rule", "1"));

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example"));

        // Assert
        Assert.Empty(pipeline.Violations);
        Assert.Equal(0, pipeline.InjectedFaultCount);
        Assert.Equal(OutcomeKind.Delivered, Assert.Single(pipeline.Outcomes).Kind);
    }

    [Fact]
    public void RefusedRemove_ReturnsFalse_AndTheRecipientStays()
    {
        // Arrange
        bool? removed = null;
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
            removed = item.Recipients.Remove(item.Recipients[0], DsnType.Failure, SimResponses.Failure("550", "5.7.30", "why", "detail"))))
        {
            Faults = new FaultPlan { RefuseRemove = (item, recipient) => recipient.Address.LocalPart == "a" },
        };

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example"));

        // Assert
        Assert.False(removed);
        Assert.Equal(1, pipeline.RefusedRemoveCount);
        Assert.Empty(pipeline.Ndrs);
        Assert.Equal(OutcomeKind.Delivered, Assert.Single(pipeline.Outcomes).Kind);
    }

    [Fact]
    public void MalformedHeader_ValueThrows_TryGetValueFails_BytesUnchanged()
    {
        // Arrange
        Exception? valueError = null;
        bool? read = null;
        string? subject = null;
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
        {
            var header = item.Message.RootPart.Headers.FindFirst("Link-Security");
            valueError = Record.Exception(() => header.Value);
            read = header.TryGetValue(out _);
            subject = item.Message.RootPart.Headers.FindFirst("Subject").Value;
        }))
        {
            Faults = new FaultPlan { Malformed = (item, name) => name == "Link-Security" },
        };
        var original = SimItems.Tagged("a@x.example");
        var mime = original.Mime;

        // Act
        pipeline.Submit(original);

        // Assert
        Assert.IsType<FormatException>(valueError);
        Assert.False(read);
        Assert.Equal("Quarterly figures", subject);
        Assert.Same(mime, Assert.Single(pipeline.Outcomes).Mime);
    }

    [Fact]
    public void RandomFaultPlan_SameSeedSameDecisions_RatesRoughlyHeld()
    {
        // Arrange
        RandomFaultPlan Plan(int seed)
        {
            var plan = new RandomFaultPlan(seed) { CallFaultRate = 0.3, RemoveRefusalRate = 0.2, MalformedHeaderRate = 0.1, MaxOccurrence = 1 };
            plan.MalformedHeaderNames.Add("Link-Security");
            return plan;
        }

        var items = Enumerable.Range(0, 2000).Select(i => new SimMailItem(new byte[] { 13, 10 }, new[] { new SimRecipient("a@x.example") }) { Lineage = "m" + i }).ToList();
        string Decisions(RandomFaultPlan plan) => string.Concat(items.Select(i =>
            (plan.Calls.Any(c => plan.GetFault(c, i, 0) is not null) ? "F" : "-")
            + (plan.RefusesRemove(i, i.SimRecipients.Items[0]) ? "R" : "-")
            + (plan.IsMalformed(i, "link-security") ? "M" : "-")));

        // Act
        var first = Decisions(Plan(7));
        var again = Decisions(Plan(7));
        var other = Decisions(Plan(8));

        // Assert
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.InRange(first.Count(c => c == 'F'), 500, 700);
        Assert.InRange(first.Count(c => c == 'R'), 300, 500);
        Assert.InRange(first.Count(c => c == 'M'), 120, 280);
    }

    private static void Make(ExchangeCall call, ResolvedMessageEventSource source, MailItem item)
    {
        var first = item.Recipients.Count > 0 ? item.Recipients[0] : null;
        switch (call)
        {
            case ExchangeCall.Fork: source.Fork(new List<EnvelopeRecipient> { first! }); break;
            case ExchangeCall.Defer: source.Defer(TimeSpan.FromMinutes(1)); break;
            case ExchangeCall.SetRoutingOverride: source.SetRoutingOverride(first!, null!); break;
            case ExchangeCall.GetRoutingOverride: source.GetRoutingOverride(first!); break;
            case ExchangeCall.SetTlsDomain: source.SetTlsDomain(first!, "mx.x.example"); break;
            case ExchangeCall.GetTlsDomain: source.GetTlsDomain(first!); break;
            case ExchangeCall.GetMimeReadStream: item.GetMimeReadStream().Dispose(); break;
            case ExchangeCall.GetMimeWriteStream: item.GetMimeWriteStream().Dispose(); break;
            case ExchangeCall.Message: _ = item.Message; break;
            case ExchangeCall.Recipients: _ = item.Recipients; break;
            case ExchangeCall.MailItemProperties: _ = item.Properties; break;
            case ExchangeCall.RecipientProperties: _ = first!.Properties; break;
            case ExchangeCall.RemoveRecipient: item.Recipients.Remove(first!, DsnType.Failure, SimResponses.Failure("550", "5.7.30", "why", "detail")); break;
            default: throw new ArgumentOutOfRangeException(nameof(call));
        }
    }
}
