using System;
using LinkSecure.Core.Decisions;

namespace LinkSecure.Core.Handling;

/// <summary>The verdict for one recipient of a message: the engine's decision, the treatment that applies it, and the
/// reply a host hands back for it.</summary>
public sealed class RecipientVerdict
{
    internal RecipientVerdict(int index, string? domain, bool isInternal, RecipientDecision decision, SmtpReply? reply, TimeSpan retryAfter)
    {
        Index = index;
        Domain = domain;
        IsInternal = isInternal;
        Decision = decision;
        Treatment = ToTreatment(decision.Kind);
        Reply = reply;
        RetryAfter = retryAfter;
    }

    /// <summary>Gets the recipient's position in the list the host passed in.</summary>
    public int Index { get; }

    /// <summary>Gets the recipient address.</summary>
    public string Address => Decision.Recipient;

    /// <summary>Gets the recipient's normalised domain; <see langword="null"/> when the address has none.</summary>
    public string? Domain { get; }

    /// <summary>Gets a value indicating whether the recipient is internal (the host's test or <c>internalDomains</c>).</summary>
    public bool IsInternal { get; }

    /// <summary>Gets the decision engine's decision, with its reason, profile, route and texts (for the log).</summary>
    public RecipientDecision Decision { get; }

    /// <summary>Gets the treatment.</summary>
    public Treatment Treatment { get; }

    /// <summary>Gets the reply: for <see cref="Treatment.Bounce"/> the permanent failure; for <see cref="Treatment.Defer"/>
    /// the transient one; for <see cref="Treatment.Downgrade"/> the bounce to use if the rewrite is impossible (prefer
    /// <see cref="MessageDecision.DowngradeImpossible"/>, which says why); otherwise <see langword="null"/>.</summary>
    public SmtpReply? Reply { get; }

    /// <summary>Gets when to retry, for <see cref="Treatment.Defer"/>; otherwise <see cref="TimeSpan.Zero"/>.</summary>
    public TimeSpan RetryAfter { get; }

    /// <inheritdoc />
    public override string ToString() => $"#{Index} {Address}: {Treatment} ({Decision.Reason})";

    private static Treatment ToTreatment(DecisionKind kind) => kind switch
    {
        DecisionKind.Secure => Treatment.Secure,
        DecisionKind.Bounce => Treatment.Bounce,
        DecisionKind.Downgrade => Treatment.Downgrade,
        DecisionKind.Defer => Treatment.Defer,
        _ => Treatment.Pass,
    };
}
