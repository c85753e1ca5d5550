using System.Collections.Generic;
using LinkSecure.Core.Handling;
using LinkSecure.Core.Profiles;
using Xunit;

namespace LinkSecure.Core.Tests.Handling;

/// <summary>Review T3-9: a profile cached when the host looked for missing profiles may expire before the decision.</summary>
public class MessageHandlerUnresolvedTests
{
    [Fact]
    public void DecideWithoutLookups_NamesTheDomainsThatHadNoProfile_Once()
    {
        // Arrange
        var source = new ScriptedProfileSource();
        source.Cache["cached.example"] = ScriptedProfileSource.Secure("cached.example");
        var handler = HandlingTestKit.Stack(source).Messages;
        var recipients = HandlingTestKit.Recipients("a@cached.example", "b@gone.example", "c@gone.example");

        // Act
        var decision = handler.Decide(HandlingTestKit.Level1Bounce, recipients, null, MessageAge.Known(System.TimeSpan.Zero));

        // Assert
        Assert.Equal(new[] { "gone.example" }, decision.Unresolved);
        Assert.Equal(2, decision.Defer.Count);
    }

    [Fact]
    public void DecideWithLookups_HasNothingUnresolved_TheLookupsHadTheirChance()
    {
        // Arrange
        var handler = HandlingTestKit.Stack(new ScriptedProfileSource()).Messages;
        var fetched = new Dictionary<string, DomainProfile>();

        // Act
        var decision = handler.Decide(HandlingTestKit.Level1Bounce, HandlingTestKit.Recipients("b@gone.example"), fetched, MessageAge.Unknown);

        // Assert
        Assert.Empty(decision.Unresolved);
        Assert.Single(decision.Defer);
    }
}
