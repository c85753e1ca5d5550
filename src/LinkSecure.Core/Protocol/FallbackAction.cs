namespace LinkSecure.Core.Protocol;

/// <summary>What the sender asks for when a recipient's link is not secure enough.</summary>
public enum FallbackAction
{
    /// <summary>Return the message to the sender with a delivery status notification (the default).</summary>
    Bounce = 0,

    /// <summary>Deliver only the MIME part marked <c>Link-Security-Part: safe</c> (or the administrator's notice).</summary>
    SafePart = 1,
}
