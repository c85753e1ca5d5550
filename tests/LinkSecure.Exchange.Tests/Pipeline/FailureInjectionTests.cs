using System;
using System.Linq;
using LinkSecure.Exchange.Simulator;
using LinkSecure.Exchange.Tests.Support;
using Xunit;

namespace LinkSecure.Exchange.Tests.Pipeline;

/// <summary>Failures injected in the core's collaborators: fail-closed for tagged mail, fail-open for untagged mail.</summary>
public class FailureInjectionTests
{
    private static SimMailItem Item(byte[] mime, params string[] recipients) =>
        new(mime, recipients.Select(r => new SimRecipient(r)));

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void LookupTimeout_TaggedRecipientDeferredAfterBudget(ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness("""{ "agent": { "lookupBudgetMilliseconds": 200 } }""", forkMode: mode);
        harness.Profiles.WithHang("slow.example");
        var item = Item(Messages.Create("level=1"), "bob@slow.example");
        var started = DateTime.UtcNow;

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        Assert.Empty(harness.Pipeline.Violations);
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Deferred, outcome.Kind);
        Assert.StartsWith("4.", outcome.Response.EnhancedStatusCode);
        Assert.Contains("budget", string.Join(" ", outcome.Response.StatusText));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void LookupTimeout_UntaggedEnforcedMailPasses(ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness("""{ "enforceForAllMail": true, "agent": { "lookupBudgetMilliseconds": 100 } }""", forkMode: mode);
        harness.Profiles.WithHang("slow.example");
        var item = Item(Messages.Create(), "bob@slow.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Delivered, outcome.Kind);
        Assert.Null(outcome.Override);
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void LookupThrows_TaggedRecipientDeferred(ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness(forkMode: mode);
        harness.Profiles.WithFailure("broken.example");
        var item = Item(Messages.Create("level=1"), "bob@broken.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        Assert.Empty(harness.Pipeline.Violations);
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Deferred, outcome.Kind);
        Assert.Contains("resolver exploded", string.Join(" ", outcome.Response.StatusText));
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void UnexpectedErrorInCore_TaggedMailDeferredFailClosed(ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness(forkMode: mode);
        harness.Profiles.ThrowOnCacheRead = _ => true;
        var item = Item(Messages.Create("level=1"), "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        Assert.Empty(harness.Pipeline.Violations);
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Deferred, outcome.Kind);
        Assert.Equal("4.3.0", outcome.Response.EnhancedStatusCode);
        Assert.Contains(harness.AgentLines, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("fail-closed"));
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void UnexpectedErrorInCore_UntaggedMailUntouchedFailOpen(ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness("""{ "enforceForAllMail": true }""", forkMode: mode);
        harness.Profiles.ThrowOnCacheRead = _ => true;
        var mime = Messages.Create();
        var item = Item(mime, "bob@partner.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Delivered, outcome.Kind);
        Assert.Null(outcome.Override);
        Assert.Same(mime, outcome.Mime);
        Assert.Contains(harness.AgentLines, l => l.Contains("fail-open"));
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void RewriterThrows_DowngradeCopyDeferred(ForkMode mode)
    {
        // Arrange
        var rewriter = new SafePartTestRewriter { Throw = () => new InvalidOperationException("rewrite failed") };
        using var harness = new AgentHarness(rewriter: rewriter, forkMode: mode);
        var item = Item(Messages.Create("level=1; fallback=safe-part", withSafePart: true), "bob@plain.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        Assert.Empty(harness.Pipeline.Violations);
        var outcome = Assert.Single(harness.Pipeline.Outcomes);
        Assert.Equal(OutcomeKind.Deferred, outcome.Kind);
        Assert.Equal(0, item.MimeWrites);
    }

    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void ExceptionOnAsyncWorker_TaggedDeferredAndContextCompleted(ForkMode mode)
    {
        // Arrange
        using var harness = new AgentHarness(forkMode: mode);
        harness.Profiles.WithAsync("late.example", 1);
        var testThread = Environment.CurrentManagedThreadId;
        harness.Profiles.ThrowOnCacheRead = d => d == "late.example" && Environment.CurrentManagedThreadId != testThread;
        var item = Item(Messages.Create("level=1"), "bob@late.example");

        // Act
        harness.Pipeline.Submit(item);

        // Assert
        Assert.Empty(harness.Pipeline.Violations);
        Assert.Equal(1, harness.Pipeline.AsyncCount);
        Assert.Equal(OutcomeKind.Deferred, Assert.Single(harness.Pipeline.Outcomes).Kind);
    }
}
