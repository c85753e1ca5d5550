// Compile-time facade of Microsoft.Exchange.Data.Common: see ../Facade.props.
using System;
using System.Collections.Generic;

namespace Microsoft.Exchange.Data.Mime
{
    public class HeaderList : MimeNode, IEnumerable<Header>
    {
        internal HeaderList()
        {
        }

        public Header FindFirst(string name)
        {
            return this.FindFrom(this.FirstChild, name);
        }

        public Header FindNext(Header refHeader)
        {
            if (refHeader == null)
            {
                throw new ArgumentNullException("refHeader");
            }

            return this.FindFrom(refHeader.NextSibling, refHeader.Name);
        }

        public Header[] FindAll(string name)
        {
            List<Header> found = new List<Header>();
            for (Header h = this.FindFirst(name); h != null; h = this.FindNext(h))
            {
                found.Add(h);
            }

            return found.ToArray();
        }

        public void RemoveAll(string name)
        {
            foreach (Header h in this.FindAll(name))
            {
                this.RemoveChild(h);
            }
        }

        public new MimeNode.Enumerator<Header> GetEnumerator()
        {
            return new MimeNode.Enumerator<Header>(this);
        }

        IEnumerator<Header> IEnumerable<Header>.GetEnumerator()
        {
            return this.GetEnumerator();
        }

        internal override bool AcceptsChild(MimeNode child)
        {
            return child is Header;
        }

        private Header FindFrom(MimeNode start, string name)
        {
            if (name == null)
            {
                throw new ArgumentNullException("name");
            }

            for (MimeNode n = start; n != null; n = n.NextSibling)
            {
                Header h = n as Header;
                if (h != null && string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    return h;
                }
            }

            return null;
        }
    }
}
