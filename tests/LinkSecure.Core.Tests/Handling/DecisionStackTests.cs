using System;
using LinkSecure.Core.Database;
using LinkSecure.Core.Handling;
using LinkSecure.Core.Protocol;
using Xunit;
using static LinkSecure.Core.Tests.Handling.HandlingTestKit;

namespace LinkSecure.Core.Tests.Handling;

public class DecisionStackTests
{
    [Fact]
    public void Create_WiresOneSettingsObjectThroughEveryLayer()
    {
        // Arrange
        var settings = Settings("""{ "overrides": [ { "domain": "partner.example", "level": 2, "mx": [ "mx.partner.example" ] } ] }""");
        var clock = Clock();

        // Act
        var stack = DecisionStack.Create(settings, KnownDomainDatabase.Empty, null, clock);
        var decision = stack.Messages.Decide(HandlingTestKit.Level1Bounce, Recipients("a@partner.example"), null, MessageAge.Unknown);

        // Assert
        Assert.Same(settings, stack.Settings);
        Assert.Same(settings, stack.Engine.Settings);
        Assert.Same(clock, stack.Time);
        Assert.False(stack.Profiles.IsOnline);
        Assert.Equal(Treatment.Secure, decision.Recipients[0].Treatment);
        Assert.Equal(LinkSecurityLevel.ReadSecure, decision.Recipients[0].Decision.Level);
    }

    [Fact]
    public void Create_WithANetworkSource_IsOnline_DefaultClockIsTheSystemClock()
    {
        // Act
        var stack = DecisionStack.Create(Settings(), KnownDomainDatabase.Empty, new ScriptedProfileSource());

        // Assert
        Assert.True(stack.Profiles.IsOnline);
        Assert.Same(TimeProvider.System, stack.Time);
    }

    [Fact]
    public void Create_RejectsNulls()
    {
        // Act / Assert
        Assert.Throws<ArgumentNullException>(() => DecisionStack.Create(null!, KnownDomainDatabase.Empty, null));
        Assert.Throws<ArgumentNullException>(() => DecisionStack.Create(Settings(), null!, null));
    }
}
