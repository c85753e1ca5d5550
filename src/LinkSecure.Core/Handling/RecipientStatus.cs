using System;
using System.Globalization;
using System.Text;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Handling;

/// <summary>The answer of a status query for one address: the agent's verdict when <see cref="State"/> is
/// <see cref="RecipientState.Ready"/>.</summary>
public sealed class RecipientStatus
{
    /// <summary>The longest evidence summary (<see cref="EvidenceSummary"/>).</summary>
    public const int MaxEvidenceLength = 200;

    internal RecipientStatus(string? address, string? domain, RecipientState state, RecipientVerdict? verdict, string? error, TimeSpan? profileAge, string? representative = null)
    {
        Address = address;
        this.representative = representative;
        Domain = domain;
        State = state;
        Verdict = verdict;
        Error = error;
        ProfileAge = profileAge;
    }

    // For a domain entry: the address the agent's decision was made for, which the sentence names as the domain.
    private readonly string? representative;

    /// <summary>Gets the address as given, trimmed; <see langword="null"/> for a domain entry (only the domain was sent).</summary>
    public string? Address { get; }

    /// <summary>Gets a value indicating whether the entry answers for a domain rather than an address.</summary>
    public bool IsDomainEntry => Address is null;

    /// <summary>Gets the normalised domain (IDNA A-label, lower case); <see langword="null"/> when the address is invalid.</summary>
    public string? Domain { get; }

    /// <summary>Gets the state.</summary>
    public RecipientState State { get; }

    /// <summary>Gets the verdict the agent's <see cref="MessageHandler"/> reached; <see langword="null"/> unless ready.</summary>
    public RecipientVerdict? Verdict { get; }

    /// <summary>Gets why the address is unusable, for <see cref="RecipientState.Error"/>.</summary>
    public string? Error { get; }

    /// <summary>Gets how long ago the domain's network profile was looked up by this process; <see langword="null"/> when
    /// no network profile was used (level 0, internal, an override, offline).</summary>
    public TimeSpan? ProfileAge { get; }

    /// <summary>Gets a value indicating whether the recipient is internal (<c>internalDomains</c>).</summary>
    public bool IsInternal => Verdict?.IsInternal ?? false;

    /// <summary>Gets the highest level the domain's profile proves; <see langword="null"/> when no profile was needed or
    /// the entry is not ready.</summary>
    public LinkSecurityLevel? DomainLevel => Verdict?.Decision.Profile is { } profile ? profile.Level : null;

    /// <summary>Gets the sentence a sender reads: the NDR's or DSN's explanation for Bounce, Defer and Downgrade, else why
    /// the message is fine (or why there is no answer yet).</summary>
    public string Sentence => representative is null || Domain is null ? AgentSentence : NameDomain(AgentSentence, representative, Domain);

    private string AgentSentence
    {
        get
        {
            switch (State)
            {
                case RecipientState.Error:
                    return (Address is null ? "This is not a domain" : "This is not an e-mail address") + " the link-security check can use: " + Error + ".";
                case RecipientState.Checking:
                    return "The security of the link to " + Domain + " is being checked.";
            }

            var decision = Verdict!.Decision;
            if (decision.UserExplanation is { Length: > 0 } explanation)
            {
                return explanation;
            }

            if (Verdict.Reply is { } reply)
            {
                return reply.Explanation;
            }

            if (decision.Kind == DecisionKind.Secure)
            {
                return string.Format(CultureInfo.InvariantCulture, "{0} proves level {1}; the message is delivered only over a link that enforces it.", Domain, (int)decision.Level);
            }

            if (Verdict.IsInternal)
            {
                return "Internal recipient: the message stays inside the organisation.";
            }

            return "Delivered as usual (" + decision.Reason + ").";
        }
    }

    /// <summary>Gets a short summary of the profile's evidence (at most <see cref="MaxEvidenceLength"/> characters);
    /// <see langword="null"/> without a profile.</summary>
    public string? EvidenceSummary
    {
        get
        {
            var profile = Verdict?.Decision.Profile;
            if (profile is null)
            {
                return null;
            }

            var text = profile.Status == Profiles.ProfileStatus.TemporaryFailure && profile.FailureReason is { } failure
                ? "temporary failure: " + failure
                : profile.DescribeEvidence();
            return text.Length <= MaxEvidenceLength ? text : text.Substring(0, MaxEvidenceLength - 1) + "\u2026";
        }
    }

    /// <inheritdoc />
    public override string ToString() => (Address ?? Domain) + ": " + State + (Verdict is { } v ? " " + v.Treatment : string.Empty);

    // The agent's sentence names the recipient it decided for; a domain entry's sentence names the domain instead.
    private static string NameDomain(string sentence, string address, string domain)
    {
        var text = new StringBuilder(sentence.Length);
        var start = 0;
        int at;
        while ((at = sentence.IndexOf(address, start, StringComparison.OrdinalIgnoreCase)) >= 0)
        {
            text.Append(sentence, start, at - start).Append(domain);
            start = at + address.Length;
        }

        return text.Append(sentence, start, sentence.Length - start).ToString();
    }
}
