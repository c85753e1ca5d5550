using LinkSecure.Exchange.Simulator;
using LinkSecure.Exchange.Tests.Support;
using Microsoft.Exchange.Data.Transport.Routing;
using Xunit;

namespace LinkSecure.Exchange.Tests.Pipeline;

/// <summary>Untagged mail — almost every message of a server — costs the handlers no allocation on any event.</summary>
public class UntaggedAllocationTests
{
    [Theory]
    [InlineData(CategorizerEvent.Resolved)]
    [InlineData(CategorizerEvent.Routed)]
    [InlineData(CategorizerEvent.Categorized)]
    public void UntaggedMessage_HandlerAllocatesNothing(CategorizerEvent categorizerEvent)
    {
        // Arrange
        using var harness = new AgentHarness(withLog: false);
        var agent = (RoutingAgent)harness.Factory.CreateAgent(new SimSmtpServer("contoso.example"));
        var item = new SimMailItem(Messages.Create(), new[] { new SimRecipient("bob@partner.example"), new SimRecipient("carol@partner.example") });

        // Act
        var perEvent = harness.Pipeline.MeasureHandlerAllocations(agent, categorizerEvent, item, 1000);

        // Assert
        Assert.True(perEvent.HasValue, "the runtime has no per-thread allocation counter");
        Assert.Equal(0, perEvent!.Value);
    }
}
