using System;
using LinkSecure.Core.Handling;
using Microsoft.Exchange.Data.Transport;

namespace LinkSecure.Exchange.Pipeline;

/// <summary>
/// The core's <see cref="HostMarks"/> on Exchange's property bags (<c>EnvelopeRecipient.Properties</c>,
/// <c>MailItem.Properties</c>; value types and survival across events and forks are lab items). Reads never throw: a bag
/// that cannot be read holds no usable mark (the recipient is decided, or deferred, afresh) or, for the changed flag,
/// reads as changed (no deferral).
/// </summary>
internal static class RecipientMarks
{
    /// <summary>The routing domain of the hold route: no connector may serve it (docs/agent.md, "Hold").</summary>
    public const string HoldRoutingDomain = "linksecure-hold.invalid";

    public static RecipientMark Read(EnvelopeRecipient recipient, DateTimeOffset now) => Safe(() => HostMarks.Read(recipient.Properties, now), default);

    public static void Set(EnvelopeRecipient recipient, MarkKind kind, DateTimeOffset now, string? routingDomain = null, bool useOverrideQueue = false, string? tlsDomain = null, SmtpReply? reply = null) =>
        HostMarks.Write(recipient.Properties ?? throw new InvalidOperationException("The recipient has no property bag."), kind, now, routingDomain, useOverrideQueue, tlsDomain, reply);

    public static bool IsDowngraded(MailItem mailItem)
    {
        // Explicit, not through Safe: this runs for every message, and a closure would allocate.
        try
        {
            return HostMarks.IsDowngraded(mailItem.Properties);
        }
#pragma warning disable CA1031 // See the class summary.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    public static void SetDowngraded(MailItem mailItem) => HostMarks.SetDowngraded(mailItem.Properties ?? throw new InvalidOperationException("The mail item has no property bag."));

    public static void SetChanged(MailItem mailItem, DateTimeOffset now) => HostMarks.SetChanged(mailItem.Properties ?? throw new InvalidOperationException("The mail item has no property bag."), now);

    public static bool WasChanged(MailItem mailItem, DateTimeOffset now) => Safe(() => HostMarks.WasChanged(mailItem.Properties, now), true);

    private static T Safe<T>(Func<T> read, T fallback)
    {
        try
        {
            return read();
        }
#pragma warning disable CA1031 // See the class summary.
        catch (Exception)
#pragma warning restore CA1031
        {
            return fallback;
        }
    }
}
