using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Handling;

/// <summary>
/// Decides a whole message: the request, the recipients with the host's internal-recipient test, and the message age
/// in; the verdicts grouped by treatment, with reply codes and texts, out. Every host (the Exchange agent,
/// <c>linksecure explain</c>) calls this type, so they decide alike.
/// </summary>
/// <remarks>
/// <para>A host with a transport thread it must not hold calls <see cref="NeedsProfiles"/> and
/// <see cref="FindMissingProfiles"/> there; when nothing is missing it calls <see cref="Decide"/> at once (no I/O, no
/// wait), otherwise it continues on <see cref="LookupAsync"/>'s task, which completes within the budget and never
/// faults, and decides there. Thread-safe.</para>
/// </remarks>
public sealed partial class MessageHandler
{
    private static readonly IReadOnlyList<string> NoDomains = Array.Empty<string>();

    private readonly DecisionEngine engine;
    private readonly ProfileResolver profiles;
    private readonly TimeProvider time;

    /// <summary>Creates a handler.</summary>
    /// <param name="engine">The decision engine (and with it the settings).</param>
    /// <param name="profiles">The profile resolver built from the same settings.</param>
    /// <param name="time">The clock of the lookup budget; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    public MessageHandler(DecisionEngine engine, ProfileResolver profiles, TimeProvider? time = null)
    {
        this.engine = engine ?? throw new ArgumentNullException(nameof(engine));
        this.profiles = profiles ?? throw new ArgumentNullException(nameof(profiles));
        this.time = time ?? TimeProvider.System;
    }

    private LinkSecureSettings Settings => engine.Settings;

    /// <summary>Tells whether deciding for this request needs domain profiles (<see cref="DecisionEngine.NeedsProfile"/>):
    /// tagged mail, and untagged mail under <c>enforceForAllMail</c>. When it is <see langword="false"/>, every recipient
    /// passes and a host leaves the message untouched.</summary>
    /// <param name="request">The message's request.</param>
    /// <returns><see langword="true"/> when profiles are needed.</returns>
    public bool NeedsProfiles(LinkSecurityRequest request) => engine.NeedsProfile(request ?? throw new ArgumentNullException(nameof(request)));

    /// <summary>
    /// The distinct normalised recipient domains that need a lookup: none when <see cref="NeedsProfiles"/> is false;
    /// otherwise the domains of recipients that are not internal and whose profile the resolver cannot settle without I/O
    /// (<see cref="ProfileResolver.TryResolveCached"/>). Never blocks.
    /// </summary>
    /// <param name="request">The message's request.</param>
    /// <param name="recipients">The recipients.</param>
    /// <returns>The domains, in first-seen order; empty when every profile is at hand.</returns>
    public IReadOnlyList<string> FindMissingProfiles(LinkSecurityRequest request, IReadOnlyList<MessageRecipient> recipients)
    {
        if (recipients is null)
        {
            throw new ArgumentNullException(nameof(recipients));
        }

        if (!NeedsProfiles(request))
        {
            return NoDomains;
        }

        List<string>? missing = null;
        for (var i = 0; i < recipients.Count; i++)
        {
            var recipient = recipients[i];
            if (!DomainName.TryGetAddressDomain(recipient.Address, out var domain) || IsInternal(recipient, domain)
                || (missing is not null && missing.Contains(domain)) || profiles.TryResolveCached(domain, out _))
            {
                continue;
            }

            (missing ??= new List<string>()).Add(domain);
        }

        return missing ?? NoDomains;
    }

    /// <summary>
    /// Decides every recipient. The profile of a recipient's domain comes from <paramref name="fetched"/>, else the
    /// resolver's cache, else — when profiles are needed — it is a temporary failure ("profile not cached and no lookup
    /// was made"), which defers. An unknown age is passed to the engine as zero, so it never expires a deferral into the
    /// fallback. No I/O apart from the cache read; never blocks.
    /// </summary>
    /// <param name="request">The message's request.</param>
    /// <param name="recipients">The recipients.</param>
    /// <param name="fetched">Profiles from <see cref="LookupAsync"/>; may be <see langword="null"/>.</param>
    /// <param name="age">The message's age (for <c>defer.maxDeferMinutes</c>).</param>
    /// <returns>The decision.</returns>
    public MessageDecision Decide(LinkSecurityRequest request, IReadOnlyList<MessageRecipient> recipients, IReadOnlyDictionary<string, DomainProfile>? fetched, MessageAge age)
    {
        if (request is null)
        {
            throw new ArgumentNullException(nameof(request));
        }

        if (recipients is null)
        {
            throw new ArgumentNullException(nameof(recipients));
        }

        var needsProfiles = engine.NeedsProfile(request);
        var verdicts = new RecipientVerdict[recipients.Count];
        List<string>? unresolved = null;
        for (var i = 0; i < verdicts.Length; i++)
        {
            var recipient = recipients[i];
            DomainName.TryGetAddressDomain(recipient.Address, out var domain);
            var isInternal = IsInternal(recipient, domain);
            DomainProfile? profile = null;
            if (needsProfiles && !isInternal && domain is not null
                && !(fetched is not null && fetched.TryGetValue(domain, out profile)) && !profiles.TryResolveCached(domain, out profile))
            {
                profile = DomainProfile.TemporaryFailure(domain, TemporaryFailureKind.Lookup, "profile not cached and no lookup was made");
                if (fetched is null && !(unresolved ??= new List<string>()).Contains(domain))
                {
                    // Cached when the host asked FindMissingProfiles, expired since (review T3-9): the host may look it up.
                    unresolved.Add(domain);
                }
            }

            var decision = engine.Decide(request, recipient.Address, profile, age.Value, isInternal);
            verdicts[i] = Verdict(i, domain, isInternal, decision);
        }

        return new MessageDecision(request, verdicts, Settings.Defer.RetryAfter) { Unresolved = unresolved ?? (IReadOnlyList<string>)Array.Empty<string>() };
    }

    /// <summary><see cref="FindMissingProfiles"/>, <see cref="LookupAsync"/> and <see cref="Decide"/> in one call (the
    /// CLI's <c>explain</c>).</summary>
    /// <param name="request">The message's request.</param>
    /// <param name="recipients">The recipients.</param>
    /// <param name="age">The message's age.</param>
    /// <param name="budget">The time budget of the lookups.</param>
    /// <param name="cancellationToken">Ends the lookups early; unfinished ones count as timed out.</param>
    /// <returns>The decision.</returns>
    public async Task<MessageDecision> DecideAsync(LinkSecurityRequest request, IReadOnlyList<MessageRecipient> recipients, MessageAge age, TimeSpan budget, CancellationToken cancellationToken = default)
    {
        var missing = FindMissingProfiles(request, recipients);
        var fetched = missing.Count == 0 ? null : await LookupAsync(missing, budget, cancellationToken).ConfigureAwait(false);
        return Decide(request, recipients, fetched, age);
    }

    /// <summary>
    /// The decision after an internal error (the host could not read, decide or apply). Untagged or waived mail: every
    /// recipient passes (untagged mail is never held). Tagged mail: internal recipients pass; every other recipient is
    /// deferred with 451 4.3.0 (RFC 3463 §3.4) while the age is unknown or below <c>defer.maxDeferMinutes</c>, and once
    /// the age reached it, bounced with 550 5.3.0 ("could not be processed safely"), so an error that repeats on every
    /// retry does not hold the message until the host's own expiry.
    /// </summary>
    /// <param name="request">The message's request (<see cref="LinkSecurityRequest.None"/> when it could not be read and
    /// no request header was seen).</param>
    /// <param name="recipients">The recipients.</param>
    /// <param name="age">The message's age.</param>
    /// <param name="what">What failed, for the diagnostic and the log.</param>
    /// <returns>The decision; its <see cref="MessageDecision.RetryAfter"/> is <c>defer.retryMinutes</c>.</returns>
    public MessageDecision FailSafe(LinkSecurityRequest request, IReadOnlyList<MessageRecipient> recipients, MessageAge age, string what)
    {
        if (request is null)
        {
            throw new ArgumentNullException(nameof(request));
        }

        if (recipients is null)
        {
            throw new ArgumentNullException(nameof(recipients));
        }

        var error = SmtpReply.CleanStatusText(string.IsNullOrEmpty(what) ? "unknown error" : what);
        var tagged = request.IsRequested && !request.IsWaiver;
        var expired = age.IsKnown && age.Value >= Settings.Defer.MaxDefer;
        var retry = Settings.Defer.RetryAfter;
        var verdicts = new RecipientVerdict[recipients.Count];
        for (var i = 0; i < verdicts.Length; i++)
        {
            var recipient = recipients[i];
            var address = recipient.Address;
            DomainName.TryGetAddressDomain(address, out var domain);
            var isInternal = IsInternal(recipient, domain);
            RecipientDecision decision;
            SmtpReply? reply = null;
            if (!tagged || isInternal)
            {
                var reason = !tagged ? "internal error (" + error + "); untagged mail passes" : "internal recipient";
                decision = new RecipientDecision(DecisionKind.Pass, address, domain, request, null, reason);
            }
            else if (!expired)
            {
                reply = ReplyTexts.FailSafeDefer(address, error);
                decision = new RecipientDecision(DecisionKind.Defer, address, domain, request, null, "internal error: " + error)
                {
                    StatusCode = EnhancedStatusCode.SystemErrorTransient,
                    RetryAfter = retry,
                    UserExplanation = reply.Explanation,
                    TechnicalDetail = reply.Detail,
                };
            }
            else
            {
                reply = ReplyTexts.FailSafeBounce(address, error, age, Settings.Defer.MaxDefer);
                decision = new RecipientDecision(DecisionKind.Bounce, address, domain, request, null, "internal error past the deferral limit: " + error)
                {
                    StatusCode = EnhancedStatusCode.SystemErrorPermanent,
                    UserExplanation = reply.Explanation,
                    TechnicalDetail = reply.Detail,
                    DeferralExpired = true,
                };
            }

            verdicts[i] = new RecipientVerdict(i, domain, isInternal, decision, reply, decision.Kind == DecisionKind.Defer ? retry : TimeSpan.Zero);
        }

        return new MessageDecision(request, verdicts, retry);
    }

    private bool IsInternal(MessageRecipient recipient, string? domain) =>
        recipient.HostSaysInternal || (domain is not null && Settings.IsInternalDomain(domain));

    private RecipientVerdict Verdict(int index, string? domain, bool isInternal, RecipientDecision decision)
    {
        SmtpReply? reply = decision.Kind switch
        {
            DecisionKind.Bounce => ReplyTexts.Bounce(decision),
            DecisionKind.Defer => ReplyTexts.Defer(decision),
            DecisionKind.Downgrade => ReplyTexts.DowngradeImpossible(decision, null, null),
            _ => null,
        };
        var retry = decision.Kind == DecisionKind.Defer ? decision.RetryAfter ?? Settings.Defer.RetryAfter : TimeSpan.Zero;
        return new RecipientVerdict(index, domain, isInternal, decision, reply, retry);
    }
}
