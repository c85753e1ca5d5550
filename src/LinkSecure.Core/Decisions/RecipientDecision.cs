using System;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Decisions;

/// <summary>The decision for one recipient of one message, with everything a host needs to apply and log it.</summary>
public sealed class RecipientDecision
{
    private string? technicalDetail;

    internal RecipientDecision(DecisionKind kind, string recipient, string? domain, LinkSecurityRequest request, DomainProfile? profile, string reason)
    {
        Kind = kind;
        Recipient = recipient;
        Domain = domain;
        Request = request;
        Profile = profile;
        Reason = reason;
    }

    /// <summary>Gets what to do.</summary>
    public DecisionKind Kind { get; }

    /// <summary>Gets the recipient address.</summary>
    public string Recipient { get; }

    /// <summary>Gets the recipient's normalised domain; <see langword="null"/> when the address has none.</summary>
    public string? Domain { get; }

    /// <summary>Gets the message's request.</summary>
    public LinkSecurityRequest Request { get; }

    /// <summary>Gets the profile the decision was made from; <see langword="null"/> when none was needed.</summary>
    public DomainProfile? Profile { get; }

    /// <summary>Gets the domain's level (0 without a profile).</summary>
    public LinkSecurityLevel Level => Profile?.Level ?? LinkSecurityLevel.None;

    /// <summary>Gets a short reason for the log, e.g. "level 1 meets requested 1".</summary>
    public string Reason { get; }

    /// <summary>Gets the route for <see cref="DecisionKind.Secure"/>; otherwise <see langword="null"/>.</summary>
    public SecureRoute? Route { get; internal init; }

    /// <summary>Gets the status code for <see cref="DecisionKind.Bounce"/> and <see cref="DecisionKind.Defer"/>.</summary>
    public EnhancedStatusCode? StatusCode { get; internal init; }

    /// <summary>Gets a one-line explanation an end user understands (the DSN explanation).</summary>
    public string? UserExplanation { get; internal init; }

    /// <summary>Gets the technical detail for logs and the DSN diagnostic.</summary>
    /// <remarks>For <see cref="DecisionKind.Secure"/> it is built on first access, keeping the hot path free of string work.</remarks>
    public string? TechnicalDetail
    {
        get
        {
            if (technicalDetail is null && Kind == DecisionKind.Secure && Route is { } route)
            {
                technicalDetail = $"route {route}; {route.Note}; evidence: {Profile?.DescribeEvidence() ?? "none"}";
            }

            return technicalDetail;
        }

        internal init => technicalDetail = value;
    }

    /// <summary>Gets when to retry, for <see cref="DecisionKind.Defer"/>.</summary>
    public TimeSpan? RetryAfter { get; internal init; }

    /// <summary>Gets a value indicating whether the decision applies the request's fallback because deferral ran out.</summary>
    public bool DeferralExpired { get; internal init; }

    /// <inheritdoc />
    public override string ToString() => $"{Recipient}: {Kind} ({Reason})";
}
