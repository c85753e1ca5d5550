using System;
using System.Globalization;
using LinkSecure.Core.Decisions;

namespace LinkSecure.Core.Handling;

/// <summary>
/// The texts of every reply the hosts hand back: what the sender reads in the DSN (plain words: no "TNEF", no "MIME",
/// no parser positions, no level arithmetic) and the technical <c>LinkSecure: …</c> diagnostic.
/// </summary>
internal static class ReplyTexts
{
    internal const string DetailPrefix = "LinkSecure: ";
    internal const string DeferDetailPrefix = "LinkSecure: delivery delayed while link security is checked: ";
    internal const string FailSafeDeferDetailPrefix = "LinkSecure could not process this message; delivery deferred: ";

    /// <summary>The bounce of a <see cref="DecisionKind.Bounce"/> decision: the engine's sender text and technical detail.</summary>
    public static SmtpReply Bounce(RecipientDecision decision) =>
        new(
            decision.StatusCode ?? EnhancedStatusCode.RequiredLevelNotMet,
            decision.UserExplanation ?? $"Your message was not delivered to {decision.Recipient} because you asked for link-secure delivery and it cannot be provided for this recipient.",
            DetailPrefix + Technical(decision));

    /// <summary>The transient reply of a <see cref="DecisionKind.Defer"/> decision (4.4.3, or 4.7.5 for DNSSEC and policy
    /// failures, RFC 3463 §3.5 and §3.8).</summary>
    public static SmtpReply Defer(RecipientDecision decision) =>
        new(
            decision.StatusCode ?? EnhancedStatusCode.LookupFailed,
            decision.UserExplanation ?? $"Delivery to {decision.Recipient} is delayed while the link security of the recipient's mail servers is checked; it will be retried.",
            DeferDetailPrefix + Technical(decision));

    /// <summary>The bounce of a <see cref="DecisionKind.Downgrade"/> recipient whose rewrite is impossible.</summary>
    public static SmtpReply DowngradeImpossible(RecipientDecision decision, DowngradeFailure? failure, string? detail) =>
        DowngradeImpossible(decision.Recipient, decision.StatusCode ?? EnhancedStatusCode.RequiredLevelNotMet, Technical(decision), failure, detail);

    /// <summary>The bounce of a downgrade recipient whose rewrite is impossible, from its codes and technical reason.</summary>
    public static SmtpReply DowngradeImpossible(string recipient, EnhancedStatusCode code, string? reason, DowngradeFailure? failure, string? detail)
    {
        var why = failure switch
        {
            DowngradeFailure.NoSafePart => "no part of it was marked as safe to send without that protection",
            DowngradeFailure.Malformed => "its content could not be read, so no copy without the protected parts could be made",
            DowngradeFailure.TooLarge => "it is too large for a copy without the protected parts to be made",
            DowngradeFailure.NotMime => "it was sent in a format from which this server cannot take out the protected parts",
            DowngradeFailure.RewriteFailed => "the copy without the protected parts could not be prepared",
            _ => "no copy that may travel without that protection could be made",
        };
        var technical = failure switch
        {
            DowngradeFailure.NoSafePart => "no part marked safe for insecure links and no notice template",
            DowngradeFailure.Malformed => "the message could not be parsed",
            DowngradeFailure.TooLarge => "the message is too large to rewrite",
            DowngradeFailure.NotMime => "the content is not MIME here (TNEF)",
            DowngradeFailure.RewriteFailed => "the rewrite failed",
            _ => "if the rewrite is impossible",
        };
        return new SmtpReply(
            code,
            $"Your message was not delivered to {recipient} because no link-secure connection to this recipient is available and {why}.",
            DetailPrefix + (reason ?? "link security not available") + "; downgrade impossible: " + technical + (string.IsNullOrEmpty(detail) ? string.Empty : " (" + detail + ")"));
    }

    /// <summary>The deferral after an internal error (RFC 3463 §3.4, 4.3.0).</summary>
    public static SmtpReply FailSafeDefer(string recipient, string what) =>
        new(
            EnhancedStatusCode.SystemErrorTransient,
            $"Delivery to {recipient} is delayed because this server could not check the link security of your message; it will be retried.",
            FailSafeDeferDetailPrefix + what);

    /// <summary>The bounce after an internal error that outlasted <c>defer.maxDeferMinutes</c> (RFC 3463 §3.4, 5.3.0).</summary>
    public static SmtpReply FailSafeBounce(string recipient, string what, MessageAge age, TimeSpan maxDefer) =>
        new(
            EnhancedStatusCode.SystemErrorPermanent,
            $"Your message was not delivered to {recipient} because it could not be processed safely. Please send it again later, or contact your administrator if this keeps happening.",
            string.Format(CultureInfo.InvariantCulture, "{0}the message could not be processed safely: {1}; message age {2} (limit {3:0} min)", DetailPrefix, what, age, maxDefer.TotalMinutes));

    private static string Technical(RecipientDecision decision) => decision.TechnicalDetail ?? decision.Reason;
}
