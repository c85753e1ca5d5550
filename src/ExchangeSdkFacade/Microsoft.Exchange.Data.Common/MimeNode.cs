// Compile-time facade of Microsoft.Exchange.Data.Common: see ../Facade.props.
// Surface: a subset of Microsoft's, identical signatures (checked by ../check-surface.sh).
// Bodies: a minimal linked tree, enough for tests; not Exchange's MIME DOM.
using System;
using System.Collections;
using System.Collections.Generic;

namespace Microsoft.Exchange.Data.Mime
{
    public abstract class MimeNode : IEnumerable<MimeNode>, IEnumerable
    {
        private MimeNode parent;
        private MimeNode firstChild;
        private MimeNode lastChild;
        private MimeNode nextSibling;
        private MimeNode previousSibling;

        internal MimeNode()
        {
        }

        public bool HasChildren
        {
            get { return this.firstChild != null; }
        }

        public MimeNode Parent
        {
            get { return this.parent; }
        }

        public MimeNode FirstChild
        {
            get { return this.firstChild; }
        }

        public MimeNode LastChild
        {
            get { return this.lastChild; }
        }

        public MimeNode NextSibling
        {
            get { return this.nextSibling; }
        }

        public MimeNode PreviousSibling
        {
            get { return this.previousSibling; }
        }

        public MimeNode InsertBefore(MimeNode newChild, MimeNode refChild)
        {
            this.CheckNewChild(newChild, refChild);
            MimeNode after = refChild == null ? this.lastChild : refChild.previousSibling;
            this.Link(newChild, after, refChild);
            return newChild;
        }

        public MimeNode InsertAfter(MimeNode newChild, MimeNode refChild)
        {
            this.CheckNewChild(newChild, refChild);
            MimeNode before = refChild == null ? this.firstChild : refChild.nextSibling;
            this.Link(newChild, refChild, before);
            return newChild;
        }

        public MimeNode AppendChild(MimeNode newChild)
        {
            return this.InsertAfter(newChild, this.lastChild);
        }

        public MimeNode PrependChild(MimeNode newChild)
        {
            return this.InsertBefore(newChild, this.firstChild);
        }

        public MimeNode RemoveChild(MimeNode oldChild)
        {
            if (oldChild == null)
            {
                throw new ArgumentNullException("oldChild");
            }

            if (oldChild.parent != this)
            {
                throw new ArgumentException("The node is not a child of this node.", "oldChild");
            }

            if (oldChild.previousSibling != null)
            {
                oldChild.previousSibling.nextSibling = oldChild.nextSibling;
            }
            else
            {
                this.firstChild = oldChild.nextSibling;
            }

            if (oldChild.nextSibling != null)
            {
                oldChild.nextSibling.previousSibling = oldChild.previousSibling;
            }
            else
            {
                this.lastChild = oldChild.previousSibling;
            }

            oldChild.parent = null;
            oldChild.nextSibling = null;
            oldChild.previousSibling = null;
            return oldChild;
        }

        public void RemoveAll()
        {
            while (this.firstChild != null)
            {
                this.RemoveChild(this.firstChild);
            }
        }

        public void RemoveFromParent()
        {
            if (this.parent != null)
            {
                this.parent.RemoveChild(this);
            }
        }

        public MimeNode.Enumerator<MimeNode> GetEnumerator()
        {
            return new MimeNode.Enumerator<MimeNode>(this);
        }

        IEnumerator<MimeNode> IEnumerable<MimeNode>.GetEnumerator()
        {
            return this.GetEnumerator();
        }

        IEnumerator IEnumerable.GetEnumerator()
        {
            return this.GetEnumerator();
        }

        internal virtual bool AcceptsChild(MimeNode child)
        {
            return false;
        }

        internal void SetDetachedParent(MimeNode owner)
        {
            this.parent = owner;
        }

        private void CheckNewChild(MimeNode newChild, MimeNode refChild)
        {
            if (newChild == null)
            {
                throw new ArgumentNullException("newChild");
            }

            if (newChild.parent != null)
            {
                throw new ArgumentException("The node already has a parent.", "newChild");
            }

            if (!this.AcceptsChild(newChild))
            {
                throw new ArgumentException("This node cannot contain a node of that type.", "newChild");
            }

            if (refChild != null && refChild.parent != this)
            {
                throw new ArgumentException("The reference node is not a child of this node.", "refChild");
            }
        }

        private void Link(MimeNode newChild, MimeNode after, MimeNode before)
        {
            newChild.parent = this;
            newChild.previousSibling = after;
            newChild.nextSibling = before;
            if (after != null)
            {
                after.nextSibling = newChild;
            }
            else
            {
                this.firstChild = newChild;
            }

            if (before != null)
            {
                before.previousSibling = newChild;
            }
            else
            {
                this.lastChild = newChild;
            }
        }

        public struct Enumerator<T> : IEnumerator<T>, IDisposable, IEnumerator
        {
            private readonly MimeNode node;
            private MimeNode current;
            private MimeNode next;

            internal Enumerator(MimeNode node)
            {
                this.node = node;
                this.current = null;
                this.next = node == null ? null : node.firstChild;
            }

            public T Current
            {
                get
                {
                    if (this.current == null)
                    {
                        throw new InvalidOperationException("The enumerator is not positioned on a node.");
                    }

                    return (T)(object)this.current;
                }
            }

            object IEnumerator.Current
            {
                get { return this.Current; }
            }

            public bool MoveNext()
            {
                while (this.next != null)
                {
                    this.current = this.next;
                    this.next = this.current.nextSibling;
                    if (this.current is T)
                    {
                        return true;
                    }
                }

                this.current = null;
                return false;
            }

            public void Reset()
            {
                this.current = null;
                this.next = this.node == null ? null : this.node.firstChild;
            }

            public void Dispose()
            {
            }
        }
    }
}
