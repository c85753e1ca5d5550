using System;
using System.Collections.Generic;
using System.Globalization;
using LinkSecure.Core.Handling;
using Microsoft.Exchange.Data.Transport;

namespace LinkSecure.Exchange.Pipeline;

/// <summary>What a recipient's mark says about it.</summary>
internal enum MarkKind
{
    /// <summary>No mark, or one too old to trust (see <see cref="RecipientMarks.FreshFor"/>).</summary>
    None = 0,

    /// <summary>Delivered as is; nothing left to do (internal recipient, untagged with enforcement off, waiver).</summary>
    PassApplied = 1,

    /// <summary>The secure route was set on <c>OnResolvedMessage</c>.</summary>
    SecureApplied = 2,

    /// <summary>To receive the rewritten copy; the rewrite happens on <c>OnCategorizedMessage</c>.</summary>
    Downgrade = 3,

    /// <summary>Routed to the hold domain (no connector serves it): the recipient waits in the Unreachable queue.</summary>
    Held = 4,
}

/// <summary>One recipient's mark, read back.</summary>
internal readonly struct RecipientMark
{
    public RecipientMark(MarkKind kind, bool fresh, string? routingDomain, bool useOverrideQueue, string? tlsDomain)
    {
        Kind = kind;
        IsFresh = fresh;
        RoutingDomain = routingDomain;
        UseOverrideQueue = useOverrideQueue;
        TlsDomain = tlsDomain;
    }

    /// <summary>Gets the kind.</summary>
    public MarkKind Kind { get; }

    /// <summary>Gets a value indicating whether the mark was written in this categorisation pass.</summary>
    public bool IsFresh { get; }

    /// <summary>Gets the secure route's routing domain.</summary>
    public string? RoutingDomain { get; }

    /// <summary>Gets a value indicating whether the secure route queues by the override domain (smart host).</summary>
    public bool UseOverrideQueue { get; }

    /// <summary>Gets the secure route's TLS domain.</summary>
    public string? TlsDomain { get; }
}

/// <summary>
/// The marks that carry a decision from <c>OnResolvedMessage</c> to a forked copy and to the later events (docs/agent.md,
/// "Marks"). A mark holds the treatment, whether it was applied, what is needed to apply it again, and when it was
/// written: <c>OnResolvedMessage</c> trusts only marks of this pass (younger than <see cref="FreshFor"/>), so a mark
/// that survives a <c>Defer</c> (when Exchange does not revert property bags) is decided afresh on the retry. Values
/// are strings and integers only (the property bags accept simple serializable types; lab item).
/// </summary>
internal static class RecipientMarks
{
    /// <summary>The routing domain of the hold route: no connector may serve it (docs/agent.md, "Hold").</summary>
    public const string HoldRoutingDomain = "linksecure-hold.invalid";

    /// <summary>How long a mark counts as written in this pass. Re-entry after a fork and the later events of the same
    /// pass come within seconds; a retry after <c>Defer</c> comes after <c>defer.retryMinutes</c> (at least one minute).</summary>
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

    /// <summary>Reads a recipient's mark. Never throws: an unreadable bag reads as no mark.</summary>
    /// <param name="recipient">The recipient.</param>
    /// <param name="now">The current time.</param>
    /// <returns>The mark.</returns>
    public static RecipientMark Read(EnvelopeRecipient recipient, DateTimeOffset now)
    {
        try
        {
            var properties = recipient.Properties;
            if (properties is null || !properties.TryGetValue(KindKey, out var value) || value is not string text)
            {
                return default;
            }

            var kind = text switch
            {
                "pass" => MarkKind.PassApplied,
                "secure" => MarkKind.SecureApplied,
                "downgrade" => MarkKind.Downgrade,
                "hold" => MarkKind.Held,
                _ => MarkKind.None,
            };
            var fresh = properties.TryGetValue(WrittenKey, out var written) && written is string ticks
                && long.TryParse(ticks, NumberStyles.None, CultureInfo.InvariantCulture, out var t)
                && t <= now.UtcTicks + TimeSpan.TicksPerMinute
                && now.UtcTicks - t <= FreshFor.Ticks;
            return new RecipientMark(
                kind,
                fresh,
                GetString(properties, RoutingDomainKey),
                properties.TryGetValue(UseOverrideQueueKey, out var queue) && queue is int q && q == 1,
                GetString(properties, TlsDomainKey));
        }
#pragma warning disable CA1031 // A bag that cannot be read holds no usable mark: the recipient is decided (or deferred) afresh.
        catch (Exception)
#pragma warning restore CA1031
        {
            return default;
        }
    }

    /// <summary>Marks a recipient delivered as is.</summary>
    /// <param name="recipient">The recipient.</param>
    /// <param name="now">The current time.</param>
    public static void SetPass(EnvelopeRecipient recipient, DateTimeOffset now) => Write(recipient, "pass", now, null);

    /// <summary>Marks a recipient routed over the secure route.</summary>
    /// <param name="recipient">The recipient.</param>
    /// <param name="routingDomain">The routing domain.</param>
    /// <param name="useOverrideQueue">Whether the override queues by the routing domain.</param>
    /// <param name="tlsDomain">The TLS domain, if any.</param>
    /// <param name="now">The current time.</param>
    public static void SetSecure(EnvelopeRecipient recipient, string routingDomain, bool useOverrideQueue, string? tlsDomain, DateTimeOffset now) =>
        Write(recipient, "secure", now, properties =>
        {
            properties[RoutingDomainKey] = routingDomain;
            properties[UseOverrideQueueKey] = useOverrideQueue ? 1 : 0;
            if (tlsDomain is not null)
            {
                properties[TlsDomainKey] = tlsDomain;
            }
        });

    /// <summary>Marks a recipient for the rewritten copy, with the codes of the bounce to use if the rewrite is impossible.</summary>
    /// <param name="recipient">The recipient.</param>
    /// <param name="reply">The verdict's reply.</param>
    /// <param name="now">The current time.</param>
    public static void SetDowngrade(EnvelopeRecipient recipient, SmtpReply? reply, DateTimeOffset now) =>
        Write(recipient, "downgrade", now, properties =>
        {
            if (reply is not null)
            {
                properties[ReplyCodeKey] = reply.ReplyCode;
                properties[EnhancedCodeKey] = reply.EnhancedCode;
                properties[ReasonKey] = reply.Detail;
            }
        });

    /// <summary>Marks a recipient held (routed to <see cref="HoldRoutingDomain"/>).</summary>
    /// <param name="recipient">The recipient.</param>
    /// <param name="now">The current time.</param>
    public static void SetHeld(EnvelopeRecipient recipient, DateTimeOffset now) => Write(recipient, "hold", now, null);

    /// <summary>Reads the bounce codes stored with a downgrade mark.</summary>
    /// <param name="recipient">The recipient.</param>
    /// <param name="replyCode">The basic code, or <see langword="null"/>.</param>
    /// <param name="enhancedCode">The enhanced code, or <see langword="null"/>.</param>
    /// <param name="reason">The technical reason, or <see langword="null"/>.</param>
    public static void ReadDowngradeCodes(EnvelopeRecipient recipient, out string? replyCode, out string? enhancedCode, out string? reason)
    {
        replyCode = enhancedCode = reason = null;
        try
        {
            if (recipient.Properties is { } properties)
            {
                replyCode = GetString(properties, ReplyCodeKey);
                enhancedCode = GetString(properties, EnhancedCodeKey);
                reason = GetString(properties, ReasonKey);
            }
        }
#pragma warning disable CA1031 // Without the stored codes the bounce uses the defaults.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>Tells whether a mail item is a copy the agent already rewrote on this server.</summary>
    /// <param name="mailItem">The mail item.</param>
    /// <returns><see langword="true"/> for a rewritten copy.</returns>
    public static bool IsDowngraded(MailItem mailItem)
    {
        try
        {
            return mailItem.Properties is { } p && p.TryGetValue(DowngradedKey, out var value) && value is bool b && b;
        }
#pragma warning disable CA1031 // The marker header in the message says the same across servers.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    /// <summary>Marks a mail item as rewritten (besides the marker header in its content).</summary>
    /// <param name="mailItem">The mail item.</param>
    public static void SetDowngraded(MailItem mailItem)
    {
        var properties = mailItem.Properties;
        if (properties is not null)
        {
            properties[DowngradedKey] = true;
        }
    }

    /// <summary>Records on the mail item that <c>OnResolvedMessage</c> forked it (this is the first copy) or is about to
    /// remove recipients from it. <c>Defer</c> reverts an item to its committed contents (API reference aa567106) —
    /// for the first copy, all recipients at submission — so such a copy must never be deferred on a later event of the
    /// pass either. Written after the forks, so the clones (committed at the fork) do not carry it.</summary>
    /// <param name="mailItem">The mail item.</param>
    /// <param name="now">The current time.</param>
    public static void SetChanged(MailItem mailItem, DateTimeOffset now)
    {
        var properties = mailItem.Properties ?? throw new InvalidOperationException("The mail item has no property bag.");
        properties[ChangedKey] = now.UtcTicks.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Tells whether <c>OnResolvedMessage</c> of this pass forked the item or removed recipients from it. Never
    /// throws: an unreadable bag reads as changed (the stricter answer: no deferral).</summary>
    /// <param name="mailItem">The mail item.</param>
    /// <param name="now">The current time.</param>
    /// <returns><see langword="true"/> when the item must not be deferred.</returns>
    public static bool WasChanged(MailItem mailItem, DateTimeOffset now)
    {
        try
        {
            return mailItem.Properties is { } p && p.TryGetValue(ChangedKey, out var value) && value is string text
                && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var t)
                && now.UtcTicks - t <= TimeSpan.TicksPerHour;
        }
#pragma warning disable CA1031 // See the summary.
        catch (Exception)
#pragma warning restore CA1031
        {
            return true;
        }
    }

    private static void Write(EnvelopeRecipient recipient, string kind, DateTimeOffset now, Action<IDictionary<string, object>>? extra)
    {
        var properties = recipient.Properties ?? throw new InvalidOperationException("The recipient has no property bag.");
        properties.Remove(RoutingDomainKey);
        properties.Remove(UseOverrideQueueKey);
        properties.Remove(TlsDomainKey);
        properties.Remove(ReplyCodeKey);
        properties.Remove(EnhancedCodeKey);
        properties.Remove(ReasonKey);
        extra?.Invoke(properties);
        properties[WrittenKey] = now.UtcTicks.ToString(CultureInfo.InvariantCulture);
        properties[KindKey] = kind;
    }

    private static string? GetString(IDictionary<string, object> properties, string key) =>
        properties.TryGetValue(key, out var value) ? value as string : null;
}
