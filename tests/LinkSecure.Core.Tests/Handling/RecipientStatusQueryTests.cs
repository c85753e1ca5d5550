using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Handling;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;
using Xunit;
using static LinkSecure.Core.Tests.Handling.HandlingTestKit;

namespace LinkSecure.Core.Tests.Handling;

public sealed class RecipientStatusQueryTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromMilliseconds(1500);

    [Theory]
    [InlineData("a@example.com", null, "example.com")]
    [InlineData("a@B\u00DCCHER.example", null, "xn--bcher-kva.example")]
    [InlineData("a@example.com.", null, "example.com")]
    [InlineData("", "empty address", null)]
    [InlineData("no-at-sign", "not an e-mail address", null)]
    [InlineData("@example.com", "not an e-mail address", null)]
    [InlineData("a@", "not an e-mail address", null)]
    [InlineData("a b@example.com", "not an e-mail address", null)]
    [InlineData("<a@example.com>", "not an e-mail address", null)]
    [InlineData("a@example.com, b@example.com", "not an e-mail address", null)]
    [InlineData("a@[192.0.2.1]", "an address literal has no domain policy", null)]
    [InlineData("a@exa_mple..com", "not an e-mail address: invalid domain", null)]
    [InlineData("a@b\uFFFD.example", "not an e-mail address", null)]
    public void Validate_TellsWhyOrTheDomain(string address, string? error, string? domain)
    {
        // Act
        var reason = RecipientStatusQuery.Validate(address, out var found);

        // Assert
        Assert.Equal(error, reason);
        Assert.Equal(domain, found);
    }

    [Fact]
    public void Validate_RefusesOverlongAddressAndLocalPart()
    {
        // Act & Assert
        Assert.Contains("254", RecipientStatusQuery.Validate(new string('a', 64) + "@" + new string('b', 190) + ".example", out _), StringComparison.Ordinal);
        Assert.Contains("64 octets", RecipientStatusQuery.Validate(new string('\u00E9', 33) + "@example.com", out _), StringComparison.Ordinal);
        Assert.Null(RecipientStatusQuery.Validate(new string('\u00E9', 32) + "@example.com", out _));
    }

    [Fact]
    public async Task UnfinishedLookup_IsChecking_ThenTheNextQueryDecidesFromTheCache_WithTheProfileAge()
    {
        // Arrange: the lookup completes only when the test says so.
        var clock = Clock();
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        ScriptedProfileSource? network = null;
        network = new ScriptedProfileSource(async (domain, _) =>
        {
            await release.Task;
            var profile = ScriptedProfileSource.Secure(domain);
            network!.Cache[domain] = profile;
            return profile;
        });
        var query = new RecipientStatusQuery(Stack(network, time: clock));

        // Act
        var pending = query.QueryAsync(Level1Bounce, new[] { " a@slow.example " }, Budget);
        clock.Advance(Budget);
        var first = (await Completed(pending)).Single();
        release.SetResult(true);
        await WaitUntil(() => query.LookupsRunning == 0);
        clock.Advance(TimeSpan.FromSeconds(30));
        var second = (await Completed(query.QueryAsync(Level1Bounce, new[] { "a@slow.example" }, Budget))).Single();

        // Assert
        Assert.Equal(RecipientState.Checking, first.State);
        Assert.Equal("a@slow.example", first.Address);
        Assert.Equal("slow.example", first.Domain);
        Assert.Null(first.Verdict);
        Assert.Null(first.DomainLevel);
        Assert.Equal(RecipientState.Ready, second.State);
        Assert.Equal(DecisionKind.Secure, second.Verdict!.Decision.Kind);
        Assert.Equal(LinkSecurityLevel.TransportSecure, second.DomainLevel);
        Assert.Equal(TimeSpan.FromSeconds(30), second.ProfileAge);
        Assert.Single(network.Asked);
    }

    [Fact]
    public async Task ConcurrentQueries_ShareOneLookupPerDomain()
    {
        // Arrange
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var network = new ScriptedProfileSource(async (domain, _) =>
        {
            await release.Task;
            return ScriptedProfileSource.Secure(domain);
        });
        var query = new RecipientStatusQuery(Stack(network));

        // Act
        var one = query.QueryAsync(Level1Bounce, new[] { "a@shared.example", "b@shared.example" }, Budget);
        var two = query.QueryAsync(Level1SafePart, new[] { "c@shared.example" }, Budget);
        release.SetResult(true);
        var answers = await Completed(Task.WhenAll(one, two));

        // Assert
        Assert.All(answers.SelectMany(a => a), s => Assert.Equal(DecisionKind.Secure, s.Verdict!.Decision.Kind));
        Assert.Single(network.Asked);
        Assert.Equal(1, query.LookupsStarted);
    }

    [Fact]
    public async Task RunningLookupBound_NewDomainsAreCheckingWithoutALookup()
    {
        // Arrange: one lookup at a time, and it is held.
        var clock = Clock();
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var network = new ScriptedProfileSource(async (domain, _) =>
        {
            await release.Task;
            return ScriptedProfileSource.Secure(domain);
        });
        var query = new RecipientStatusQuery(Stack(network, time: clock), maxRunningLookups: 1);

        // Act
        var pending = query.QueryAsync(Level1Bounce, new[] { "a@first.example", "b@second.example" }, Budget);
        clock.Advance(Budget);
        var statuses = await Completed(pending);
        release.SetResult(true);

        // Assert
        Assert.All(statuses, s => Assert.Equal(RecipientState.Checking, s.State));
        Assert.Equal(new[] { "first.example" }, network.Asked.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecipientStatusQuery(Stack(network), 0));
    }

    [Fact]
    public async Task FailingLookup_DefersLikeTheAgent()
    {
        // Arrange
        var network = new ScriptedProfileSource((_, _) => throw new InvalidOperationException("resolver broke"));
        var query = new RecipientStatusQuery(Stack(network));

        // Act
        var status = (await Completed(query.QueryAsync(Level1Bounce, new[] { "a@broken.example" }, Budget))).Single();

        // Assert
        Assert.Equal(RecipientState.Ready, status.State);
        Assert.Equal(DecisionKind.Defer, status.Verdict!.Decision.Kind);
        Assert.Contains("resolver broke", status.EvidenceSummary, StringComparison.Ordinal);
        Assert.Equal(status.Verdict.Decision.UserExplanation, status.Sentence);
    }

    [Fact]
    public async Task InternalAndInvalid_NeedNoLookup_AndTheOrderIsKept()
    {
        // Arrange
        var network = new ScriptedProfileSource();
        var query = new RecipientStatusQuery(Stack(network, "{ \"internalDomains\": [\"contoso.example\"] }"));

        // Act
        var statuses = await Completed(query.QueryAsync(Level1Bounce, new[] { "x@contoso.example", "nonsense", "y@CONTOSO.example" }, Budget));

        // Assert
        Assert.Equal(new[] { RecipientState.Ready, RecipientState.Error, RecipientState.Ready }, statuses.Select(s => s.State).ToArray());
        Assert.True(statuses[0].IsInternal);
        Assert.Equal(DecisionKind.Pass, statuses[2].Verdict!.Decision.Kind);
        Assert.Equal("Internal recipient: the message stays inside the organisation.", statuses[0].Sentence);
        Assert.Equal("not an e-mail address", statuses[1].Error);
        Assert.Empty(network.Asked);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        while (!condition())
        {
            await Task.Delay(10, guard.Token);
        }
    }
}
