// Compile-time facade of Microsoft.Exchange.Data.Common: see ../Facade.props.
using System;

namespace Microsoft.Exchange.Data.Mime
{
    public class TextHeader : Header
    {
        private string value;

        public TextHeader(string name, string value)
            : base(name)
        {
            this.value = value;
        }

        // Facade behaviour, standing in for Exchange's decoder failing on a malformed value (the real
        // getter decodes RFC 2047 words and can throw): a raw value holding a NUL character makes the
        // getter throw FormatException and TryGetValue return false.
        public sealed override string Value
        {
            get
            {
                if (this.value != null && this.value.IndexOf('\0') >= 0)
                {
                    throw new FormatException("The header value is malformed.");
                }

                return this.value;
            }

            set
            {
                this.value = value;
            }
        }

        public override bool TryGetValue(out string value)
        {
            if (this.value != null && this.value.IndexOf('\0') >= 0)
            {
                value = null;
                return false;
            }

            value = this.value;
            return true;
        }
    }
}
