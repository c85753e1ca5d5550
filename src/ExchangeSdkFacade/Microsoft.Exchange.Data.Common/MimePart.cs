// Compile-time facade of Microsoft.Exchange.Data.Common: see ../Facade.props.
using System;
using System.Collections.Generic;

namespace Microsoft.Exchange.Data.Mime
{
    public class MimePart : MimeNode, IDisposable, IEnumerable<MimePart>
    {
        private readonly HeaderList headers;

        public MimePart()
        {
            this.headers = new HeaderList();
            this.headers.SetDetachedParent(this);
        }

        public HeaderList Headers
        {
            get { return this.headers; }
        }

        public void Dispose()
        {
            this.Dispose(true);
            GC.SuppressFinalize(this);
        }

        public new MimeNode.Enumerator<MimePart> GetEnumerator()
        {
            return new MimeNode.Enumerator<MimePart>(this);
        }

        IEnumerator<MimePart> IEnumerable<MimePart>.GetEnumerator()
        {
            return this.GetEnumerator();
        }

        protected virtual void Dispose(bool disposing)
        {
        }

        internal override bool AcceptsChild(MimeNode child)
        {
            return child is MimePart;
        }
    }
}
