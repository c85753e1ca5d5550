using System;
using System.Collections.Generic;
using System.Globalization;
using LinkSecure.Core.Decisions;
using Microsoft.Exchange.Data.Transport;

namespace LinkSecure.Exchange.Pipeline;

/// <summary>What the agent does with a recipient, recorded in the recipient's property bag.</summary>
internal enum Treatment
{
    /// <summary>Not decided yet.</summary>
    None = 0,

    /// <summary>Deliver as is.</summary>
    Pass = 1,

    /// <summary>Deliver over the secure route.</summary>
    Secure = 2,

    /// <summary>Deliver the rewritten (safe-part) copy.</summary>
    Downgrade = 3,

    /// <summary>Defer the copy.</summary>
    Defer = 4,
}

/// <summary>
/// The marks that make the handler idempotent across <c>Fork</c> re-entry (docs/agent.md, "Re-entry"): every
/// decided recipient carries its treatment and what is needed to apply it; a rewritten copy carries a flag.
/// Values are strings and integers only (the property bags accept simple serializable types).
/// </summary>
internal static class RecipientMarks
{
    public const string TreatmentKey = "LinkSecure.Treatment";
    public const string RoutingDomainKey = "LinkSecure.RoutingDomain";
    public const string UseOverrideQueueKey = "LinkSecure.UseOverrideQueue";
    public const string TlsDomainKey = "LinkSecure.TlsDomain";
    public const string ReplyCodeKey = "LinkSecure.ReplyCode";
    public const string EnhancedCodeKey = "LinkSecure.EnhancedCode";
    public const string ReasonKey = "LinkSecure.Reason";
    public const string RetrySecondsKey = "LinkSecure.RetrySeconds";
    public const string DowngradedKey = "LinkSecure.Downgraded";

    private static readonly string[] AllRecipientKeys =
    {
        TreatmentKey, RoutingDomainKey, UseOverrideQueueKey, TlsDomainKey, ReplyCodeKey, EnhancedCodeKey, ReasonKey, RetrySecondsKey,
    };

    /// <summary>Reads a recipient's treatment.</summary>
    /// <param name="recipient">The recipient.</param>
    /// <returns>The treatment; <see cref="Treatment.None"/> when undecided.</returns>
    public static Treatment GetTreatment(EnvelopeRecipient recipient)
    {
        var properties = recipient.Properties;
        if (properties is null || !properties.TryGetValue(TreatmentKey, out var value) || value is not string text)
        {
            return Treatment.None;
        }

        switch (text)
        {
            case "pass": return Treatment.Pass;
            case "secure": return Treatment.Secure;
            case "downgrade": return Treatment.Downgrade;
            case "defer": return Treatment.Defer;
            default: return Treatment.None;
        }
    }

    /// <summary>Records a decision on the recipient.</summary>
    /// <param name="recipient">The recipient.</param>
    /// <param name="decision">The decision (not a bounce: bounced recipients are removed at once).</param>
    /// <param name="useOverrideQueue">For a secure route: queue by the override domain (smart host) rather than the recipient domain.</param>
    public static void Set(EnvelopeRecipient recipient, RecipientDecision decision, bool useOverrideQueue)
    {
        var properties = recipient.Properties ?? throw new InvalidOperationException("The recipient has no property bag.");
        Clear(recipient);
        switch (decision.Kind)
        {
            case DecisionKind.Secure:
                properties[TreatmentKey] = "secure";
                properties[RoutingDomainKey] = decision.Route!.RoutingDomain;
                properties[UseOverrideQueueKey] = useOverrideQueue ? 1 : 0;
                if (decision.Route.TlsDomain is { } tlsDomain)
                {
                    properties[TlsDomainKey] = tlsDomain;
                }

                break;
            case DecisionKind.Downgrade:
                properties[TreatmentKey] = "downgrade";
                SetStatus(properties, decision);
                break;
            case DecisionKind.Defer:
                properties[TreatmentKey] = "defer";
                SetStatus(properties, decision);
                properties[RetrySecondsKey] = (int)Math.Max(1, Math.Min(int.MaxValue, (decision.RetryAfter ?? TimeSpan.FromMinutes(15)).TotalSeconds));
                break;
            default:
                properties[TreatmentKey] = "pass";
                break;
        }
    }

    /// <summary>Removes every mark from a recipient (before a deferral, so that the retry decides afresh).</summary>
    /// <param name="recipient">The recipient.</param>
    public static void Clear(EnvelopeRecipient recipient)
    {
        var properties = recipient.Properties;
        if (properties is null)
        {
            return;
        }

        foreach (var key in AllRecipientKeys)
        {
            properties.Remove(key);
        }
    }

    /// <summary>Reads a string mark.</summary>
    /// <param name="recipient">The recipient.</param>
    /// <param name="key">The key.</param>
    /// <returns>The value, or <see langword="null"/>.</returns>
    public static string? GetString(EnvelopeRecipient recipient, string key) =>
        recipient.Properties is { } p && p.TryGetValue(key, out var value) ? value as string : null;

    /// <summary>Reads an integer mark.</summary>
    /// <param name="recipient">The recipient.</param>
    /// <param name="key">The key.</param>
    /// <param name="fallback">The value when absent.</param>
    /// <returns>The value.</returns>
    public static int GetInt(EnvelopeRecipient recipient, string key, int fallback) =>
        recipient.Properties is { } p && p.TryGetValue(key, out var value) && value is int i ? i : fallback;

    /// <summary>Tells whether a mail item is a copy the agent already rewrote.</summary>
    /// <param name="mailItem">The mail item.</param>
    /// <returns><see langword="true"/> for a rewritten copy.</returns>
    public static bool IsDowngraded(MailItem mailItem) =>
        mailItem.Properties is { } p && p.TryGetValue(DowngradedKey, out var value) && value is bool b && b;

    /// <summary>Marks a mail item as rewritten.</summary>
    /// <param name="mailItem">The mail item.</param>
    public static void SetDowngraded(MailItem mailItem)
    {
        var properties = mailItem.Properties;
        if (properties is not null)
        {
            properties[DowngradedKey] = true;
        }
    }

    /// <summary>Tells whether any recipient carries a treatment (a copy re-entering after a fork).</summary>
    /// <param name="recipients">The recipients.</param>
    /// <returns><see langword="true"/> when at least one recipient is decided.</returns>
    public static bool AnyDecided(EnvelopeRecipientCollection recipients)
    {
        for (var i = 0; i < recipients.Count; i++)
        {
            if (GetTreatment(recipients[i]) != Treatment.None)
            {
                return true;
            }
        }

        return false;
    }

    private static void SetStatus(IDictionary<string, object> properties, RecipientDecision decision)
    {
        var code = decision.StatusCode ?? EnhancedStatusCode.RequiredLevelNotMet;
        properties[ReplyCodeKey] = code.ReplyCode;
        properties[EnhancedCodeKey] = code.Enhanced;
        properties[ReasonKey] = string.Format(CultureInfo.InvariantCulture, "{0}", decision.TechnicalDetail ?? decision.Reason);
    }
}
