using System;
using System.IO;
using LinkSecure.Exchange.Runtime;
using LinkSecure.Exchange.Simulator;
using LinkSecure.Exchange.Tests.Support;
using Microsoft.Exchange.Data.Transport.Routing;
using Xunit;

namespace LinkSecure.Exchange.Tests;

/// <summary>The factory: a new agent per call, never throws, inert after Close.</summary>
public class LinkSecureRoutingAgentFactoryTests
{
    [Fact]
    public void CreateAgent_ReturnsNewSubscribedInstanceEachCall()
    {
        // Arrange
        using var harness = new AgentHarness();
        var server = new SimSmtpServer("contoso.example");

        // Act
        var first = harness.Factory.CreateAgent(server);
        var second = harness.Factory.CreateAgent(server);

        // Assert
        Assert.NotSame(first, second);
        Assert.True(TransportPipeline.HasHandler(first, CategorizerEvent.Resolved));
    }

    [Fact]
    public void AfterClose_AgentsAreInertAndCloseIsIdempotent()
    {
        // Arrange
        using var harness = new AgentHarness();
        harness.Factory.Close();

        // Act
        var agent = harness.Factory.CreateAgent(new SimSmtpServer());
        harness.Factory.Close();

        // Assert
        Assert.IsType<InertRoutingAgent>(agent);
        Assert.True(TransportPipeline.HasHandler(agent, CategorizerEvent.Resolved));
        Assert.False(TransportPipeline.HasHandler(agent, CategorizerEvent.Routed));
    }

    [Fact]
    public void CreateAgent_NullServer_DoesNotThrow()
    {
        // Arrange
        using var harness = new AgentHarness();

        // Act
        RoutingAgent agent = harness.Factory.CreateAgent(null!);

        // Assert
        Assert.NotNull(agent);
    }

    [Fact]
    public void PublicConstructor_NeverThrows_AndStartsFromAssemblyFolder()
    {
        // Act
        var factory = new LinkSecureRoutingAgentFactory();

        // Assert
        Assert.False(factory.IsInert);
        factory.Close();
    }

    [Fact]
    public void Handler_NullEventArguments_DoesNotThrow()
    {
        // Arrange
        using var harness = new AgentHarness();
        var agent = harness.Factory.CreateAgent(new SimSmtpServer());
        var item = new SimMailItem(Messages.Create("level=1"), new[] { new SimRecipient("bob@plain.example") });

        // Act
        harness.Pipeline.RaiseEvent(agent, CategorizerEvent.Resolved, item, withArguments: false);

        // Assert
        Assert.Equal(0, harness.Pipeline.EscapedExceptionCount);
        Assert.Empty(harness.Pipeline.Violations);
    }

    [Fact]
    public void BrokenNlogConfig_AgentStillRuns()
    {
        // Arrange
        var dir = Path.Combine(Path.GetTempPath(), "linksecure-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "LinkSecure.nlog.config"), "<nlog><this is not xml");

        // Act
        using var runtime = new AgentRuntime(new AgentRuntimeOptions { Directory = dir, WatchConfiguration = false });
        var factory = new LinkSecureRoutingAgentFactory(runtime);
        var pipeline = new TransportPipeline(factory);
        pipeline.Submit(new SimMailItem(Messages.Create("level=1"), new[] { new SimRecipient("bob@plain.example") }));

        // Assert
        Assert.Empty(pipeline.Violations);
        Assert.Single(pipeline.Outcomes);
    }
}
