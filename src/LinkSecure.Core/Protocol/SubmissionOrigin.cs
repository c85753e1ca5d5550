namespace LinkSecure.Core.Protocol;

/// <summary>Where a message entered the organisation, as the organisation's own transport recorded it
/// (see <see cref="InboundRequestFilter"/>).</summary>
public enum SubmissionOrigin
{
    /// <summary>No origin was recorded (no <c>X-MS-Exchange-Organization-AuthAs</c> field): neither proven internal
    /// nor proven outside.</summary>
    Unknown = 0,

    /// <summary>Submitted inside the organisation: by an authenticated user or an Exchange server of the organisation
    /// (<c>AuthAs: Internal</c>).</summary>
    Internal = 1,

    /// <summary>Arrived from outside the organisation: anonymously (<c>Anonymous</c>), from a partner (<c>Partner</c>),
    /// or any other recorded origin that is not <c>Internal</c>.</summary>
    Outside = 2,
}
