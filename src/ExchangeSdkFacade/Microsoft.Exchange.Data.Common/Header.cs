// Compile-time facade of Microsoft.Exchange.Data.Common: see ../Facade.props.
using System;

namespace Microsoft.Exchange.Data.Mime
{
    public abstract class Header : MimeNode
    {
        private readonly string name;

        internal Header(string name)
        {
            if (string.IsNullOrEmpty(name))
            {
                throw new ArgumentException("A header needs a name.", "name");
            }

            for (int i = 0; i < name.Length; i++)
            {
                char c = name[i];
                if (c <= ' ' || c >= 127 || c == ':')
                {
                    throw new ArgumentException("Invalid header name.", "name");
                }
            }

            this.name = name;
        }

        public string Name
        {
            get { return this.name; }
        }

        public abstract string Value { get; set; }

        public virtual bool TryGetValue(out string value)
        {
            try
            {
                value = this.Value;
                return true;
            }
            catch (FormatException)
            {
                value = null;
                return false;
            }
        }
    }
}
