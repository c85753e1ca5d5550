using System;
using System.Globalization;
using System.Text;
using System.Threading;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Handling;

namespace LinkSecure.Cli.Serve;

/// <summary>
/// Aggregated counters of <c>linksecure serve</c> since start: no address, domain or requester, only totals (the
/// privacy rule of docs/serve.md). Logged when the service stops.
/// </summary>
internal sealed class ServeCounters
{
    private readonly long[] decisions = new long[Enum.GetValues<DecisionKind>().Length];
    private long queries;
    private long entries;
    private long checking;
    private long errors;
    private long badRequests;
    private long rateLimited;

    /// <summary>Gets the number of recipient queries answered with 200.</summary>
    public long Queries => Interlocked.Read(ref queries);

    /// <summary>Gets the number of entries answered.</summary>
    public long Entries => Interlocked.Read(ref entries);

    /// <summary>Gets the number of entries answered "checking".</summary>
    public long Checking => Interlocked.Read(ref checking);

    /// <summary>Gets the number of requests refused with 400.</summary>
    public long BadRequests => Interlocked.Read(ref badRequests);

    /// <summary>Gets the number of requests refused with 429.</summary>
    public long RateLimited => Interlocked.Read(ref rateLimited);

    /// <summary>Gets the number of entries answered with a decision of this kind.</summary>
    public long Decisions(DecisionKind kind) => Interlocked.Read(ref decisions[(int)kind]);

    public void CountQuery() => Interlocked.Increment(ref queries);

    public void CountBadRequest() => Interlocked.Increment(ref badRequests);

    public void CountRateLimited() => Interlocked.Increment(ref rateLimited);

    public void CountEntry(RecipientStatus status)
    {
        Interlocked.Increment(ref entries);
        switch (status.State)
        {
            case RecipientState.Checking:
                Interlocked.Increment(ref checking);
                break;
            case RecipientState.Error:
                Interlocked.Increment(ref errors);
                break;
            default:
                Interlocked.Increment(ref decisions[(int)status.Verdict!.Decision.Kind]);
                break;
        }
    }

    /// <summary>The counters on one line, <c>name=value</c> each.</summary>
    public string Format()
    {
        var text = new StringBuilder();
        text.Append("queries=").Append(Queries.ToString(CultureInfo.InvariantCulture));
        text.Append(" entries=").Append(Entries.ToString(CultureInfo.InvariantCulture));
        foreach (var kind in Enum.GetValues<DecisionKind>())
        {
            text.Append(' ').Append(kind.ToString().ToLowerInvariant()).Append('=').Append(Decisions(kind).ToString(CultureInfo.InvariantCulture));
        }

        text.Append(" checking=").Append(Checking.ToString(CultureInfo.InvariantCulture));
        text.Append(" invalid=").Append(Interlocked.Read(ref errors).ToString(CultureInfo.InvariantCulture));
        text.Append(" bad_requests=").Append(BadRequests.ToString(CultureInfo.InvariantCulture));
        text.Append(" rate_limited=").Append(RateLimited.ToString(CultureInfo.InvariantCulture));
        return text.ToString();
    }
}
