using System;
using System.Collections.Generic;
using System.Globalization;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Handling;

/// <summary>
/// The decisions for every recipient of one message, grouped by treatment, with the replies a host needs: one copy
/// per group (<see cref="Deliver"/>, <see cref="Downgrade"/>, <see cref="Defer"/>) and a DSN per bounce.
/// </summary>
public sealed class MessageDecision
{
    internal MessageDecision(LinkSecurityRequest request, IReadOnlyList<RecipientVerdict> recipients, TimeSpan defaultRetry)
    {
        Request = request;
        Recipients = recipients;
        var deliver = new List<RecipientVerdict>();
        var bounce = new List<RecipientVerdict>();
        var downgrade = new List<RecipientVerdict>();
        var defer = new List<RecipientVerdict>();
        var retry = TimeSpan.MaxValue;
        foreach (var verdict in recipients)
        {
            switch (verdict.Treatment)
            {
                case Treatment.Bounce:
                    bounce.Add(verdict);
                    break;
                case Treatment.Downgrade:
                    downgrade.Add(verdict);
                    break;
                case Treatment.Defer:
                    defer.Add(verdict);
                    retry = verdict.RetryAfter < retry ? verdict.RetryAfter : retry;
                    break;
                default:
                    deliver.Add(verdict);
                    break;
            }
        }

        Deliver = deliver;
        Bounce = bounce;
        Downgrade = downgrade;
        Defer = defer;
        RetryAfter = defer.Count > 0 ? retry : defaultRetry;
        DeferReply = defer.Count > 0 ? defer[0].Reply : null;
        DowngradeReason = DowngradeReasonFor(request);
    }

    /// <summary>Gets the message's request.</summary>
    public LinkSecurityRequest Request { get; }

    /// <summary>Gets every recipient's verdict, in input order.</summary>
    public IReadOnlyList<RecipientVerdict> Recipients { get; }

    /// <summary>Gets the recipients to deliver (<see cref="Treatment.Pass"/> and <see cref="Treatment.Secure"/>), in input order.</summary>
    public IReadOnlyList<RecipientVerdict> Deliver { get; }

    /// <summary>Gets the recipients to bounce, each with its <see cref="RecipientVerdict.Reply"/>, in input order.</summary>
    public IReadOnlyList<RecipientVerdict> Bounce { get; }

    /// <summary>Gets the recipients of the downgraded copy, in input order.</summary>
    public IReadOnlyList<RecipientVerdict> Downgrade { get; }

    /// <summary>Gets the recipients to defer, in input order.</summary>
    public IReadOnlyList<RecipientVerdict> Defer { get; }

    /// <summary>Gets when to retry the deferred copy: the shortest <see cref="RecipientVerdict.RetryAfter"/> of
    /// <see cref="Defer"/>, or <c>defer.retryMinutes</c> when nothing is deferred.</summary>
    public TimeSpan RetryAfter { get; }

    /// <summary>Gets the one transient reply for the deferred copy (the first deferred recipient's codes and reason:
    /// <c>LinkSecure: delivery delayed while link security is checked: …</c>); <see langword="null"/> when nothing is deferred.</summary>
    public SmtpReply? DeferReply { get; }

    /// <summary>Gets the domains that had no profile when a decision without lookups was made (<c>fetched</c> was
    /// <see langword="null"/>): cached when the host asked <see cref="MessageHandler.FindMissingProfiles"/>, expired since
    /// (review T3-9). Their recipients are deferred; a host may instead look them up and decide again.</summary>
    public IReadOnlyList<string> Unresolved { get; internal init; } = Array.Empty<string>();

    /// <summary>Gets the reason the rewrite records in the downgraded copy (trace header).</summary>
    public string DowngradeReason { get; }

    /// <summary>
    /// The bounce for a downgrade recipient whose rewrite is impossible: the verdict's codes (5.7.30, or 5.7.10 for a
    /// TLS failure; RFC 8689 §7), an explanation in plain words that says why, and the technical
    /// <paramref name="detail"/> (a parser message, a size) in <see cref="SmtpReply.Detail"/> only.
    /// </summary>
    /// <param name="verdict">A <see cref="Treatment.Downgrade"/> verdict.</param>
    /// <param name="failure">Why the rewrite is impossible.</param>
    /// <param name="detail">Technical detail for the diagnostic; may be <see langword="null"/>.</param>
    /// <returns>The permanent reply.</returns>
    /// <exception cref="ArgumentException"><paramref name="verdict"/> is not a downgrade.</exception>
    public static SmtpReply DowngradeImpossible(RecipientVerdict verdict, DowngradeFailure failure, string? detail)
    {
        if (verdict is null)
        {
            throw new ArgumentNullException(nameof(verdict));
        }

        if (verdict.Treatment != Treatment.Downgrade)
        {
            throw new ArgumentException("Only a downgrade verdict has a downgrade that can be impossible.", nameof(verdict));
        }

        return ReplyTexts.DowngradeImpossible(verdict.Decision, failure, detail);
    }

    /// <summary>The trace reason a rewrite for this request records (<c>Link-Security-Downgraded</c>).</summary>
    /// <param name="request">The request.</param>
    /// <returns>The reason.</returns>
    public static string DowngradeReasonFor(LinkSecurityRequest request) =>
        string.Format(CultureInfo.InvariantCulture, "link-security level {0} requested; the recipient's link is not known to meet it", (int)(request ?? throw new ArgumentNullException(nameof(request))).Level);
}
