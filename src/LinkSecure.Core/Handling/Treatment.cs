namespace LinkSecure.Core.Handling;

/// <summary>What a host does with one recipient's copy of a message; the groups of a <see cref="MessageDecision"/>.</summary>
public enum Treatment
{
    /// <summary>Deliver normally (no request, a waiver, or an internal recipient).</summary>
    Pass = 1,

    /// <summary>Deliver over the secure route of the decision (<see cref="Decisions.RecipientDecision.Route"/>).</summary>
    Secure = 2,

    /// <summary>Remove the recipient with a permanent DSN (<see cref="RecipientVerdict.Reply"/>).</summary>
    Bounce = 3,

    /// <summary>Deliver a rewritten copy (safe part or notice); when the rewrite is impossible, bounce with
    /// <see cref="MessageDecision.DowngradeImpossible"/>.</summary>
    Downgrade = 4,

    /// <summary>Try again later with a transient reply (<see cref="MessageDecision.DeferReply"/>).</summary>
    Defer = 5,
}
