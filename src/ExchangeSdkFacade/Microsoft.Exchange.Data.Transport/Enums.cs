// Compile-time facade of Microsoft.Exchange.Data.Transport: see ../Facade.props.
// Surface: a subset of Microsoft's, identical signatures (checked by ../check-surface.sh).
namespace Microsoft.Exchange.Data.Transport
{
    public enum DeliveryQueueDomain
    {
        UseOverrideDomain = 0,
        UseRecipientDomain = 1,
        UseAlternateDeliveryRoutingHosts = 2,
    }

    public enum DsnType
    {
        Failure = 1,
        Expanded = 2,
    }

    public enum RecipientCategory
    {
        Unknown = 0,
        InSameOrganization = 1,
        InDifferentOrganization = 2,
        Incoming = 3,
    }
}
