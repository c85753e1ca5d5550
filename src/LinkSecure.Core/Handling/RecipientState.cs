namespace LinkSecure.Core.Handling;

/// <summary>Where the answer for one recipient of a status query stands (<see cref="RecipientStatusQuery"/>).</summary>
public enum RecipientState
{
    /// <summary>Decided: the decision is what the agent would decide now.</summary>
    Ready = 0,

    /// <summary>The domain's lookup did not finish within the query's budget; it goes on, and a later query answers from
    /// the cache.</summary>
    Checking = 1,

    /// <summary>The entry is not a usable e-mail address; <see cref="RecipientStatus.Error"/> says why.</summary>
    Error = 2,
}
