using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Handling;
using LinkSecure.Core.Profiles;
using Xunit;
using static LinkSecure.Core.Tests.Handling.HandlingTestKit;

namespace LinkSecure.Core.Tests.Handling;

/// <summary>The budgeted lookup runs on a fake clock: the budget elapses only when a test advances it, so every
/// assertion is about results and task states, never about how long something took.</summary>
public class MessageHandlerLookupTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromMilliseconds(250);

    private static ValueTask<DomainProfile> Never(TaskCompletionSource<DomainProfile>? tcs = null) =>
        new((tcs ?? new TaskCompletionSource<DomainProfile>(TaskCreationOptions.RunContinuationsAsynchronously)).Task);

    [Fact]
    public async Task SourceThatNeverCompletes_BudgetWins_UnfinishedIsTimeout_FinishedKeepsItsProfile()
    {
        // Arrange
        var clock = Clock();
        var source = new ScriptedProfileSource((domain, _) => domain == "fast.example" ? new ValueTask<DomainProfile>(ScriptedProfileSource.Secure(domain)) : Never());
        var handler = Stack(source, time: clock).Messages;

        // Act
        var run = handler.StartLookups(new[] { "never.example", "fast.example" }, Budget, CancellationToken.None);
        await Completed(run.Lookups[1]);
        var beforeBudget = run.Result.IsCompleted;
        clock.Advance(Budget);
        var result = await Completed(run.Result);

        // Assert
        Assert.False(beforeBudget);
        Assert.Equal(ProfileStatus.TemporaryFailure, result["never.example"].Status);
        Assert.Equal(TemporaryFailureKind.Timeout, result["never.example"].FailureKind);
        Assert.Equal("lookup did not finish within the 250 ms budget", result["never.example"].FailureReason);
        Assert.Equal(ProfileStatus.Ok, result["fast.example"].Status);
        Assert.True(source.Tokens["never.example"].IsCancellationRequested);
        Assert.False(run.Settled.IsCompleted);
    }

    [Fact]
    public async Task PublicLookupAsync_ReturnsWithinTheBudget_WithTimeoutKinds()
    {
        // Arrange
        var clock = Clock();
        var handler = Stack(new ScriptedProfileSource((_, _) => Never()), time: clock).Messages;

        // Act
        var task = handler.LookupAsync(new[] { "a.example", "b.example" }, Budget);
        clock.Advance(Budget);
        var result = await Completed(task);

        // Assert
        Assert.Equal(TaskStatus.RanToCompletion, task.Status);
        Assert.Equal(2, result.Count);
        Assert.All(result.Values, p => Assert.Equal(TemporaryFailureKind.Timeout, p.FailureKind));
    }

    [Fact]
    public async Task SourceThatThrowsSynchronously_IsALookupFailure()
    {
        // Arrange
        var source = new ScriptedProfileSource((_, _) => throw new InvalidOperationException("resolver exploded"));
        var handler = Stack(source, time: Clock()).Messages;

        // Act
        var result = await Completed(handler.LookupAsync(new[] { "boom.example" }, Budget));

        // Assert
        var profile = result["boom.example"];
        Assert.Equal(TemporaryFailureKind.Lookup, profile.FailureKind);
        Assert.Equal("lookup failed: resolver exploded", profile.FailureReason);
    }

    [Fact]
    public async Task SourceThatFaultsLater_WithinTheBudget_IsALookupFailure_AndEverythingSettles()
    {
        // Arrange
        var pending = new TaskCompletionSource<DomainProfile>(TaskCreationOptions.RunContinuationsAsynchronously);
        var asked = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var source = new ScriptedProfileSource((_, _) =>
        {
            asked.TrySetResult(true);
            return new ValueTask<DomainProfile>(pending.Task);
        });
        var handler = Stack(source, time: Clock()).Messages;

        // Act
        var run = handler.StartLookups(new[] { "late.example" }, Budget, CancellationToken.None);
        await Completed(asked.Task);
        pending.SetException(new IOException("connection reset"));
        var result = await Completed(run.Result);
        await Completed(run.Settled);

        // Assert
        Assert.Equal(TemporaryFailureKind.Lookup, result["late.example"].FailureKind);
        Assert.Equal("lookup failed: connection reset", result["late.example"].FailureReason);
        Assert.Throws<ObjectDisposedException>(() => source.Tokens["late.example"].WaitHandle);
    }

    [Fact]
    public async Task FaultAfterTheBudget_IsObserved_AndTheCancellationSourceIsDisposedOnceItEnded()
    {
        // Arrange
        var marker = "late fault " + Guid.NewGuid().ToString("N");
        var unobserved = false;
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e)
        {
            if (e.Exception.ToString().Contains(marker))
            {
                unobserved = true;
            }
        }

        var clock = Clock();
        var pending = new TaskCompletionSource<DomainProfile>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = Stack(new ScriptedProfileSource((_, _) => new ValueTask<DomainProfile>(pending.Task)), time: clock).Messages;
        TaskScheduler.UnobservedTaskException += OnUnobserved;
        try
        {
            // Act
            MessageHandler.LookupRun? run = handler.StartLookups(new[] { "late.example" }, Budget, CancellationToken.None);
            clock.Advance(Budget);
            var result = await Completed(run.Result);
            var settledBeforeFault = run.Settled.IsCompleted;
            pending.SetException(new IOException(marker));
            await Completed(run.Settled);
            run = null;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();

            // Assert
            Assert.Equal(TemporaryFailureKind.Timeout, result["late.example"].FailureKind);
            Assert.False(settledBeforeFault);
            Assert.False(unobserved);
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
        }
    }

    [Fact]
    public async Task SourceThatBlocksItsCallerSynchronously_DoesNotBlockTheCaller()
    {
        // Arrange: the source's synchronous part holds a gate that only the caller opens, after LookupAsync returned.
        using var entered = new ManualResetEventSlim();
        using var gate = new ManualResetEventSlim();
        var gateOpened = false;
        var sourceThread = 0;
        var source = new ScriptedProfileSource((domain, _) =>
        {
            sourceThread = Environment.CurrentManagedThreadId;
            entered.Set();
            gateOpened = gate.Wait(HangGuard, CancellationToken.None);
            return new ValueTask<DomainProfile>(ScriptedProfileSource.Secure(domain));
        });
        var handler = Stack(source, time: Clock()).Messages;
        var callerThread = Environment.CurrentManagedThreadId;

        // Act
        var task = handler.LookupAsync(new[] { "blocking.example" }, Budget);
        var reached = entered.Wait(HangGuard);
        var completedWhileHeld = task.IsCompleted;
        gate.Set();
        var result = await Completed(task);

        // Assert: LookupAsync returned a running task while the source held the gate on another thread; had it run the
        // source on the caller's thread, the gate would never have been opened.
        Assert.True(reached);
        Assert.False(completedWhileHeld);
        Assert.True(gateOpened);
        Assert.NotEqual(callerThread, sourceThread);
        Assert.Equal(ProfileStatus.Ok, result["blocking.example"].Status);
    }

    [Fact]
    public async Task CallerCancellation_EndsTheWait_UnfinishedAreTimeout()
    {
        // Arrange
        using var caller = new CancellationTokenSource();
        var asked = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var source = new ScriptedProfileSource((_, _) =>
        {
            asked.TrySetResult(true);
            return Never();
        });
        var handler = Stack(source, time: Clock()).Messages;

        // Act
        var task = handler.LookupAsync(new[] { "slow.example" }, Budget, caller.Token);
        await Completed(asked.Task);
        caller.Cancel();
        var result = await Completed(task);

        // Assert: never cancelled, never faulted.
        Assert.Equal(TaskStatus.RanToCompletion, task.Status);
        Assert.Equal(TemporaryFailureKind.Timeout, result["slow.example"].FailureKind);
        Assert.Equal("lookup cancelled before it finished", result["slow.example"].FailureReason);
        Assert.True(source.Tokens["slow.example"].IsCancellationRequested);
    }

    [Fact]
    public async Task AlreadyCancelledCaller_StartsNothing()
    {
        // Arrange
        using var caller = new CancellationTokenSource();
        caller.Cancel();
        var source = new ScriptedProfileSource();
        var handler = Stack(source, time: Clock()).Messages;

        // Act
        var result = await Completed(handler.LookupAsync(new[] { "a.example" }, Budget, caller.Token));

        // Assert
        Assert.Equal(TemporaryFailureKind.Timeout, result["a.example"].FailureKind);
        Assert.Empty(source.Asked);
    }

    [Fact]
    public async Task Duplicates_AreLookedUpOnce_NoDomains_CompleteAtOnce()
    {
        // Arrange
        var source = new ScriptedProfileSource();
        var handler = Stack(source, time: Clock()).Messages;

        // Act
        var result = await Completed(handler.LookupAsync(new[] { "a.example", "a.example" }, Budget));
        var none = handler.LookupAsync(Array.Empty<string>(), Budget);

        // Assert
        Assert.Single(result);
        Assert.Equal(new[] { "a.example" }, source.Asked);
        Assert.True(none.IsCompleted);
        Assert.Empty(await none);
    }

    [Fact]
    public void InvalidArguments_Throw()
    {
        // Arrange
        var handler = Stack(null).Messages;

        // Act / Assert: thrown synchronously, before any lookup starts.
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = handler.LookupAsync(new[] { "a.example" }, TimeSpan.Zero); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = handler.LookupAsync(new[] { "a.example" }, TimeSpan.FromDays(30)); });
        Assert.Throws<ArgumentNullException>(() => { _ = handler.LookupAsync(null!, Budget); });
        Assert.Throws<ArgumentException>(() => { _ = handler.LookupAsync(new string[] { null! }, Budget); });
    }
}
