using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Handling;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;
using Xunit;
using static LinkSecure.Core.Tests.Handling.HandlingTestKit;

namespace LinkSecure.Core.Tests.Handling;

public class MessageHandlerTests
{
    private static ScriptedProfileSource CachedSource()
    {
        var source = new ScriptedProfileSource();
        source.Cache["secure.example"] = ScriptedProfileSource.Secure("secure.example");
        source.Cache["weak.example"] = DomainProfile.Unknown("weak.example");
        source.Cache["nullmx.example"] = new DomainProfile("nullmx.example") { Status = ProfileStatus.NoMail };
        return source;
    }

    [Fact]
    public void Decide_GroupsEveryTreatment_InInputOrder_WithTheirReplies()
    {
        // Arrange
        var handler = Stack(CachedSource()).Messages;
        var recipients = new[]
        {
            new MessageRecipient("a@secure.example", false),
            new MessageRecipient("b@contoso.example", hostSaysInternal: true),
            new MessageRecipient("c@weak.example", false),
            new MessageRecipient("d@nullmx.example", false),
            new MessageRecipient("e@slow.example", false),
            new MessageRecipient("f@bogus.example", false),
        };
        var fetched = new Dictionary<string, DomainProfile>
        {
            ["slow.example"] = DomainProfile.TemporaryFailure("slow.example", TemporaryFailureKind.Timeout, "lookup did not finish within the 3000 ms budget"),
            ["bogus.example"] = DomainProfile.TemporaryFailure("bogus.example", TemporaryFailureKind.Dnssec, "MX answer is bogus"),
        };

        // Act
        var decision = handler.Decide(Level1SafePart, recipients, fetched, MessageAge.Known(TimeSpan.FromMinutes(1)));

        // Assert: groups.
        Assert.Equal(Enumerable.Range(0, 6), decision.Recipients.Select(r => r.Index));
        Assert.Equal(new[] { "a@secure.example", "b@contoso.example" }, decision.Deliver.Select(r => r.Address));
        Assert.Equal(new[] { "Secure", "Pass" }, decision.Deliver.Select(r => r.Treatment.ToString()));
        Assert.Equal("d@nullmx.example", Assert.Single(decision.Bounce).Address);
        Assert.Equal("c@weak.example", Assert.Single(decision.Downgrade).Address);
        Assert.Equal(new[] { "e@slow.example", "f@bogus.example" }, decision.Defer.Select(r => r.Address));

        // Assert: replies.
        Assert.Null(decision.Deliver[0].Reply);
        Assert.Null(decision.Deliver[1].Reply);
        Assert.True(decision.Deliver[1].IsInternal);
        var bounce = decision.Bounce[0].Reply!;
        Assert.Equal("556 5.1.10", bounce.ReplyCode + " " + bounce.EnhancedCode);
        Assert.True(bounce.IsPermanent);
        Assert.Equal("The domain nullmx.example does not accept e-mail.", bounce.Explanation);
        Assert.StartsWith("LinkSecure: nullmx.example publishes a null MX", bounce.Detail);
        var downgrade = decision.Downgrade[0].Reply!;
        Assert.Equal("550 5.7.30", downgrade.ReplyCode + " " + downgrade.EnhancedCode);
        Assert.Contains("c@weak.example", downgrade.Explanation);
        Assert.Equal("451 4.7.5", decision.Defer[1].Reply!.ReplyCode + " " + decision.Defer[1].Reply!.EnhancedCode);

        // Assert: the deferred copy gets the first deferral's codes and reason, and the shortest retry.
        var deferReply = decision.DeferReply!;
        Assert.Equal("451 4.4.3", deferReply.ReplyCode + " " + deferReply.EnhancedCode);
        Assert.False(deferReply.IsPermanent);
        Assert.Equal("LinkSecure: delivery delayed while link security is checked: lookup did not finish within the 3000 ms budget", deferReply.Detail);
        Assert.Equal("Delivery to slow.example is delayed while its link security is checked; it will be retried.", deferReply.Explanation);
        Assert.Equal(TimeSpan.FromMinutes(15), decision.RetryAfter);
        Assert.All(decision.Defer, r => Assert.Equal(TimeSpan.FromMinutes(15), r.RetryAfter));
        Assert.All(decision.Deliver.Concat(decision.Bounce).Concat(decision.Downgrade), r => Assert.Equal(TimeSpan.Zero, r.RetryAfter));
        Assert.Equal("link-security level 1 requested; the recipient's link is not known to meet it", decision.DowngradeReason);
    }

    [Fact]
    public void Decide_BounceRequest_UsesTheEngineTexts()
    {
        // Arrange
        var handler = Stack(CachedSource()).Messages;

        // Act
        var decision = handler.Decide(Level1Bounce, Recipients("c@weak.example"), null, MessageAge.Unknown);

        // Assert
        var reply = Assert.Single(decision.Bounce).Reply!;
        Assert.Equal(decision.Bounce[0].Decision.UserExplanation, reply.Explanation);
        Assert.Equal("LinkSecure: " + decision.Bounce[0].Decision.TechnicalDetail, reply.Detail);
        Assert.Null(decision.DeferReply);
        Assert.Equal(TimeSpan.FromMinutes(15), decision.RetryAfter);
    }

    [Fact]
    public void Decide_NotFetchedAndNotCached_Defers_FetchedWinsOverCache()
    {
        // Arrange
        var source = CachedSource();
        var handler = Stack(source).Messages;
        var fetched = new Dictionary<string, DomainProfile> { ["weak.example"] = ScriptedProfileSource.Secure("weak.example") };

        // Act
        var decision = handler.Decide(Level1Bounce, Recipients("x@unlooked.example", "y@weak.example"), fetched, MessageAge.Unknown);

        // Assert
        var deferred = Assert.Single(decision.Defer);
        Assert.Equal("x@unlooked.example", deferred.Address);
        Assert.Equal("LinkSecure: delivery delayed while link security is checked: profile not cached and no lookup was made", deferred.Reply!.Detail);
        Assert.Equal(Treatment.Secure, decision.Recipients[1].Treatment);
        Assert.Empty(source.Asked);
    }

    [Fact]
    public void Decide_UnknownAge_NeverExpiresADeferral_KnownAgePastTheLimit_AppliesTheFallback()
    {
        // Arrange
        var handler = Stack(new ScriptedProfileSource(), """{ "defer": { "maxDeferMinutes": 60 } }""").Messages;
        var fetched = new Dictionary<string, DomainProfile> { ["slow.example"] = DomainProfile.TemporaryFailure("slow.example", TemporaryFailureKind.Lookup, "SERVFAIL") };
        var recipients = Recipients("a@slow.example");

        // Act
        var unknown = handler.Decide(Level1SafePart, recipients, fetched, MessageAge.Unknown);
        var young = handler.Decide(Level1SafePart, recipients, fetched, MessageAge.Known(TimeSpan.FromMinutes(59)));
        var old = handler.Decide(Level1SafePart, recipients, fetched, MessageAge.Known(TimeSpan.FromMinutes(60)));

        // Assert
        Assert.Equal(Treatment.Defer, unknown.Recipients[0].Treatment);
        Assert.Equal(Treatment.Defer, young.Recipients[0].Treatment);
        Assert.Equal(Treatment.Downgrade, old.Recipients[0].Treatment);
        Assert.True(old.Recipients[0].Decision.DeferralExpired);
    }

    [Fact]
    public void Decide_InternalByHostOrByInternalDomains_PassesWithoutAProfile()
    {
        // Arrange
        var handler = Stack(new ScriptedProfileSource(), """{ "internalDomains": [ "contoso.example", "*.fabrikam.example" ] }""").Messages;
        var recipients = new[]
        {
            new MessageRecipient("a@contoso.example", false),
            new MessageRecipient("b@eu.fabrikam.example", false),
            new MessageRecipient("c@partner.example", hostSaysInternal: true),
            new MessageRecipient("d@sub.contoso.example", false),
        };

        // Act
        var missing = handler.FindMissingProfiles(Level1Bounce, recipients);
        var decision = handler.Decide(Level1Bounce, recipients, null, MessageAge.Unknown);

        // Assert: strict internalDomains, so sub.contoso.example is external and needs a lookup.
        Assert.Equal(new[] { "sub.contoso.example" }, missing);
        Assert.Equal(new[] { true, true, true, false }, decision.Recipients.Select(r => r.IsInternal));
        Assert.All(decision.Recipients.Take(3), r => Assert.Equal(Treatment.Pass, r.Treatment));
        Assert.All(decision.Recipients.Take(3), r => Assert.Null(r.Decision.Profile));
        Assert.Equal(Treatment.Defer, decision.Recipients[3].Treatment);
    }

    [Fact]
    public void UntaggedOrWaived_NeedsNoProfiles_EveryRecipientPasses()
    {
        // Arrange
        var source = new ScriptedProfileSource();
        var handler = Stack(source).Messages;
        var recipients = Recipients("a@unknown.example", "b@other.example");

        // Act
        var needs = handler.NeedsProfiles(LinkSecurityRequest.None);
        var missing = handler.FindMissingProfiles(LinkSecurityRequest.None, recipients);
        var untagged = handler.Decide(LinkSecurityRequest.None, recipients, null, MessageAge.Unknown);
        var waived = handler.Decide(Waiver, recipients, null, MessageAge.Unknown);

        // Assert
        Assert.False(needs);
        Assert.Empty(missing);
        Assert.All(untagged.Recipients.Concat(waived.Recipients), r => Assert.Equal(Treatment.Pass, r.Treatment));
        Assert.All(untagged.Recipients, r => Assert.Null(r.Decision.Profile));
        Assert.Empty(source.Asked);
    }

    [Fact]
    public void EnforceForAllMail_UntaggedNeedsProfiles()
    {
        // Arrange
        var handler = Stack(new ScriptedProfileSource(), """{ "enforceForAllMail": true }""").Messages;

        // Act
        var needs = handler.NeedsProfiles(LinkSecurityRequest.None);
        var missing = handler.FindMissingProfiles(LinkSecurityRequest.None, Recipients("a@unknown.example"));

        // Assert
        Assert.True(needs);
        Assert.Equal(new[] { "unknown.example" }, missing);
    }

    [Fact]
    public void FindMissingProfiles_DistinctNormalised_SkipsCachedAndAddressesWithoutDomain()
    {
        // Arrange
        var handler = Stack(CachedSource()).Messages;
        var recipients = Recipients("A@New.Example", "b@NEW.example", "c@secure.example", "postmaster", "d@bücher.example", "e@other.example");

        // Act
        var missing = handler.FindMissingProfiles(Level1Bounce, recipients);

        // Assert
        Assert.Equal(new[] { "new.example", "xn--bcher-kva.example", "other.example" }, missing);
    }

    [Fact]
    public void Decide_AddressWithoutDomain_FallsBack()
    {
        // Arrange
        var handler = Stack(new ScriptedProfileSource()).Messages;

        // Act
        var decision = handler.Decide(Level1Bounce, new[] { default(MessageRecipient), new MessageRecipient("postmaster", false) }, null, MessageAge.Unknown);

        // Assert
        Assert.All(decision.Recipients, r => Assert.Equal(Treatment.Bounce, r.Treatment));
        Assert.All(decision.Recipients, r => Assert.Null(r.Domain));
        Assert.Equal(string.Empty, decision.Recipients[0].Address);
    }

    [Fact]
    public async Task DecideAsync_LooksUpWhatIsMissing_ThenDecides()
    {
        // Arrange
        var source = new ScriptedProfileSource();
        var handler = Stack(source).Messages;

        // Act
        var decision = await Completed(handler.DecideAsync(Level1Bounce, Recipients("a@fresh.example", "b@fresh.example"), MessageAge.Unknown, TimeSpan.FromSeconds(5)));

        // Assert
        Assert.All(decision.Recipients, r => Assert.Equal(Treatment.Secure, r.Treatment));
        Assert.Equal(new[] { "fresh.example" }, source.Asked);
    }

    [Fact]
    public void FailSafe_Untagged_PassesEveryone()
    {
        // Arrange
        var handler = Stack(null).Messages;

        // Act
        var untagged = handler.FailSafe(LinkSecurityRequest.None, Recipients("a@x.example"), MessageAge.Unknown, "header read failed");
        var waived = handler.FailSafe(Waiver, Recipients("a@x.example"), MessageAge.Known(TimeSpan.FromDays(2)), "boom");

        // Assert
        Assert.Equal(Treatment.Pass, Assert.Single(untagged.Deliver).Treatment);
        Assert.Equal(Treatment.Pass, Assert.Single(waived.Deliver).Treatment);
        Assert.Null(untagged.DeferReply);
        Assert.Contains("header read failed", untagged.Recipients[0].Decision.Reason);
    }

    [Theory]
    [InlineData(-1)] // unknown age
    [InlineData(0)]
    [InlineData(59)]
    public void FailSafe_Tagged_BeforeTheLimit_DefersExternalRecipients_InternalPass(int ageMinutes)
    {
        // Arrange
        var handler = Stack(null, """{ "defer": { "retryMinutes": 10, "maxDeferMinutes": 60 }, "internalDomains": [ "contoso.example" ] }""").Messages;
        var age = ageMinutes < 0 ? MessageAge.Unknown : MessageAge.Known(TimeSpan.FromMinutes(ageMinutes));

        // Act
        var decision = handler.FailSafe(Level1Bounce, Recipients("a@partner.example", "b@contoso.example"), age, "SetTlsDomain rejected\r\n'*.x'");

        // Assert
        var deferred = Assert.Single(decision.Defer);
        Assert.Equal("a@partner.example", deferred.Address);
        Assert.Equal("b@contoso.example", Assert.Single(decision.Deliver).Address);
        var reply = decision.DeferReply!;
        Assert.Same(deferred.Reply, reply);
        Assert.Equal("451 4.3.0", reply.ReplyCode + " " + reply.EnhancedCode);
        Assert.Equal("LinkSecure could not process this message; delivery deferred: SetTlsDomain rejected '*.x'", reply.Detail);
        Assert.DoesNotContain("LinkSecure", reply.Explanation);
        Assert.Contains("a@partner.example", reply.Explanation);
        Assert.Equal(TimeSpan.FromMinutes(10), decision.RetryAfter);
        Assert.Equal(TimeSpan.FromMinutes(10), deferred.RetryAfter);
    }

    [Theory]
    [InlineData(60)]
    [InlineData(600)]
    public void FailSafe_Tagged_OnceTheAgeReachedTheLimit_Bounces530(int ageMinutes)
    {
        // Arrange
        var handler = Stack(null, """{ "defer": { "retryMinutes": 10, "maxDeferMinutes": 60 } }""").Messages;

        // Act
        var decision = handler.FailSafe(Level1SafePart, Recipients("a@partner.example"), MessageAge.Known(TimeSpan.FromMinutes(ageMinutes)), "property bag refused the value");

        // Assert
        var bounced = Assert.Single(decision.Bounce);
        var reply = bounced.Reply!;
        Assert.Equal("550 5.3.0", reply.ReplyCode + " " + reply.EnhancedCode);
        Assert.True(reply.IsPermanent);
        Assert.Contains("could not be processed safely", reply.Explanation);
        Assert.Contains("send it again later", reply.Explanation);
        Assert.Contains("administrator", reply.Explanation);
        Assert.StartsWith("LinkSecure: the message could not be processed safely: property bag refused the value; message age " + ageMinutes + " min (limit 60 min)", reply.Detail);
        Assert.True(bounced.Decision.DeferralExpired);
        Assert.Empty(decision.Defer);
        Assert.Null(decision.DeferReply);
        Assert.Equal(TimeSpan.FromMinutes(10), decision.RetryAfter);
    }

    [Fact]
    public void NullArguments_Throw()
    {
        // Arrange
        var handler = Stack(null).Messages;

        // Act / Assert
        Assert.Throws<ArgumentNullException>(() => handler.Decide(null!, Recipients(), null, MessageAge.Unknown));
        Assert.Throws<ArgumentNullException>(() => handler.Decide(Level1Bounce, null!, null, MessageAge.Unknown));
        Assert.Throws<ArgumentNullException>(() => handler.FindMissingProfiles(Level1Bounce, null!));
        Assert.Throws<ArgumentNullException>(() => handler.FailSafe(Level1Bounce, null!, MessageAge.Unknown, "x"));
        Assert.Throws<ArgumentNullException>(() => new MessageRecipient(null!, false));
    }
}
