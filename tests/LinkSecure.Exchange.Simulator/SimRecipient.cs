using System.Collections.Generic;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Routing;

namespace LinkSecure.Exchange.Simulator;

/// <summary>An envelope recipient: address, category, property bag, and the routing override and TLS domain the agent set.</summary>
public sealed class SimRecipient : EnvelopeRecipient
{
    private SimMailItem? owner;

    /// <summary>Initializes a new instance of the <see cref="SimRecipient"/> class.</summary>
    /// <param name="address">The SMTP address.</param>
    /// <param name="category">The category Exchange reports for it.</param>
    public SimRecipient(string address, RecipientCategory category = RecipientCategory.InDifferentOrganization)
    {
        Address = new RoutingAddress(address);
        Category = category;
        Bag = new SimPropertyDictionary(null);
    }

    /// <inheritdoc />
    public override RoutingAddress Address { get; set; }

    /// <summary>Gets the property bag without the event's checks (for assertions).</summary>
    public SimPropertyDictionary Bag { get; }

    /// <inheritdoc />
    /// <remarks>A fault plan can make this getter throw (<see cref="ExchangeCall.RecipientProperties"/>).</remarks>
    public override IDictionary<string, object> Properties
    {
        get
        {
            owner?.CheckCall(ExchangeCall.RecipientProperties);
            return Bag;
        }
    }

    /// <summary>Gets or sets the category reported for a recipient that is not a mail contact.</summary>
    public RecipientCategory Category { get; set; }

    /// <summary>Gets or sets a value indicating whether the recipient is a mail contact (an external address in the
    /// directory): its category is then the pipeline's <see cref="TransportPipeline.MailContactCategory"/>, since which
    /// category Exchange reports for mail contacts is unverified.</summary>
    public bool IsMailContact { get; set; }

    /// <inheritdoc />
    public override RecipientCategory RecipientCategory =>
        IsMailContact && owner?.Pipeline is { } pipeline ? pipeline.MailContactCategory : Category;

    /// <summary>Gets the routing override the agent set, or <see langword="null"/>.</summary>
    public RoutingOverride? Override { get; internal set; }

    /// <summary>Gets the TLS domain the agent set, or <see langword="null"/>.</summary>
    public string? TlsDomain { get; internal set; }

    /// <summary>Gets the mail item the recipient belongs to.</summary>
    internal SimMailItem? Owner
    {
        get => owner;
        set
        {
            owner = value;
            Bag.Owner = value;
        }
    }

    /// <summary>A copy for another mail item (a fork clone, a revert).</summary>
    internal SimRecipient Copy(Dictionary<string, object>? properties, bool keepRouting) =>
        new SimRecipient(Address.ToString(), Category)
        {
            IsMailContact = IsMailContact,
            Override = keepRouting ? Override : null,
            TlsDomain = keepRouting ? TlsDomain : null,
        }.WithProperties(properties);

    private SimRecipient WithProperties(Dictionary<string, object>? properties)
    {
        Bag.Load(properties);
        return this;
    }
}
