using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;

namespace LinkSecure.Exchange.Simulator;

/// <summary>
/// The transport threads of one run: a queue of copies, worked by the calling thread (parallelism 1) or by dedicated
/// threads. A copy whose invocation went asynchronous leaves its thread; <c>Complete</c> (or the timeout, a violation)
/// puts it back in the queue. New copies start only while fewer than the pipeline's <see cref="TransportPipeline.MaxItemsInFlight"/>
/// are under way.
/// </summary>
internal sealed class PipelineScheduler
{
    private static readonly long CheckInterval = Stopwatch.Frequency / 20;
    private readonly TransportPipeline pipeline;
    private readonly int parallelism;
    private readonly ConcurrentQueue<CopyRun> queue = new();
    private readonly ConcurrentQueue<CopyRun> backlog = new();
    private ConcurrentDictionary<CopyRun, long>? awaiting;
    private readonly SemaphoreSlim signal = new(0);
    private readonly int maxInFlight;
    private int pending;
    private int inFlight;
    private long nextCheck;

    public PipelineScheduler(TransportPipeline pipeline, int parallelism)
    {
        this.pipeline = pipeline;
        this.parallelism = Math.Max(1, parallelism);
        maxInFlight = pipeline.MaxItemsInFlight <= 0 ? int.MaxValue : pipeline.MaxItemsInFlight;
    }

    public void Run(IReadOnlyCollection<CopyRun> runs)
    {
        foreach (var run in runs)
        {
            Schedule(run);
        }

        if (parallelism == 1)
        {
            Work();
            return;
        }

        var threads = Enumerable.Range(0, parallelism).Select(i => new Thread(Work) { IsBackground = true, Name = "transport " + i }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
    }

    /// <summary>Adds a copy that has not started (a submission, a retry, a fork clone).</summary>
    public void Schedule(CopyRun run)
    {
        Interlocked.Increment(ref pending);
        backlog.Enqueue(run);
        signal.Release();
    }

    /// <summary>A copy's pass ended.</summary>
    public void Done()
    {
        Interlocked.Decrement(ref inFlight);
        if (Interlocked.Decrement(ref pending) == 0)
        {
            signal.Release(parallelism);
        }
        else
        {
            signal.Release();
        }
    }

    /// <summary>Parks a copy until its invocation's <c>Complete</c>, at most the pipeline's async timeout.</summary>
    public void AwaitCompletion(CopyRun run, SimAsyncContext context)
    {
        run.ArmResume();
        if (awaiting is null)
        {
            Interlocked.CompareExchange(ref awaiting, new ConcurrentDictionary<CopyRun, long>(), null);
        }

        awaiting![run] = Stopwatch.GetTimestamp() + (long)(pipeline.AsyncTimeout.TotalSeconds * Stopwatch.Frequency);
        context.OnCompleted(() => Resume(run));
    }

    private void Resume(CopyRun run)
    {
        if (!run.TryResume())
        {
            return;
        }

        awaiting?.TryRemove(run, out _);
        Enqueue(run);
    }

    private void Enqueue(CopyRun run)
    {
        queue.Enqueue(run);
        signal.Release();
    }

    private void Work()
    {
        while (Volatile.Read(ref pending) > 0)
        {
            if (Stopwatch.GetTimestamp() >= Volatile.Read(ref nextCheck))
            {
                CheckTimeouts();
            }

            if (!queue.TryDequeue(out var run) && !TryStart(out run))
            {
                signal.Wait(20);
                continue;
            }

            try
            {
                pipeline.Step(run, this);
            }
            catch (Exception ex)
            {
                // A fault of the simulator itself: reported, and the copy is given up so the run ends.
                pipeline.RecordViolation($"item {run.Item.Id}: simulator failure: {ex}");
                Done();
            }
        }
    }

    private bool TryStart(out CopyRun run)
    {
        if (Interlocked.Increment(ref inFlight) <= maxInFlight && backlog.TryDequeue(out run!))
        {
            return true;
        }

        Interlocked.Decrement(ref inFlight);
        run = null!;
        return false;
    }

    private void CheckTimeouts()
    {
        var now = Stopwatch.GetTimestamp();
        Volatile.Write(ref nextCheck, now + CheckInterval);
        if (Volatile.Read(ref awaiting) is not { } parked)
        {
            return;
        }

        foreach (var entry in parked)
        {
            if (entry.Value <= now && entry.Key.TryResume())
            {
                parked.TryRemove(entry.Key, out _);
                pipeline.RecordViolation($"item {entry.Key.Item.Id}: went async and never called Complete (within {pipeline.AsyncTimeout})");
                Enqueue(entry.Key);
            }
        }
    }
}
