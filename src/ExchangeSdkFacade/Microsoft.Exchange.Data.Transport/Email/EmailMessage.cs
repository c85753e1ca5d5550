// Compile-time facade of Microsoft.Exchange.Data.Transport: see ../Facade.props.
// Surface: a subset of Microsoft's, identical signatures (checked by ../check-surface.sh).
using System;
using Microsoft.Exchange.Data.Mime;

namespace Microsoft.Exchange.Data.Transport.Email
{
    public class EmailMessage : IDisposable
    {
        private readonly MimePart rootPart;
        private readonly MimePart tnefPart;
        private readonly bool isSystemMessage;

        // Facade only (allowed: a protected constructor for test doubles). The real constructors
        // are internal; Exchange derives these values from the message content.
        protected EmailMessage(MimePart rootPart, MimePart tnefPart, bool isSystemMessage)
        {
            this.rootPart = rootPart;
            this.tnefPart = tnefPart;
            this.isSystemMessage = isSystemMessage;
        }

        public string MessageId { get; set; }

        public MimePart RootPart
        {
            get { return this.rootPart; }
        }

        public MimePart TnefPart
        {
            get { return this.tnefPart; }
        }

        public bool IsSystemMessage
        {
            get { return this.isSystemMessage; }
        }

        public void Dispose()
        {
            this.Dispose(true);
            GC.SuppressFinalize(this);
        }

        protected virtual void Dispose(bool disposing)
        {
        }
    }
}
