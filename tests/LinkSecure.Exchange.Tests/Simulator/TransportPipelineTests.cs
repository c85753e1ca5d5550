using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using LinkSecure.Exchange.Simulator;
using LinkSecure.Exchange.Tests.Support;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Routing;
using Xunit;

namespace LinkSecure.Exchange.Tests.Simulator;

/// <summary>The simulator itself enforces the documented rules: a misbehaving agent is caught.</summary>
public class TransportPipelineTests
{
    private static SimMailItem Item(params string[] recipients) =>
        new(Messages.Create("level=1"), recipients.Select(r => new SimRecipient(r)));

    [Fact]
    public void Fork_FirstCopyContinues_RestReentersAfterwards()
    {
        // Arrange
        var pipeline = new TransportPipeline(new ScriptedFactory((agent, source, item) =>
        {
            if (item.Recipients.Count > 1)
            {
                source.Fork(new List<EnvelopeRecipient> { item.Recipients[0] });
            }
        }));

        // Act
        pipeline.Submit(Item("a@x.example", "b@y.example", "c@z.example"));

        // Assert
        Assert.Empty(pipeline.Violations);
        Assert.Equal(3, pipeline.AgentsCreated);
        var order = pipeline.Trace.Where(t => t.Contains("OnCategorizedMessage") || t.Contains("Fork")).ToList();
        Assert.Contains("Fork", order[0]);
        Assert.Contains("OnCategorizedMessage", order[1]);
        Assert.Equal(3, pipeline.Outcomes.Count);
    }

    [Fact]
    public void AsyncWithoutResume_IsAViolation()
    {
        // Arrange
        var pipeline = new TransportPipeline(new ScriptedFactory((agent, source, item) =>
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
        pipeline.Submit(Item("a@x.example"));

        // Assert
        Assert.Contains(pipeline.Violations, v => v.Contains("did not call Resume"));
    }

    [Fact]
    public void AsyncWithoutComplete_IsAViolation()
    {
        // Arrange
        var pipeline = new TransportPipeline(new ScriptedFactory((agent, source, item) => agent.Async())) { AsyncTimeout = TimeSpan.FromMilliseconds(200) };

        // Act
        pipeline.Submit(Item("a@x.example"));

        // Assert
        Assert.Contains(pipeline.Violations, v => v.Contains("never called Complete"));
    }

    [Fact]
    public void RoutingOverrideAfterTheEvent_IsAViolation()
    {
        // Arrange
        ResolvedMessageEventSource? kept = null;
        EnvelopeRecipient? recipient = null;
        var pipeline = new TransportPipeline(new ScriptedFactory((agent, source, item) =>
        {
            kept = source;
            recipient = item.Recipients[0];
        }));
        pipeline.Submit(Item("a@x.example"));

        // Act
        var error = Record.Exception(() => kept!.SetRoutingOverride(recipient!, null!));

        // Assert
        Assert.IsType<InvalidOperationException>(error);
        Assert.Contains(pipeline.Violations, v => v.Contains("only legal during OnResolvedMessage"));
    }

    [Fact]
    public void EscapingException_IsAViolation()
    {
        // Arrange
        var pipeline = new TransportPipeline(new ScriptedFactory((agent, source, item) => throw new InvalidOperationException("boom")));

        // Act
        pipeline.Submit(Item("a@x.example"));

        // Assert
        Assert.Contains(pipeline.Violations, v => v.Contains("escaped"));
    }

    [Fact]
    public void WriteStream_WriteAfterFlushThrows()
    {
        // Arrange
        var item = Item("a@x.example");
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
        var pipeline = new TransportPipeline(new ScriptedFactory((agent, source, item) =>
            item.Recipients.Remove(item.Recipients[0], DsnType.Failure, LinkSecure.Exchange.Pipeline.ExchangeResponses.Failure("550", "5.7.30", "why", "detail"))));

        // Act
        pipeline.Submit(Item("a@x.example", "b@y.example"));

        // Assert
        var ndr = Assert.Single(pipeline.Ndrs);
        Assert.Equal("a@x.example", ndr.Address);
        Assert.Equal("why", ndr.Response.DsnExplanation);
    }

    private sealed class ScriptedFactory : RoutingAgentFactory
    {
        private readonly Action<ScriptedAgent, ResolvedMessageEventSource, MailItem> script;

        public ScriptedFactory(Action<ScriptedAgent, ResolvedMessageEventSource, MailItem> script)
        {
            this.script = script;
        }

        public override RoutingAgent CreateAgent(SmtpServer server) => new ScriptedAgent(script);
    }

    private sealed class ScriptedAgent : RoutingAgent
    {
        public ScriptedAgent(Action<ScriptedAgent, ResolvedMessageEventSource, MailItem> script)
        {
            OnResolvedMessage += (source, e) => script(this, source, e.MailItem);
        }

        public AgentAsyncContext Async() => GetAgentAsyncContext();
    }
}
