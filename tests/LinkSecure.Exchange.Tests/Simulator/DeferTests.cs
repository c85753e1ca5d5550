using System;
using System.Collections.Generic;
using System.Linq;
using LinkSecure.Exchange.Pipeline;
using LinkSecure.Exchange.Simulator;
using LinkSecure.Exchange.Tests.Support;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Routing;
using Xunit;

namespace LinkSecure.Exchange.Tests.Simulator;

/// <summary>Defer as documented (the item reverts to its committed contents, later access fails), and the retry on the virtual clock.</summary>
public class DeferTests
{
    private static readonly RoutingOverride Route = new(new RoutingDomain("r.invalid"), DeliveryQueueDomain.UseRecipientDomain);

    [Fact]
    public void Defer_RevertsRecipientsBagsMimeAndRoutes_ToTheSubmittedContents()
    {
        // Arrange
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
        {
            item.Properties["mark"] = "item";
            item.Recipients[1].Properties["mark"] = "recipient";
            source.SetRoutingOverride(item.Recipients[1], Route);
            source.SetTlsDomain(item.Recipients[1], "mx.y.example");
            using (var write = item.GetMimeWriteStream())
            {
                write.Write(new byte[] { 65, 13, 10 }, 0, 3);
            }

            item.Recipients.Remove(item.Recipients[0], DsnType.Failure, SimResponses.Failure("550", "5.7.30", "why", "detail"));
            source.Defer(TimeSpan.FromMinutes(15));
        }));
        var original = SimItems.Tagged("a@x.example", "b@y.example");
        var mime = original.Mime;

        // Act
        pipeline.Submit(original);

        // Assert
        Assert.Empty(pipeline.Violations);
        Assert.Same(mime, original.Mime);
        Assert.Empty(original.Bag);
        Assert.Equal(new[] { "a@x.example", "b@y.example" }, original.SimRecipients.Items.Select(r => r.Address.ToString()));
        Assert.All(original.SimRecipients.Items, r => Assert.Empty(r.Bag));
        Assert.All(original.SimRecipients.Items, r => Assert.Null(r.Override));
        Assert.All(original.SimRecipients.Items, r => Assert.Null(r.TlsDomain));
        Assert.Equal(2, pipeline.Outcomes.Count(o => o.Kind == OutcomeKind.Deferred));
        Assert.Equal("bounced and still deferred", Assert.Single(AccountingReport.Check(pipeline).ProblemCounts).Key);
    }

    [Fact]
    public void AccessAfterDefer_ThrowsNullReferenceException_AndIsAViolation()
    {
        // Arrange
        Exception? error = null;
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
        {
            source.Defer(TimeSpan.FromMinutes(5));
            error = Record.Exception(() => item.Recipients.Count);
        }));

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example"));

        // Assert
        Assert.IsType<NullReferenceException>(error);
        Assert.Contains(pipeline.Violations, v => v.Contains("after Defer in the same OnResolvedMessage invocation"));
    }

    [Fact]
    public void DeferRevertsOff_RecordsTheDeferralOnly()
    {
        // Arrange
        Exception? error = null;
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
        {
            item.Properties["mark"] = "item";
            source.Defer(TimeSpan.FromMinutes(5));
            error = Record.Exception(() => item.Recipients.Count);
        }))
        { DeferReverts = false };
        var original = SimItems.Tagged("a@x.example");

        // Act
        pipeline.Submit(original);

        // Assert
        Assert.Null(error);
        Assert.Empty(pipeline.Violations);
        Assert.Equal("item", original.Bag["mark"]);
        Assert.Equal(OutcomeKind.Deferred, Assert.Single(pipeline.Outcomes).Kind);
    }

    [Fact]
    public void DeferOfAClone_RevertsToItsContentsAtTheFork()
    {
        // Arrange: the original marks its recipients, forks b and c off; the clone marks more, rewrites, then defers.
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
        {
            var sim = (SimMailItem)item;
            if (sim.ForkedFrom is null)
            {
                item.Recipients[1].Properties["mark"] = "before fork";
                source.Fork(new List<EnvelopeRecipient> { item.Recipients[0] });
                return;
            }

            item.Recipients[0].Properties["mark"] = "after fork";
            item.Recipients.Remove(item.Recipients[1], DsnType.Failure, SimResponses.Failure("550", "5.7.30", "why", "detail"));
            source.Defer(TimeSpan.FromMinutes(5));
        }));

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example", "b@y.example", "c@z.example"));

        // Assert
        var clone = pipeline.Outcomes.First(o => o.Kind == OutcomeKind.Deferred).Item;
        Assert.Equal(new[] { "b@y.example", "c@z.example" }, clone.SimRecipients.Items.Select(r => r.Address.ToString()));
        Assert.Equal("before fork", clone.SimRecipients.Items[0].Bag["mark"]);
        Assert.Equal(OutcomeKind.Delivered, pipeline.Outcomes.Single(o => o.Address == "a@x.example").Kind);
    }

    [Fact]
    public void RunUntilSettled_AdvancesTheClockByTheWait_AndResubmitsFromOnSubmittedMessage()
    {
        // Arrange
        var clock = new VirtualClock(new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero));
        var received = new List<DateTime>();
        var passes = 0;
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
        {
            received.Add(item.DateTimeReceived);
            if (passes++ == 0)
            {
                source.Defer(TimeSpan.FromMinutes(15));
            }
        }))
        { Clock = clock };
        var original = SimItems.Tagged("a@x.example");
        pipeline.Submit(original);

        // Act
        var settled = pipeline.RunUntilSettled(maxRounds: 5);

        // Assert
        Assert.True(settled);
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 8, 15, 0, TimeSpan.Zero), clock.UtcNow);
        Assert.Equal(1, pipeline.RetryCount);
        Assert.Equal(2, pipeline.Trace.Count(t => t.Contains("OnSubmittedMessage")));
        Assert.Equal(OutcomeKind.Delivered, Assert.Single(pipeline.Outcomes).Kind);
        Assert.Equal(new[] { new DateTime(2026, 3, 2, 8, 0, 0, DateTimeKind.Utc), new DateTime(2026, 3, 2, 8, 0, 0, DateTimeKind.Utc) }, received);
        Assert.True(AccountingReport.Check(pipeline).IsBalanced);
    }

    [Fact]
    public void RunUntilSettled_ItemStillWaitingAfterMaxRounds_StaysDeferred()
    {
        // Arrange
        var start = new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) => source.Defer(TimeSpan.FromMinutes(10)))) { Clock = new VirtualClock(start) };
        var original = SimItems.Tagged("a@x.example");
        pipeline.Submit(original);

        // Act
        var settled = pipeline.RunUntilSettled(maxRounds: 3);

        // Assert
        Assert.False(settled);
        Assert.Equal(start.AddMinutes(30), pipeline.Clock.UtcNow);
        Assert.Equal(3, pipeline.RetryCount);
        Assert.Equal(4, pipeline.DeferralCount);
        Assert.Same(original, Assert.Single(pipeline.WaitingItems));
        var outcome = Assert.Single(pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Deferred, outcome.Kind);
        Assert.Equal(1, AccountingReport.Check(pipeline).Deferred);
    }

    [Fact]
    public void Retry_BringsOneItemBackNow()
    {
        // Arrange
        var passes = 0;
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) =>
        {
            if (passes++ == 0)
            {
                source.Defer(TimeSpan.FromHours(1));
            }
        }));
        var original = SimItems.Tagged("a@x.example");
        pipeline.Submit(original);
        var before = pipeline.Clock.UtcNow;

        // Act
        pipeline.Retry(original);

        // Assert
        Assert.Equal(before, pipeline.Clock.UtcNow);
        Assert.Empty(pipeline.WaitingItems);
        Assert.Equal(OutcomeKind.Delivered, Assert.Single(pipeline.Outcomes).Kind);
    }

    [Theory]
    [InlineData(DateTimeKind.Utc)]
    [InlineData(DateTimeKind.Local)]
    [InlineData(DateTimeKind.Unspecified)]
    public void DateTimeReceived_IsTheSubmissionTime_WithTheConfiguredKind(DateTimeKind kind)
    {
        // Arrange
        var start = new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);
        DateTime received = default;
        var pipeline = new TransportPipeline(ScriptedFactory.OnResolved((agent, source, item) => received = item.DateTimeReceived))
        {
            Clock = new VirtualClock(start),
            ReceivedKind = kind,
        };

        // Act
        pipeline.Submit(SimItems.Tagged("a@x.example"));

        // Assert
        Assert.Equal(kind, received.Kind);
        var expected = kind == DateTimeKind.Utc ? start.UtcDateTime : start.UtcDateTime.ToLocalTime();
        Assert.Equal(expected.Ticks, received.Ticks);
    }
}
