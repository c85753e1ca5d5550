using System;
using System.Globalization;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Decisions;

/// <summary>
/// Decides, for one recipient, whether to pass, force TLS, bounce, downgrade or defer (docs/protocol.md,
/// "Decisions"). Pure and thread-safe: it does no I/O; profiles come from a <see cref="ProfileResolver"/>.
/// </summary>
public sealed class DecisionEngine
{
    // Reasons of the hot (Secure) path, formatted once.
    private static readonly string[,] MeetsReasons = BuildMeetsReasons();
    private static readonly string[] EnforceForAllReasons =
        { "enforceForAllMail: domain is level 0", "enforceForAllMail: domain is level 1", "enforceForAllMail: domain is level 2", "enforceForAllMail: domain is level 3", "enforceForAllMail: domain is level 4" };

    /// <summary>Creates an engine.</summary>
    /// <param name="settings">The configuration.</param>
    public DecisionEngine(LinkSecureSettings settings)
    {
        Settings = settings ?? throw new ArgumentNullException(nameof(settings));
    }

    /// <summary>Gets the configuration.</summary>
    public LinkSecureSettings Settings { get; }

    /// <summary>
    /// Tells whether deciding for a recipient of a message with this request needs a domain profile. When it
    /// returns <see langword="false"/>, <see cref="Decide"/> can be called with a <see langword="null"/> profile.
    /// </summary>
    /// <param name="request">The message's request.</param>
    /// <returns><see langword="true"/> for tagged mail, and for untagged mail when <c>enforceForAllMail</c> is on.</returns>
    public bool NeedsProfile(LinkSecurityRequest request) =>
        request is not null && !request.IsWaiver && (request.IsRequested || Settings.EnforceForAllMail);

    /// <summary>Tells whether a recipient is internal: its domain is in the configured internal domains
    /// (<see cref="LinkSecureSettings.IsInternalDomain"/>: exact entries, and <c>*.</c> entries for subdomains).</summary>
    /// <param name="recipient">The address.</param>
    /// <returns><see langword="true"/> for internal recipients.</returns>
    public bool IsInternal(string recipient) =>
        DomainName.TryGetAddressDomain(recipient, out var domain) && Settings.IsInternalDomain(domain);

    /// <summary>Decides for one recipient.</summary>
    /// <param name="request">The message's request.</param>
    /// <param name="recipient">The recipient address.</param>
    /// <param name="profile">The recipient domain's profile; may be <see langword="null"/> when <see cref="NeedsProfile"/> is false.</param>
    /// <param name="messageAge">How long ago the message entered the organisation (for the deferral limit).</param>
    /// <param name="isInternal">Whether the host knows the recipient is internal (same organisation, accepted domain).</param>
    /// <returns>The decision.</returns>
    public RecipientDecision Decide(LinkSecurityRequest request, string recipient, DomainProfile? profile, TimeSpan messageAge, bool isInternal = false)
    {
        if (request is null)
        {
            throw new ArgumentNullException(nameof(request));
        }

        if (recipient is null)
        {
            throw new ArgumentNullException(nameof(recipient));
        }

        DomainName.TryGetAddressDomain(recipient, out var domain);
        if (isInternal || (domain is not null && Settings.IsInternalDomain(domain)))
        {
            return new RecipientDecision(DecisionKind.Pass, recipient, domain, request, null, "internal recipient");
        }

        if (request.IsWaiver)
        {
            // RFC 8689 §3: the sender asked relays to ignore recipient TLS policy.
            return new RecipientDecision(DecisionKind.Pass, recipient, domain, request, profile, "sender waived TLS policy (TLS-Required: No)");
        }

        if (!request.IsRequested)
        {
            return DecideUntagged(request, recipient, domain, profile);
        }

        if (domain is null)
        {
            return Fallback(request, recipient, null, profile, "recipient address has no domain", "no domain to look up", EnhancedStatusCode.RequiredLevelNotMet);
        }

        if (profile is null)
        {
            throw new ArgumentException("A tagged message needs the recipient domain's profile.", nameof(profile));
        }

        switch (profile.Status)
        {
            case ProfileStatus.TemporaryFailure:
                return DecideTemporaryFailure(request, recipient, domain, profile, messageAge);

            case ProfileStatus.NoMail:
                return new RecipientDecision(DecisionKind.Bounce, recipient, domain, request, profile, "null MX")
                {
                    StatusCode = EnhancedStatusCode.NullMx,
                    UserExplanation = $"The domain {domain} does not accept e-mail.",
                    TechnicalDetail = $"{domain} publishes a null MX (RFC 7505)",
                };
        }

        var level = profile.Level;
        if (level >= request.Level)
        {
            // Secure only over a route that enforces the evidence that justified the level (docs/protocol.md §5).
            var route = profile.Tls.RouteFor(Settings.Routing);
            if (route.Authenticates || Settings.Routing.AllowUnauthenticatedRoutes)
            {
                return new RecipientDecision(DecisionKind.Secure, recipient, domain, request, profile, MeetsReasons[(int)level, (int)request.Level])
                {
                    Route = route,
                };
            }

            return Unverifiable(request, recipient, domain, profile, level, route);
        }

        if (profile.TlsFailure is not null)
        {
            return Fallback(request, recipient, domain, profile, "TLS failure: " + profile.TlsFailure, profile.TlsFailure, EnhancedStatusCode.EncryptionNeeded);
        }

        var reason = Format("level {0} below requested {1}", level, request.Level);
        return Fallback(request, recipient, domain, profile, reason, reason + "; evidence: " + profile.DescribeEvidence(), EnhancedStatusCode.RequiredLevelNotMet);
    }

    private static string[,] BuildMeetsReasons()
    {
        var reasons = new string[5, 5];
        for (var have = 0; have < 5; have++)
        {
            for (var want = 0; want < 5; want++)
            {
                reasons[have, want] = string.Format(CultureInfo.InvariantCulture, "level {0} meets requested {1}", have, want);
            }
        }

        return reasons;
    }

    private static string Format(string format, LinkSecurityLevel a, LinkSecurityLevel b) =>
        string.Format(CultureInfo.InvariantCulture, format, (int)a, (int)b);

    private RecipientDecision DecideUntagged(LinkSecurityRequest request, string recipient, string? domain, DomainProfile? profile)
    {
        if (Settings.EnforceForAllMail && profile is { Status: ProfileStatus.Ok } && profile.Level >= LinkSecurityLevel.TransportSecure)
        {
            var route = profile.Tls.RouteFor(Settings.Routing);
            if (route.Authenticates || Settings.Routing.AllowUnauthenticatedRoutes)
            {
                return new RecipientDecision(DecisionKind.Secure, recipient, domain, request, profile, EnforceForAllReasons[(int)profile.Level])
                {
                    Route = route,
                };
            }
        }

        // Untagged mail is never bounced, deferred or altered: fail open.
        return new RecipientDecision(DecisionKind.Pass, recipient, domain, request, profile, "no link-security request");
    }

    private RecipientDecision DecideTemporaryFailure(LinkSecurityRequest request, string recipient, string domain, DomainProfile profile, TimeSpan messageAge)
    {
        var reason = profile.FailureReason ?? "lookup failed temporarily";
        if (messageAge < Settings.Defer.MaxDefer)
        {
            var code = profile.FailureKind is TemporaryFailureKind.Dnssec or TemporaryFailureKind.PolicyViolation ? EnhancedStatusCode.DnssecFailed : EnhancedStatusCode.LookupFailed;
            return new RecipientDecision(DecisionKind.Defer, recipient, domain, request, profile, "temporary failure: " + reason)
            {
                StatusCode = code,
                RetryAfter = Settings.Defer.RetryAfter,
                UserExplanation = $"Delivery to {domain} is delayed while its link security is checked; it will be retried.",
                TechnicalDetail = reason,
            };
        }

        var limit = string.Format(CultureInfo.InvariantCulture, "lookups kept failing for {0:0} minutes (limit {1:0}): {2}", messageAge.TotalMinutes, Settings.Defer.MaxDefer.TotalMinutes, reason);
        var decision = Fallback(request, recipient, domain, profile, "deferral limit reached", limit, EnhancedStatusCode.RequiredLevelNotMet);
        return new RecipientDecision(decision.Kind, recipient, domain, request, profile, decision.Reason)
        {
            StatusCode = decision.StatusCode,
            UserExplanation = decision.UserExplanation,
            TechnicalDetail = decision.TechnicalDetail,
            DeferralExpired = true,
        };
    }

    /// <summary>The domain has the level, but this server has no route that enforces the evidence behind it (DANE-only
    /// domains, MTA-STS names that no single Exchange TLS domain covers, no pinned names): the request's fallback
    /// applies, with a sender text saying the domain could not be verified from this server.</summary>
    private static RecipientDecision Unverifiable(LinkSecurityRequest request, string recipient, string domain, DomainProfile profile, LinkSecurityLevel level, SecureRoute route)
    {
        var reason = string.Format(CultureInfo.InvariantCulture, "level {0} evidence, but no route of this server enforces it", (int)level);
        var detail = string.Format(CultureInfo.InvariantCulture, "{0} is level {1} ({2}), but {3}; a route that authenticates the server is required (routing.allowUnauthenticatedRoutes is off)", domain, (int)level, profile.Tls, route.Note);
        var decision = Fallback(request, recipient, domain, profile, reason, detail, EnhancedStatusCode.RequiredLevelNotMet);
        if (decision.Kind != DecisionKind.Bounce)
        {
            return decision;
        }

        return new RecipientDecision(DecisionKind.Bounce, recipient, domain, request, profile, decision.Reason)
        {
            StatusCode = decision.StatusCode,
            UserExplanation = string.Format(CultureInfo.InvariantCulture, "Your message was not delivered to {0} because you asked for link-secure delivery (level {1}) and the mail servers of {2} could not be verified from this server.", recipient, (int)request.Level, domain),
            TechnicalDetail = decision.TechnicalDetail,
        };
    }

    private static RecipientDecision Fallback(LinkSecurityRequest request, string recipient, string? domain, DomainProfile? profile, string reason, string detail, EnhancedStatusCode code)
    {
        var target = domain ?? recipient;
        if (request.Fallback == FallbackAction.SafePart)
        {
            return new RecipientDecision(DecisionKind.Downgrade, recipient, domain, request, profile, reason + "; fallback=safe-part")
            {
                StatusCode = code,
                UserExplanation = $"Only the part of the message marked safe for insecure links was delivered to {recipient}.",
                TechnicalDetail = detail,
            };
        }

        var explanation = code == EnhancedStatusCode.EncryptionNeeded
            ? $"Your message was not delivered to {recipient} because a secure (encrypted and verified) connection to {target} could not be made, and you asked for link-secure delivery."
            : string.Format(CultureInfo.InvariantCulture, "Your message was not delivered to {0} because you asked for link-secure delivery (level {1}) and {2} is not known to protect e-mail in transit at that level.", recipient, (int)request.Level, target);
        return new RecipientDecision(DecisionKind.Bounce, recipient, domain, request, profile, reason + "; fallback=bounce")
        {
            StatusCode = code,
            UserExplanation = explanation,
            TechnicalDetail = detail,
        };
    }
}
