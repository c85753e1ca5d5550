using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using LinkSecure.Exchange.Simulator;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Routing;
using Xunit;

namespace LinkSecure.Exchange.Tests.Simulator;

/// <summary>The simulator's event flow, its two fork modes, and the rules it enforces: a misbehaving agent is caught.</summary>
public class TransportPipelineTests
{
    private static readonly CategorizerEvent[] AllEvents = { CategorizerEvent.Resolved, CategorizerEvent.Routed, CategorizerEvent.Categorized };

    [Fact]
    public void Events_RaisedInOrder_TransportRuleBeforeAgent_ThenDelivery()
    {
        // Arrange
        var seen = new List<CategorizerEvent>();
        var pipeline = new TransportPipeline(new ScriptedFactory((agent, source, item, e) => seen.Add(e), AllEvents));
        pipeline.TransportRules.Add(new TransportRule(_ => true, "X-Rule", "stamped"));

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example"));

        // Assert
        Assert.Empty(pipeline.Violations);
        Assert.Equal(AllEvents.ToList(), seen);
        var trace = pipeline.Trace;
        Assert.Contains("OnSubmittedMessage", trace[0]);
        Assert.Contains("TransportRule", trace[1]);
        Assert.Contains("OnResolvedMessage LinkSecure", trace[2]);
        Assert.Contains("OnRoutedMessage LinkSecure", trace[3]);
        Assert.Contains("OnCategorizedMessage LinkSecure", trace[4]);
        Assert.Contains("delivery", trace[5]);
        var outcome = Assert.Single(pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Delivered, outcome.Kind);
        Assert.Contains("X-Rule: stamped", Support.Messages.Text(outcome.Mime));
    }

    [Fact]
    public void UnsubscribedEvents_AreNotRaised()
    {
        // Arrange
        var seen = new List<CategorizerEvent>();
        var pipeline = new TransportPipeline(new ScriptedFactory((agent, source, item, e) => seen.Add(e), CategorizerEvent.Categorized));

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example"));

        // Assert
        Assert.Equal(new List<CategorizerEvent> { CategorizerEvent.Categorized }, seen);
        Assert.Equal(1, pipeline.HandlerInvocations);
    }

    [Fact]
    public void ReentersSameEvent_FirstCopyFinishesFirst_CloneRerunsForkingEventAtAgentPosition()
    {
        // Arrange
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
        {
            if (item.Recipients.Count > 1)
            {
                source.Fork(new List<EnvelopeRecipient> { item.Recipients[0] });
            }
        }));

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example", "b@y.example", "c@z.example"));

        // Assert
        Assert.Empty(pipeline.Violations);
        Assert.Equal(3, pipeline.AgentsCreated);
        Assert.Equal(3, pipeline.HandlerInvocations);
        var order = pipeline.Trace.Where(t => t.Contains("OnCategorizedMessage") || t.Contains("Fork")).ToList();
        Assert.Contains("Fork", order[0]);
        Assert.Contains("OnCategorizedMessage", order[1]);
        Assert.Single(pipeline.Trace, t => t.Contains("TransportRule"));
        Assert.Equal(2, pipeline.Trace.Count(t => t.Contains("re-entry")));
        Assert.Equal(3, pipeline.Outcomes.Count);
        Assert.Equal(3, pipeline.CopyCount);
    }

    [Theory]
    [InlineData(CategorizerEvent.Resolved, new[] { CategorizerEvent.Routed, CategorizerEvent.Categorized })]
    [InlineData(CategorizerEvent.Routed, new[] { CategorizerEvent.Categorized })]
    [InlineData(CategorizerEvent.Categorized, new CategorizerEvent[0])]
    public void LaterEventsOnly_CloneGetsOnlyTheEventsAfterTheFork(CategorizerEvent forkAt, CategorizerEvent[] cloneEvents)
    {
        // Arrange
        var seen = new List<(int Item, CategorizerEvent Event)>();
        var pipeline = new TransportPipeline(new ScriptedFactory(
            (agent, source, item, e) =>
            {
                var sim = (SimMailItem)item;
                seen.Add((sim.Id, e));
                if (e == forkAt && sim.ForkedFrom is null)
                {
                    source.Fork(new List<EnvelopeRecipient> { item.Recipients[0] });
                }
            },
            AllEvents))
        { ForkMode = ForkMode.LaterEventsOnly };
        var original = SimItems.Tagged("a@x.example", "b@y.example");

        // Act
        pipeline.Submit(original);

        // Assert
        var clone = pipeline.Outcomes.Single(o => o.Address == "b@y.example").Item;
        Assert.Equal(original.Id, clone.ForkedFrom);
        Assert.Equal(cloneEvents.ToList(), seen.Where(s => s.Item == clone.Id).Select(s => s.Event).ToList());
        Assert.Equal(AllEvents.ToList(), seen.Where(s => s.Item == original.Id).Select(s => s.Event).ToList());
        Assert.All(pipeline.Outcomes, o => Assert.Equal(OutcomeKind.Delivered, o.Kind));
        if (forkAt == CategorizerEvent.Categorized)
        {
            Assert.Contains(pipeline.Violations, v => v.Contains("fork at OnCategorizedMessage: the clone gets no event"));
        }
        else
        {
            Assert.Empty(pipeline.Violations);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ForkKeepsProperties_DecidesWhetherTheCloneCarriesTheBags(bool keep)
    {
        // Arrange
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
        {
            if (item.Recipients.Count == 2)
            {
                item.Properties["mark"] = "item";
                item.Recipients[1].Properties["mark"] = "recipient";
                source.Fork(new List<EnvelopeRecipient> { item.Recipients[0] });
            }
        }))
        { ForkKeepsProperties = keep };

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example", "b@y.example"));

        // Assert
        var clone = pipeline.Outcomes.Single(o => o.Address == "b@y.example").Item;
        Assert.Equal(keep, clone.Bag.ContainsKey("mark"));
        Assert.Equal(keep, clone.SimRecipients.Items[0].Bag.ContainsKey("mark"));
    }

    [Fact]
    public void Fork_WithNoRecipientOfTheCopy_IsAViolation()
    {
        // Arrange
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
            source.Fork(new List<EnvelopeRecipient> { new SimRecipient("stranger@x.example") })));

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example"));

        // Assert
        Assert.Contains(pipeline.Violations, v => v.Contains("Fork with no recipient of the current copy"));
        Assert.Equal(0, pipeline.ForkCount);
    }

    [Theory]
    [InlineData(AgentLifetime.PerMailItem, 1, 1)]
    [InlineData(AgentLifetime.PerEventInvocation, 4, 3)]
    public void AgentLifetime_DecidesHowManyAgentsOnePassCreates(AgentLifetime lifetime, int expected, int scripted)
    {
        // Arrange
        var agents = new HashSet<ScriptedAgent>();
        var pipeline = new TransportPipeline(new ScriptedFactory((agent, source, item, e) => agents.Add(agent), AllEvents)) { AgentLifetime = lifetime };

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example"));

        // Assert
        // Four events per pass (OnSubmittedMessage too); the script runs on the three the agent subscribed to.
        Assert.Equal(expected, pipeline.AgentsCreated);
        Assert.Equal(scripted, agents.Count);
    }

    [Fact]
    public void AsyncWithoutResume_IsAViolation()
    {
        // Arrange
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
        {
            var context = agent.Async();
            ThreadPool.QueueUserWorkItem(_ =>
            {
                try
                {
                    source.SetRoutingOverride(item.Recipients[0], new RoutingOverride(new RoutingDomain("r.invalid"), DeliveryQueueDomain.UseRecipientDomain));
                }
                catch (InvalidOperationException)
                {
                }
                finally
                {
                    context.Complete();
                }
            });
        }));

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example"));

        // Assert
        Assert.Contains(pipeline.Violations, v => v.Contains("did not call Resume"));
    }

    [Fact]
    public void AsyncWithResume_WorkerMayCallUntilComplete()
    {
        // Arrange
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
        {
            var context = agent.Async();
            ThreadPool.QueueUserWorkItem(_ =>
            {
                context.Resume();
                try
                {
                    source.SetRoutingOverride(item.Recipients[0], new RoutingOverride(new RoutingDomain("r.invalid"), DeliveryQueueDomain.UseRecipientDomain));
                }
                finally
                {
                    context.Complete();
                }
            });
        }));

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example"));

        // Assert
        Assert.Empty(pipeline.Violations);
        Assert.Equal("r.invalid", Assert.Single(pipeline.Outcomes).Override!.RoutingDomain.Domain);
        Assert.Equal(1, pipeline.AsyncCount);
    }

    [Fact]
    public void AsyncWithoutComplete_IsAViolation()
    {
        // Arrange
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) => agent.Async())) { AsyncTimeout = TimeSpan.FromMilliseconds(200) };

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example"));

        // Assert
        Assert.Contains(pipeline.Violations, v => v.Contains("never called Complete"));
        Assert.Single(pipeline.Outcomes);
    }

    [Fact]
    public void CallAfterComplete_IsAViolation()
    {
        // Arrange
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
        {
            var context = agent.Async();
            context.Resume();
            context.Complete();
            _ = Record.Exception(() => item.Recipients);
        }));

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example"));

        // Assert
        Assert.Contains(pipeline.Violations, v => v.Contains("Recipients after the event finished"));
    }

    [Fact]
    public void CompleteTwice_AndGetAgentAsyncContextTwice_AreViolations()
    {
        // Arrange
        Exception? secondComplete = null;
        Exception? secondContext = null;
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
        {
            var context = agent.Async();
            secondContext = Record.Exception(() => agent.Async());
            context.Complete();
            secondComplete = Record.Exception(context.Complete);
        }));

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example"));

        // Assert
        Assert.IsType<InvalidOperationException>(secondContext);
        Assert.IsType<InvalidOperationException>(secondComplete);
        Assert.Contains(pipeline.Violations, v => v.Contains("GetAgentAsyncContext called twice"));
        Assert.Contains(pipeline.Violations, v => v.Contains("Complete called twice"));
    }

    [Fact]
    public void RoutingOverrideAfterTheEvent_IsAViolation()
    {
        // Arrange
        ResolvedMessageEventSource? kept = null;
        EnvelopeRecipient? recipient = null;
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
        {
            kept = source;
            recipient = item.Recipients[0];
        }));
        pipeline.Submit(SimItems.Tagged("a@x.example"));

        // Act
        var error = Record.Exception(() => kept!.SetRoutingOverride(recipient!, null!));

        // Assert
        Assert.IsType<InvalidOperationException>(error);
        Assert.Contains(pipeline.Violations, v => v.Contains("only legal during OnResolvedMessage"));
    }

    [Fact]
    public void RoutingOverrideOnARecipientOfAnotherCopy_IsAViolation()
    {
        // Arrange
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
        {
            if (item.Recipients.Count == 2)
            {
                var other = item.Recipients[1];
                source.Fork(new List<EnvelopeRecipient> { item.Recipients[0] });
                _ = Record.Exception(() => source.SetRoutingOverride(other, new RoutingOverride(new RoutingDomain("r.invalid"), DeliveryQueueDomain.UseRecipientDomain)));
            }
        }));

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example", "b@y.example"));

        // Assert
        Assert.Contains(pipeline.Violations, v => v.Contains("SetRoutingOverride on b@y.example, which is not in the current copy"));
        Assert.All(pipeline.Outcomes, o => Assert.Null(o.Override));
    }

    [Theory]
    [InlineData("*.mx.partner.example", true)]
    [InlineData("mx.partner.example", true)]
    [InlineData("*", false)]
    [InlineData("", false)]
    [InlineData("mx.*.partner.example", false)]
    [InlineData("bob@partner.example", false)]
    public void SetTlsDomain_AcceptsDomainsAndLeadingWildcardsOnly(string domain, bool accepted)
    {
        // Arrange
        Exception? error = null;
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
            error = Record.Exception(() => source.SetTlsDomain(item.Recipients[0], domain))));

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example"));

        // Assert
        Assert.Equal(accepted, error is null);
        Assert.Equal(accepted ? domain : null, Assert.Single(pipeline.Outcomes).TlsDomain);
        if (!accepted)
        {
            Assert.IsType<ArgumentException>(error);
        }
    }

    [Fact]
    public void EscapingException_IsAViolation()
    {
        // Arrange
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) => throw new InvalidOperationException("boom")));

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example"));

        // Assert
        Assert.Contains(pipeline.Violations, v => v.Contains("escaped"));
        Assert.Equal(1, pipeline.EscapedExceptionCount);
    }

    [Fact]
    public void PropertyValueOfAnUnknownType_IsRefused()
    {
        // Arrange
        Exception? error = null;
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
        {
            item.Properties["ok"] = new[] { "a", "b" };
            error = Record.Exception(() => item.Properties["bad"] = new List<string>());
        }));

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example"));

        // Assert
        Assert.IsType<ArgumentException>(error);
        Assert.Contains(pipeline.Violations, v => v.Contains("property 'bad'"));
        var item = Assert.Single(pipeline.Outcomes).Item;
        Assert.True(item.Bag.ContainsKey("ok"));
        Assert.False(item.Bag.ContainsKey("bad"));
    }

    [Fact]
    public void WriteStream_WriteAfterFlushThrows()
    {
        // Arrange
        var item = SimItems.Tagged("a@x.example");
        using var stream = item.GetMimeWriteStream();
        stream.Write(new byte[] { 65 }, 0, 1);
        stream.Flush();

        // Act
        var error = Record.Exception(() => stream.Write(new byte[] { 66 }, 0, 1));

        // Assert
        Assert.IsType<InvalidOperationException>(error);
    }

    [Fact]
    public void RemoveWithDsn_ProducesNdrRecord()
    {
        // Arrange
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
            item.Recipients.Remove(item.Recipients[0], DsnType.Failure, LinkSecure.Exchange.Pipeline.ExchangeResponses.From(LinkSecure.Core.Handling.SmtpReply.InternalErrorBounce("a@x.example", "detail")))));

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example", "b@y.example"));

        // Assert
        var ndr = Assert.Single(pipeline.Ndrs);
        Assert.Equal("a@x.example", ndr.Address);
        Assert.StartsWith("Your message was not delivered to a@x.example", ndr.Response.DsnExplanation);
        Assert.Equal(1, pipeline.BounceCount);
    }

    [Fact]
    public void ZeroRecipientsLeft_CopyEndsWithoutDelivery()
    {
        // Arrange
        var seen = new List<CategorizerEvent>();
        var pipeline = new TransportPipeline(new ScriptedFactory(
            (agent, source, item, e) =>
            {
                seen.Add(e);
                if (e == CategorizerEvent.Resolved)
                {
                    item.Recipients.Remove(item.Recipients[0], DsnType.Failure, SimResponses.Failure("550", "5.7.30", "why", "detail"));
                }
            },
            AllEvents));

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example"));

        // Assert
        Assert.Equal(new List<CategorizerEvent> { CategorizerEvent.Resolved }, seen);
        Assert.Equal(OutcomeKind.Bounced, Assert.Single(pipeline.Outcomes).Kind);
    }

    [Fact]
    public void SubmitMany_AnItemThatWentAsyncDoesNotHoldTheTransportThread()
    {
        // Arrange: the first item's worker waits until the second item has been handled; with one transport thread
        // that can only happen if the first item does not hold it.
        using var secondHandled = new ManualResetEventSlim(false);
        var waitedFor = false;
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
        {
            if (item.Recipients[0].Address.LocalPart == "second")
            {
                secondHandled.Set();
                return;
            }

            var context = agent.Async();
            ThreadPool.QueueUserWorkItem(_ =>
            {
                context.Resume();
                waitedFor = secondHandled.Wait(TimeSpan.FromSeconds(10));
                context.Complete();
            });
        }));

        // Act
        pipeline.SubmitMany(new[] { SimItems.Tagged("first@x.example"), SimItems.Tagged("second@x.example") }, parallelism: 1);

        // Assert
        Assert.True(waitedFor);
        Assert.Empty(pipeline.Violations);
        Assert.Equal(2, pipeline.Outcomes.Count(o => o.Kind == OutcomeKind.Delivered));
    }

    [Fact]
    public void SubmitMany_SeveralThreads_EveryCopyOfEveryItemRuns()
    {
        // Arrange
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
        {
            if (item.Recipients.Count > 1)
            {
                source.Fork(new List<EnvelopeRecipient> { item.Recipients[0] });
            }
        }))
        { TraceEnabled = false };
        var items = Enumerable.Range(0, 200).Select(i => SimItems.Tagged("a" + i + "@x.example", "b" + i + "@y.example", "c" + i + "@z.example")).ToList();

        // Act
        pipeline.SubmitMany(items, parallelism: 4);

        // Assert
        Assert.Empty(pipeline.Violations);
        Assert.Equal(600, pipeline.Outcomes.Count);
        Assert.Equal(400, pipeline.ForkCount);
        Assert.Empty(pipeline.Trace);
        Assert.True(AccountingReport.Check(pipeline).IsBalanced);
    }
}
