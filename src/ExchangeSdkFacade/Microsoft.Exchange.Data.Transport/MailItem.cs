// Compile-time facade of Microsoft.Exchange.Data.Transport: see ../Facade.props.
// Surface: a subset of Microsoft's, identical signatures (checked by ../check-surface.sh).
using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.Exchange.Data.Transport.Email;

namespace Microsoft.Exchange.Data.Transport
{
    public abstract class MailItem
    {
        public abstract DateTime DateTimeReceived { get; }

        public abstract RoutingAddress FromAddress { get; set; }

        public abstract EmailMessage Message { get; }

        public abstract long MimeStreamLength { get; }

        public abstract IDictionary<string, object> Properties { get; }

        public abstract EnvelopeRecipientCollection Recipients { get; }

        public abstract Stream GetMimeReadStream();

        public abstract Stream GetMimeWriteStream();
    }

    public abstract class EnvelopeRecipient
    {
        public abstract RoutingAddress Address { get; set; }

        public abstract IDictionary<string, object> Properties { get; }

        public abstract RecipientCategory RecipientCategory { get; }
    }
}
