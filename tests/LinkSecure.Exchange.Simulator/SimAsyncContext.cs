using System;
using System.Threading;
using Microsoft.Exchange.Data.Transport;

namespace LinkSecure.Exchange.Simulator;

/// <summary>The asynchronous context of one invocation: <c>Resume</c> marks the worker thread (API reference dd877389);
/// <c>Complete</c> must come exactly once (aa566934), and hands the item back to the pipeline.</summary>
internal sealed class SimAsyncContext : AgentAsyncContext
{
    private readonly EventInvocation invocation;
    private readonly object gate = new();
    private int completions;
    private bool completed;
    private Action? continuation;

    public SimAsyncContext(EventInvocation invocation)
    {
        this.invocation = invocation;
    }

    public bool IsCompleted => Volatile.Read(ref completions) > 0;

    public override void Resume() => invocation.MarkResumed();

    public override void Complete()
    {
        if (Interlocked.Increment(ref completions) > 1)
        {
            throw invocation.Refuse("Complete called twice");
        }

        Action? run;
        lock (gate)
        {
            completed = true;
            run = continuation;
            continuation = null;
        }

        run?.Invoke();
    }

    /// <summary>Runs <paramref name="action"/> when <see cref="Complete"/> is called (at once if it was).</summary>
    public void OnCompleted(Action action)
    {
        lock (gate)
        {
            if (!completed)
            {
                continuation = action;
                return;
            }
        }

        action();
    }
}
