using System;
using System.Collections.Generic;
using System.Linq;
using LinkSecure.Exchange.Simulator;
using Microsoft.Exchange.Data.Transport;
using Xunit;

namespace LinkSecure.Exchange.Tests.Simulator;

/// <summary>The accounting check: every submitted recipient ends exactly once.</summary>
public class AccountingReportTests
{
    private static (SubmittedMessage Message, SimMailItem Copy) Submitted(params string[] recipients)
    {
        var item = SimItems.Tagged(recipients);
        return (new SubmittedMessage(item, recipients, item.Mime), item);
    }

    [Fact]
    public void OneOutcomeEach_IsBalanced_AndCounted()
    {
        // Arrange
        var (message, copy) = Submitted("a@x.example", "b@y.example", "c@z.example");
        var outcomes = new[]
        {
            new RecipientOutcome("a@x.example", OutcomeKind.Delivered, copy),
            new RecipientOutcome("B@Y.EXAMPLE", OutcomeKind.Bounced, copy),
            new RecipientOutcome("c@z.example", OutcomeKind.Deferred, copy),
        };

        // Act
        var report = AccountingReport.Check(new[] { message }, outcomes);

        // Assert
        Assert.True(report.IsBalanced, report.ToString());
        Assert.Equal((1, 3, 1, 1, 1), (report.Messages, report.Recipients, report.Delivered, report.Bounced, report.Deferred));
    }

    [Theory]
    [InlineData("delivered more than once", OutcomeKind.Delivered, OutcomeKind.Delivered)]
    [InlineData("bounced more than once", OutcomeKind.Bounced, OutcomeKind.Bounced)]
    [InlineData("delivered and bounced", OutcomeKind.Delivered, OutcomeKind.Bounced)]
    [InlineData("delivered and still deferred", OutcomeKind.Deferred, OutcomeKind.Delivered)]
    [InlineData("deferred in more than one copy", OutcomeKind.Deferred, OutcomeKind.Deferred)]
    public void TwoOutcomes_AreAProblem(string expected, OutcomeKind first, OutcomeKind second)
    {
        // Arrange
        var (message, copy) = Submitted("a@x.example");
        var outcomes = new[] { new RecipientOutcome("a@x.example", first, copy), new RecipientOutcome("a@x.example", second, copy) };

        // Act
        var report = AccountingReport.Check(new[] { message }, outcomes);

        // Assert
        Assert.False(report.IsBalanced);
        Assert.Equal(expected, Assert.Single(report.ProblemCounts).Key);
        Assert.Contains("a@x.example " + expected, Assert.Single(report.Problems));
    }

    [Fact]
    public void NoOutcome_IsLost_AndAStrangerWasNeverSubmitted()
    {
        // Arrange
        var (message, copy) = Submitted("a@x.example");
        var outcomes = new[] { new RecipientOutcome("stranger@x.example", OutcomeKind.Delivered, copy) };

        // Act
        var report = AccountingReport.Check(new[] { message }, outcomes);

        // Assert
        Assert.Equal(new[] { "lost", "never submitted" }, report.ProblemCounts.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Contains("lost", report.ToString());
    }

    [Fact]
    public void ThroughThePipeline_ForkThenDeferTheFirstCopy_DeliversTheCloneTwiceOnTheRetry()
    {
        // Arrange: the original item forks b off, then defers itself; the revert brings b back into it.
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
        {
            var sim = (SimMailItem)item;
            if (sim.ForkedFrom is null && item.Recipients.Count == 2)
            {
                source.Fork(new List<EnvelopeRecipient> { item.Recipients[0] });
                source.Defer(TimeSpan.FromMinutes(1));
            }
        }));
        pipeline.Submit(SimItems.Tagged("a@x.example", "b@y.example"));

        // Act
        var settled = pipeline.RunUntilSettled(maxRounds: 1);

        // Assert: the retry forks and defers again (the script cannot tell), and b was delivered by two clones.
        Assert.False(settled);
        var report = AccountingReport.Check(pipeline);
        Assert.Contains("b@y.example delivered more than once", string.Join("\n", report.Problems));
    }
}
