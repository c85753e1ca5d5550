// Compile-time facade of Microsoft.Exchange.Data.Transport: see ../Facade.props.
// Surface: a subset of Microsoft's, identical signatures (checked by ../check-surface.sh).
using System;
using System.Collections;
using System.Collections.Generic;
using Microsoft.Exchange.Data.Transport.Smtp;

namespace Microsoft.Exchange.Data.Transport
{
    public abstract class ReadOnlyEnvelopeRecipientCollection : IEnumerable<EnvelopeRecipient>, IEnumerable
    {
        public abstract int Count { get; }

        public abstract EnvelopeRecipient this[int index] { get; }

        public abstract bool Contains(RoutingAddress address);

        public abstract EnvelopeRecipientCollection.Enumerator GetEnumerator();

        IEnumerator<EnvelopeRecipient> IEnumerable<EnvelopeRecipient>.GetEnumerator()
        {
            return this.GetEnumerator();
        }

        IEnumerator IEnumerable.GetEnumerator()
        {
            return this.GetEnumerator();
        }
    }

    public abstract class EnvelopeRecipientCollection : ReadOnlyEnvelopeRecipientCollection
    {
        public abstract bool Remove(EnvelopeRecipient recipient);

        public abstract bool Remove(EnvelopeRecipient recipient, DsnType dsnType, SmtpResponse smtpResponse);

        public abstract bool Remove(EnvelopeRecipient recipient, DsnType dsnType, SmtpResponse smtpResponse, string sourceContext);

        public struct Enumerator : IEnumerator<EnvelopeRecipient>, IDisposable, IEnumerator
        {
            // Facade only: Exchange builds this enumerator internally. Test hosts create it through
            // reflection with this internal constructor over their own collection.
            private readonly ReadOnlyEnvelopeRecipientCollection collection;
            private int index;

            internal Enumerator(ReadOnlyEnvelopeRecipientCollection collection)
            {
                this.collection = collection;
                this.index = -1;
            }

            public EnvelopeRecipient Current
            {
                get
                {
                    if (this.collection == null || this.index < 0 || this.index >= this.collection.Count)
                    {
                        throw new InvalidOperationException("The enumerator is not positioned on a recipient.");
                    }

                    return this.collection[this.index];
                }
            }

            object IEnumerator.Current
            {
                get { return this.Current; }
            }

            public bool MoveNext()
            {
                if (this.collection == null)
                {
                    return false;
                }

                if (this.index + 1 < this.collection.Count)
                {
                    this.index++;
                    return true;
                }

                this.index = this.collection.Count;
                return false;
            }

            public void Reset()
            {
                this.index = -1;
            }

            public void Dispose()
            {
            }
        }
    }
}
