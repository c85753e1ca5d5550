using System;
using System.Collections.Generic;
using System.Globalization;

namespace LinkSecure.Core.Handling;

/// <summary>What a recipient's mark says about it.</summary>
public enum MarkKind
{
    /// <summary>No mark.</summary>
    None = 0,

    /// <summary>Delivered as is; nothing left to do (internal recipient, waiver, untagged under enforcement).</summary>
    PassApplied = 1,

    /// <summary>The secure route was set.</summary>
    SecureApplied = 2,

    /// <summary>To receive the rewritten copy; the rewrite happens later.</summary>
    Downgrade = 3,

    /// <summary>Routed to a hold route no connector serves: the recipient waits until the message expires.</summary>
    Held = 4,
}

/// <summary>One recipient's mark, read back from a host's property bag.</summary>
public readonly struct RecipientMark
{
    internal RecipientMark(MarkKind kind, bool fresh, IDictionary<string, object> bag)
    {
        Kind = kind;
        IsFresh = fresh;
        RoutingDomain = HostMarks.GetString(bag, HostMarks.RoutingDomainKey);
        UseOverrideQueue = bag.TryGetValue(HostMarks.UseOverrideQueueKey, out var queue) && queue is int q && q == 1;
        TlsDomain = HostMarks.GetString(bag, HostMarks.TlsDomainKey);
        ReplyCode = HostMarks.GetString(bag, HostMarks.ReplyCodeKey);
        EnhancedCode = HostMarks.GetString(bag, HostMarks.EnhancedCodeKey);
        Reason = HostMarks.GetString(bag, HostMarks.ReasonKey);
    }

    /// <summary>Gets the kind.</summary>
    public MarkKind Kind { get; }

    /// <summary>Gets a value indicating whether the mark was written within <see cref="HostMarks.FreshFor"/> (this pass).</summary>
    public bool IsFresh { get; }

    /// <summary>Gets the secure route's routing domain.</summary>
    public string? RoutingDomain { get; }

    /// <summary>Gets a value indicating whether the secure route queues by the override domain (smart host).</summary>
    public bool UseOverrideQueue { get; }

    /// <summary>Gets the secure route's TLS domain.</summary>
    public string? TlsDomain { get; }

    /// <summary>Gets the basic code stored with a downgrade, for the bounce if the rewrite is impossible.</summary>
    public string? ReplyCode { get; }

    /// <summary>Gets the enhanced code stored with a downgrade.</summary>
    public string? EnhancedCode { get; }

    /// <summary>Gets the technical reason stored with a downgrade.</summary>
    public string? Reason { get; }
}

/// <summary>
/// The marks a host carries in its per-recipient and per-message property bags between the events of one pass
/// (docs/agent.md, "Marks"): the treatment, whether it was applied, what is needed to apply it again, and when it was
/// written. A host trusts a recipient mark for deciding only while it is fresh (<see cref="FreshFor"/>), so a mark that
/// outlives a deferral (a bag the host did not revert) is decided afresh. Values are strings, integers and booleans only.
/// </summary>
public static class HostMarks
{
    /// <summary>How long a mark counts as written in this pass: re-entry after a fork and the later events of a pass come
    /// within seconds; a retry after a deferral comes after <c>defer.retryMinutes</c> (at least one minute).</summary>
    public static readonly TimeSpan FreshFor = TimeSpan.FromSeconds(30);

    internal const string KindKey = "LinkSecure.Mark";
    internal const string WrittenKey = "LinkSecure.MarkedAt";
    internal const string RoutingDomainKey = "LinkSecure.RoutingDomain";
    internal const string UseOverrideQueueKey = "LinkSecure.UseOverrideQueue";
    internal const string TlsDomainKey = "LinkSecure.TlsDomain";
    internal const string ReplyCodeKey = "LinkSecure.ReplyCode";
    internal const string EnhancedCodeKey = "LinkSecure.EnhancedCode";
    internal const string ReasonKey = "LinkSecure.Reason";
    internal const string DowngradedKey = "LinkSecure.Downgraded";
    internal const string ChangedKey = "LinkSecure.ChangedAt";

    private static readonly string[] Kinds = { string.Empty, "pass", "secure", "downgrade", "hold" };

    /// <summary>Reads a recipient's mark.</summary>
    /// <param name="bag">The recipient's property bag; <see langword="null"/> reads as no mark.</param>
    /// <param name="now">The current time.</param>
    /// <returns>The mark.</returns>
    public static RecipientMark Read(IDictionary<string, object>? bag, DateTimeOffset now)
    {
        var index = bag is not null && bag.TryGetValue(KindKey, out var value) && value is string text ? Array.IndexOf(Kinds, text) : -1;
        return index <= 0 ? default : new RecipientMark((MarkKind)index, IsWithin(bag!, WrittenKey, now, FreshFor), bag!);
    }

    /// <summary>Writes a mark, replacing any earlier one.</summary>
    /// <param name="bag">The recipient's property bag.</param>
    /// <param name="kind">The kind (not <see cref="MarkKind.None"/>).</param>
    /// <param name="now">The current time.</param>
    /// <param name="routingDomain">For <see cref="MarkKind.SecureApplied"/>: the routing domain.</param>
    /// <param name="useOverrideQueue">For <see cref="MarkKind.SecureApplied"/>: whether the override queues by the routing domain.</param>
    /// <param name="tlsDomain">For <see cref="MarkKind.SecureApplied"/>: the TLS domain, if any.</param>
    /// <param name="reply">For <see cref="MarkKind.Downgrade"/>: the bounce to use if the rewrite is impossible.</param>
    public static void Write(IDictionary<string, object> bag, MarkKind kind, DateTimeOffset now, string? routingDomain = null, bool useOverrideQueue = false, string? tlsDomain = null, SmtpReply? reply = null)
    {
        if (bag is null)
        {
            throw new ArgumentNullException(nameof(bag));
        }

        foreach (var key in new[] { RoutingDomainKey, UseOverrideQueueKey, TlsDomainKey, ReplyCodeKey, EnhancedCodeKey, ReasonKey })
        {
            bag.Remove(key);
        }

        if (routingDomain is not null)
        {
            bag[RoutingDomainKey] = routingDomain;
            bag[UseOverrideQueueKey] = useOverrideQueue ? 1 : 0;
        }

        if (tlsDomain is not null)
        {
            bag[TlsDomainKey] = tlsDomain;
        }

        if (reply is not null)
        {
            bag[ReplyCodeKey] = reply.ReplyCode;
            bag[EnhancedCodeKey] = reply.EnhancedCode;
            bag[ReasonKey] = reply.Detail;
        }

        bag[WrittenKey] = Ticks(now);
        bag[KindKey] = Kinds[(int)kind];
    }

    /// <summary>Tells whether a message's bag says it is a rewritten copy.</summary>
    /// <param name="bag">The message's property bag.</param>
    /// <returns><see langword="true"/> for a rewritten copy.</returns>
    public static bool IsDowngraded(IDictionary<string, object>? bag) => bag is not null && bag.TryGetValue(DowngradedKey, out var value) && value is true;

    /// <summary>Marks a message's bag as a rewritten copy.</summary>
    /// <param name="bag">The message's property bag.</param>
    public static void SetDowngraded(IDictionary<string, object> bag) => (bag ?? throw new ArgumentNullException(nameof(bag)))[DowngradedKey] = true;

    /// <summary>Records that the first event of the pass forked the copy or removed recipients from it, so that no later
    /// event defers it (a deferral reverts the copy to what was committed: for a first copy, every recipient).</summary>
    /// <param name="bag">The message's property bag.</param>
    /// <param name="now">The current time.</param>
    public static void SetChanged(IDictionary<string, object> bag, DateTimeOffset now) => (bag ?? throw new ArgumentNullException(nameof(bag)))[ChangedKey] = Ticks(now);

    /// <summary>Tells whether <see cref="SetChanged"/> was written within the last hour (this pass).</summary>
    /// <param name="bag">The message's property bag.</param>
    /// <param name="now">The current time.</param>
    /// <returns><see langword="true"/> when the copy must not be deferred.</returns>
    public static bool WasChanged(IDictionary<string, object>? bag, DateTimeOffset now) => bag is not null && IsWithin(bag, ChangedKey, now, TimeSpan.FromHours(1));

    internal static string? GetString(IDictionary<string, object> bag, string key) => bag.TryGetValue(key, out var value) ? value as string : null;

    private static string Ticks(DateTimeOffset now) => now.UtcTicks.ToString(CultureInfo.InvariantCulture);

    private static bool IsWithin(IDictionary<string, object> bag, string key, DateTimeOffset now, TimeSpan window) =>
        bag.TryGetValue(key, out var value) && value is string text
        && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
        && ticks <= now.UtcTicks + TimeSpan.TicksPerMinute
        && now.UtcTicks - ticks <= window.Ticks;
}
