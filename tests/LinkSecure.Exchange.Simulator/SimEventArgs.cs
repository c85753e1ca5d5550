using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Routing;

namespace LinkSecure.Exchange.Simulator;

/// <summary>The event arguments: the mail item.</summary>
public sealed class SimEventArgs : QueuedMessageEventArgs
{
    private readonly MailItem mailItem;

    /// <summary>Initializes a new instance of the <see cref="SimEventArgs"/> class.</summary>
    /// <param name="mailItem">The mail item.</param>
    public SimEventArgs(MailItem mailItem)
    {
        this.mailItem = mailItem;
    }

    /// <inheritdoc />
    public override MailItem MailItem => mailItem;
}
