using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Profiles;

namespace LinkSecure.Core.Handling;

/// <summary>The time-budgeted lookup of several domains, without a blocking wait.</summary>
public sealed partial class MessageHandler
{
    private static readonly IReadOnlyDictionary<string, DomainProfile> NoProfiles = new Dictionary<string, DomainProfile>(0, StringComparer.Ordinal);

    /// <summary>
    /// Starts the lookup of every domain and returns at once. Each lookup starts through <see cref="Task.Run(Func{Task})"/>,
    /// so not even a source's synchronous part runs on the caller's thread. The task completes when every lookup finished
    /// or <paramref name="budget"/> elapsed, whichever is first (<c>Task.WhenAny(Task.WhenAll(…), delay)</c>: no thread
    /// waits), and it never faults and is never cancelled: an unfinished lookup is a temporary failure
    /// (<see cref="TemporaryFailureKind.Timeout"/>, "lookup did not finish within the N ms budget"), a faulted one
    /// <see cref="TemporaryFailureKind.Lookup"/> ("lookup failed: …"), and a cancelled <paramref name="cancellationToken"/>
    /// makes every unfinished lookup <see cref="TemporaryFailureKind.Timeout"/>. Unfinished lookups are cancelled; a
    /// fault that comes later is observed, and the budget's cancellation source is disposed once every lookup ended.
    /// </summary>
    /// <param name="domains">Normalised domains (<see cref="FindMissingProfiles"/>); duplicates are looked up once.</param>
    /// <param name="budget">The time budget; positive.</param>
    /// <param name="cancellationToken">Ends the wait early.</param>
    /// <returns>A profile for every domain.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="budget"/> is not positive or longer than
    /// <see cref="int.MaxValue"/> milliseconds.</exception>
    public Task<IReadOnlyDictionary<string, DomainProfile>> LookupAsync(IReadOnlyList<string> domains, TimeSpan budget, CancellationToken cancellationToken = default) =>
        StartLookups(domains, budget, cancellationToken).Result;

    /// <summary><see cref="LookupAsync"/> with its parts visible (the test seam).</summary>
    internal LookupRun StartLookups(IReadOnlyList<string> domains, TimeSpan budget, CancellationToken cancellationToken)
    {
        if (domains is null)
        {
            throw new ArgumentNullException(nameof(domains));
        }

        if (budget <= TimeSpan.Zero || budget.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(budget), budget, "The budget is positive and at most int.MaxValue milliseconds.");
        }

        var distinct = new List<string>(domains.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var domain in domains)
        {
            if (domain is null)
            {
                throw new ArgumentException("A domain is null.", nameof(domains));
            }

            if (seen.Add(domain))
            {
                distinct.Add(domain);
            }
        }

        var lookups = new Task<DomainProfile>?[distinct.Count];
        if (distinct.Count == 0 || cancellationToken.IsCancellationRequested)
        {
            // Nothing to wait for: a cancelled caller gets every domain as timed out, and no lookup starts.
            var now = distinct.Count == 0 ? NoProfiles : Collect(distinct, lookups, budget, cancellationToken);
            return new LookupRun(Task.FromResult(now), Task.CompletedTask, Array.Empty<Task<DomainProfile>>());
        }

        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = cancellation.Token;
        var started = new Task<DomainProfile>[distinct.Count];
        for (var i = 0; i < started.Length; i++)
        {
            var domain = distinct[i];
            started[i] = Task.Run(() => profiles.ResolveAsync(domain, token).AsTask(), CancellationToken.None);
            lookups[i] = started[i];
        }

        var all = Task.WhenAll(started);
        var result = Task.WhenAny(all, Delay(budget, token)).ContinueWith(
            _ =>
            {
                // Stops the unfinished lookups (or, when all finished, the budget's timer); never disposed before this ran.
                Cancel(cancellation);
                return (IReadOnlyDictionary<string, DomainProfile>)Collect(distinct, lookups, budget, cancellationToken);
            },
            CancellationToken.None,
            TaskContinuationOptions.DenyChildAttach,
            TaskScheduler.Default);
        var settled = Task.WhenAll(all, result).ContinueWith(
            done =>
            {
                // Observe every fault, including those that came after the budget, then release the timer and registrations.
                _ = done.Exception;
                foreach (var lookup in started)
                {
                    _ = lookup.Exception;
                }

                cancellation.Dispose();
            },
            CancellationToken.None,
            TaskContinuationOptions.DenyChildAttach,
            TaskScheduler.Default);
        return new LookupRun(result, settled, started);
    }

    private static void Cancel(CancellationTokenSource cancellation)
    {
        try
        {
            cancellation.Cancel();
        }
        catch (AggregateException)
        {
            // A source's cancellation callback threw; its lookup is still accounted for below (unfinished or faulted).
        }
    }

    private static Dictionary<string, DomainProfile> Collect(List<string> domains, Task<DomainProfile>?[] lookups, TimeSpan budget, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, DomainProfile>(domains.Count, StringComparer.Ordinal);
        for (var i = 0; i < domains.Count; i++)
        {
            var domain = domains[i];
            var lookup = lookups[i];
            if (lookup is { Status: TaskStatus.RanToCompletion })
            {
                result[domain] = lookup.Result;
            }
            else if (lookup is { IsFaulted: true } && lookup.Exception!.GetBaseException() is var error && error is not OperationCanceledException)
            {
                result[domain] = DomainProfile.TemporaryFailure(domain, TemporaryFailureKind.Lookup, "lookup failed: " + error.Message);
            }
            else
            {
                // Unfinished, or ended by the cancellation (the budget's or the caller's).
                var reason = cancellationToken.IsCancellationRequested
                    ? "lookup cancelled before it finished"
                    : string.Format(CultureInfo.InvariantCulture, "lookup did not finish within the {0:0} ms budget", budget.TotalMilliseconds);
                result[domain] = DomainProfile.TemporaryFailure(domain, TemporaryFailureKind.Timeout, reason);
            }
        }

        return result;
    }

    private Task Delay(TimeSpan budget, CancellationToken cancellationToken) =>
#if NETSTANDARD2_0
        time.Delay(budget, cancellationToken);
#else
        Task.Delay(budget, time, cancellationToken);
#endif

    /// <summary>One run of <see cref="StartLookups"/>.</summary>
    internal sealed class LookupRun
    {
        public LookupRun(Task<IReadOnlyDictionary<string, DomainProfile>> result, Task settled, IReadOnlyList<Task<DomainProfile>> lookups)
        {
            Result = result;
            Settled = settled;
            Lookups = lookups;
        }

        /// <summary>Gets the task <see cref="LookupAsync"/> returns.</summary>
        public Task<IReadOnlyDictionary<string, DomainProfile>> Result { get; }

        /// <summary>Gets a task that completes once every lookup ended, its faults were observed and the cancellation
        /// source was disposed.</summary>
        public Task Settled { get; }

        /// <summary>Gets the lookups, one per distinct domain in input order (none when none started).</summary>
        public IReadOnlyList<Task<DomainProfile>> Lookups { get; }
    }
}
