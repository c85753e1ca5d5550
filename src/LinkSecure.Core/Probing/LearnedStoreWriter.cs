using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using LinkSecure.Core.Network;

namespace LinkSecure.Core.Probing;

/// <summary>
/// Funnels the observations of concurrent checks into the learned store in batches: one writer at a time takes the
/// store's file lock, so checks never queue on the lock file (or block pool threads on it), and a bulk check rewrites
/// the file a few times a second rather than once per domain.
/// </summary>
internal sealed class LearnedStoreWriter
{
    private readonly LearnedCapabilityStore store;
    private readonly object gate = new();
    private List<Pending> pending = new();
    private bool writing;

    public LearnedStoreWriter(LearnedCapabilityStore store)
    {
        this.store = store;
    }

    /// <summary>Gets how many times the store file was written.</summary>
    public int Writes { get; private set; }

    /// <summary>Records observations; completes when they are on disk (or faults with the write's exception).</summary>
    public Task WriteAsync(IReadOnlyList<LearnedCapabilities> observations)
    {
        var item = new Pending(observations);
        var start = false;
        lock (gate)
        {
            pending.Add(item);
            if (!writing)
            {
                writing = true;
                start = true;
            }
        }

        if (start)
        {
            _ = Task.Run(Drain);
        }

        return item.Done.Task;
    }

    private void Drain()
    {
        while (true)
        {
            List<Pending> batch;
            lock (gate)
            {
                if (pending.Count == 0)
                {
                    writing = false;
                    return;
                }

                batch = pending;
                pending = new List<Pending>();
            }

            var all = new List<LearnedCapabilities>();
            foreach (var item in batch)
            {
                all.AddRange(item.Observations);
            }

            try
            {
                store.Record(all);
                Writes++;
                foreach (var item in batch)
                {
                    item.Done.TrySetResult(true);
                }
            }
#pragma warning disable CA1031 // Every waiting check gets the failure; none is lost.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                foreach (var item in batch)
                {
                    item.Done.TrySetException(ex);
                }
            }
        }
    }

    private sealed class Pending
    {
        public Pending(IReadOnlyList<LearnedCapabilities> observations)
        {
            Observations = observations;
        }

        public IReadOnlyList<LearnedCapabilities> Observations { get; }

        public TaskCompletionSource<bool> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
