namespace LinkSecure.Exchange.Simulator;

/// <summary>The Exchange calls a fault plan can make throw (<see cref="IFaultPlan.GetFault"/>).</summary>
public enum ExchangeCall
{
    /// <summary><c>QueuedMessageEventSource.Fork</c>.</summary>
    Fork = 0,

    /// <summary><c>QueuedMessageEventSource.Defer</c>.</summary>
    Defer = 1,

    /// <summary><c>ResolvedMessageEventSource.SetRoutingOverride</c>.</summary>
    SetRoutingOverride = 2,

    /// <summary><c>ResolvedMessageEventSource.GetRoutingOverride</c>.</summary>
    GetRoutingOverride = 3,

    /// <summary><c>ResolvedMessageEventSource.SetTlsDomain</c>.</summary>
    SetTlsDomain = 4,

    /// <summary><c>ResolvedMessageEventSource.GetTlsDomain</c>.</summary>
    GetTlsDomain = 5,

    /// <summary><c>MailItem.GetMimeReadStream</c>.</summary>
    GetMimeReadStream = 6,

    /// <summary><c>MailItem.GetMimeWriteStream</c>.</summary>
    GetMimeWriteStream = 7,

    /// <summary>The <c>MailItem.Message</c> getter.</summary>
    Message = 8,

    /// <summary>The <c>MailItem.Recipients</c> getter.</summary>
    Recipients = 9,

    /// <summary>The <c>MailItem.Properties</c> getter.</summary>
    MailItemProperties = 10,

    /// <summary>The <c>EnvelopeRecipient.Properties</c> getter.</summary>
    RecipientProperties = 11,

    /// <summary><c>EnvelopeRecipientCollection.Remove</c> with a DSN.</summary>
    RemoveRecipient = 12,
}
