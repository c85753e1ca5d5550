using System.Collections.Generic;
using System.IO;
using System.Linq;
using LinkSecure.Exchange.Simulator;
using LinkSecure.Exchange.Tests.Support;
using Microsoft.Exchange.Data.Transport;
using Xunit;

namespace LinkSecure.Exchange.Tests.Simulator;

/// <summary>What the agent sees of an item and its organization: TNEF until content conversion, accepted domains, mail contacts.</summary>
public class SimMailItemTests
{
    private static readonly CategorizerEvent[] AllEvents = { CategorizerEvent.Resolved, CategorizerEvent.Routed, CategorizerEvent.Categorized };

    [Theory]
    [InlineData(TnefUntil.Routed, new[] { true, true, false })]
    [InlineData(TnefUntil.Categorized, new[] { true, true, true })]
    [InlineData(TnefUntil.None, new[] { false, false, false })]
    public void TnefPart_IsSetUntilContentConversion(TnefUntil until, bool[] tnefAt)
    {
        // Arrange
        var seen = new List<bool>();
        var bytesWhileTnef = new List<bool>();
        var pipeline = new TransportPipeline(new ScriptedFactory(
            (agent, source, item, e) =>
            {
                var tnef = item.Message.TnefPart is not null;
                seen.Add(tnef);
                using var read = item.GetMimeReadStream();
                using var copy = new MemoryStream();
                read.CopyTo(copy);
                bytesWhileTnef.Add(copy.ToArray().SequenceEqual(((SimMailItem)item).Mime));
            },
            AllEvents))
        { TnefUntil = until };

        // Act
        pipeline.Submit(new SimMailItem(Messages.Create("level=1"), new[] { new SimRecipient("a@x.example") }, isTnef: true));

        // Assert
        Assert.Equal(tnefAt, seen);
        Assert.All(bytesWhileTnef, Assert.True);
    }

    [Fact]
    public void CloneForkedAfterConversion_IsMime_AndARevertMakesTheItemTnefAgain()
    {
        // Arrange: at OnCategorizedMessage (after conversion) the original forks b off, then defers itself.
        var seen = new List<(bool Clone, bool Tnef)>();
        var pipeline = new TransportPipeline(new ScriptedFactory(
            (agent, source, item, e) =>
            {
                var sim = (SimMailItem)item;
                seen.Add((sim.ForkedFrom is not null, item.Message.TnefPart is not null));
                if (sim.ForkedFrom is null && item.Recipients.Count == 2)
                {
                    source.Fork(new List<EnvelopeRecipient> { item.Recipients[0] });
                    source.Defer(System.TimeSpan.FromMinutes(1));
                }
            },
            CategorizerEvent.Categorized));
        var original = new SimMailItem(Messages.Create("level=1"), new[] { new SimRecipient("a@x.example"), new SimRecipient("b@y.example") }, isTnef: true);

        // Act
        pipeline.Submit(original);

        // Assert
        Assert.Equal(new List<(bool, bool)> { (false, false), (true, false) }, seen);
        Assert.False(original.IsContentConverted);
        Assert.NotNull(original.Message.TnefPart);
    }

    [Fact]
    public void MimeItem_IsNeverTnef()
    {
        // Arrange
        var seen = new List<bool>();
        var pipeline = new TransportPipeline(new ScriptedFactory((agent, source, item, e) => seen.Add(item.Message.TnefPart is not null), AllEvents));

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example"));

        // Assert
        Assert.Equal(new[] { false, false, false }, seen);
    }

    [Fact]
    public void AcceptedDomains_AuthoritativeAndInternalRelayAreInCorporation_ExternalRelayIsNot()
    {
        // Arrange
        var server = new SimSmtpServer("contoso.example")
            .WithAcceptedDomain("relay.contoso.example", AcceptedDomainType.InternalRelay)
            .WithAcceptedDomain("partner-relay.example", AcceptedDomainType.ExternalRelay)
            .WithAcceptedDomain("*.sub.contoso.example", AcceptedDomainType.Authoritative);
        var domains = server.AcceptedDomains;

        // Act
        var found = new[] { "contoso.example", "RELAY.contoso.example", "partner-relay.example", "a.sub.contoso.example", "sub.contoso.example", "other.example" }
            .Select(d => domains.Find(d)?.IsInCorporation)
            .ToList();

        // Assert
        Assert.Equal(new bool?[] { true, true, false, true, true, null }, found);
        Assert.Equal(4, domains.Count());
    }

    [Theory]
    [InlineData(RecipientCategory.InSameOrganization)]
    [InlineData(RecipientCategory.InDifferentOrganization)]
    public void MailContact_ReportsThePipelinesConfiguredCategory(RecipientCategory category)
    {
        // Arrange
        var seen = new List<RecipientCategory>();
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) => seen.AddRange(item.Recipients.Select(r => r.RecipientCategory))))
        {
            MailContactCategory = category,
        };
        var item = new SimMailItem(Messages.Create("level=1"), new[] { new SimRecipient("contact@partner.example") { IsMailContact = true }, new SimRecipient("bob@partner.example") });

        // Act
        pipeline.Submit(item);

        // Assert
        Assert.Equal(new List<RecipientCategory> { category, RecipientCategory.InDifferentOrganization }, seen);
    }
}
