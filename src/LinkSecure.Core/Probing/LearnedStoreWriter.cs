using System;
using System.Collections.Generic;
using System.IO;
using System.Threading.Tasks;
using LinkSecure.Core.Network;

namespace LinkSecure.Core.Probing;

/// <summary>
/// Funnels the observations of concurrent checks into the learned store: each check stages its observations in the
/// store instance (visible to its lookups at once, so the profile computed right after the probe sees them) and a
/// single background writer persists them in coalesced batches, at most one write per <see cref="Interval"/>. No
/// check waits for the file; <see cref="FlushAsync"/> writes what is left and reports a failure.
/// </summary>
internal sealed class LearnedStoreWriter
{
    /// <summary>The shortest time between two background writes of the file.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private readonly LearnedCapabilityStore store;
    private readonly object gate = new();
    private Task drain = Task.CompletedTask;
    private TaskCompletionSource<bool> wake = NewWake();
    private bool scheduled;
    private int writes;
    private string? lastError;

    public LearnedStoreWriter(LearnedCapabilityStore store)
    {
        this.store = store;
    }

    /// <summary>Gets how many times the store file was written.</summary>
    public int Writes => System.Threading.Volatile.Read(ref writes);

    /// <summary>Gets the error of the last background write when it failed (its observations stay staged and are
    /// retried); <see langword="null"/> after a successful write.</summary>
    public string? LastError
    {
        get
        {
            lock (gate)
            {
                return lastError;
            }
        }
    }

    /// <summary>Stages observations in the store and schedules a background write.</summary>
    public void Stage(IReadOnlyList<LearnedCapabilities> observations)
    {
        store.Stage(observations);
        lock (gate)
        {
            if (scheduled)
            {
                return;
            }

            scheduled = true;
            var previous = drain;
            var woken = wake.Task;
            drain = Task.Run(async () =>
            {
                await previous.ConfigureAwait(false);

                // Coalesce: wait for more observations, unless a flush wants them written now.
                await Task.WhenAny(Task.Delay(Interval), woken).ConfigureAwait(false);
                lock (gate)
                {
                    // Observations staged from here on schedule the next write.
                    scheduled = false;
                }

                Write();
            });
        }
    }

    /// <summary>Waits for a scheduled background write, then writes whatever is still staged.</summary>
    /// <returns>How many staged observations could not be written (0 when everything is on disk), and why.</returns>
    public async Task<(int Unwritten, string? Error)> FlushAsync()
    {
        Task pending;
        lock (gate)
        {
            pending = drain;
            wake.TrySetResult(true);
            wake = NewWake();
        }

        await pending.ConfigureAwait(false);
        await Task.Run(Write).ConfigureAwait(false);
        return (store.StagedCount, LastError);
    }

    private static TaskCompletionSource<bool> NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Write()
    {
        try
        {
            if (store.Flush() > 0)
            {
                System.Threading.Interlocked.Increment(ref writes);
            }

            lock (gate)
            {
                lastError = null;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            lock (gate)
            {
                lastError = "the learned store " + store.Path + " could not be written: " + ex.Message;
            }
        }
    }
}
