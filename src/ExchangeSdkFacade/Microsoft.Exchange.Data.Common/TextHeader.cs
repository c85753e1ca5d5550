// Compile-time facade of Microsoft.Exchange.Data.Common: see ../Facade.props.
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

        public sealed override string Value
        {
            get { return this.value; }
            set { this.value = value; }
        }
    }
}
