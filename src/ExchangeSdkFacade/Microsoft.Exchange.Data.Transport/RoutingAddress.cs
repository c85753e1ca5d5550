// Compile-time facade of Microsoft.Exchange.Data.Transport: see ../Facade.props.
// Surface: a subset of Microsoft's, identical signatures (checked by ../check-surface.sh).
// Bodies: simple string handling, not Exchange's address parser.
using System;

namespace Microsoft.Exchange.Data.Transport
{
    public struct RoutingAddress : IEquatable<RoutingAddress>, IComparable<RoutingAddress>
    {
        public static readonly RoutingAddress Empty = default(RoutingAddress);
        public static readonly RoutingAddress NullReversePath = new RoutingAddress("<>");

        private readonly string address;

        public RoutingAddress(string address)
        {
            this.address = address;
        }

        public RoutingAddress(string local, string domain)
        {
            if (local == null)
            {
                throw new ArgumentNullException("local");
            }

            if (domain == null)
            {
                throw new ArgumentNullException("domain");
            }

            this.address = local + "@" + domain;
        }

        public int Length
        {
            get { return this.address == null ? 0 : this.address.Length; }
        }

        public string LocalPart
        {
            get
            {
                int at = this.AtIndex();
                return at < 0 ? null : this.address.Substring(0, at);
            }
        }

        public string DomainPart
        {
            get
            {
                int at = this.AtIndex();
                return at < 0 ? null : this.address.Substring(at + 1);
            }
        }

        public bool IsValid
        {
            get { return IsValidAddress(this.address); }
        }

        public static bool IsValidAddress(string address)
        {
            if (string.IsNullOrEmpty(address))
            {
                return false;
            }

            if (address == "<>")
            {
                return true;
            }

            int at = address.LastIndexOf('@');
            return at > 0 && at < address.Length - 1 && address.IndexOf(' ') < 0;
        }

        public static RoutingAddress Parse(string address)
        {
            if (!IsValidAddress(address))
            {
                throw new FormatException("Invalid SMTP address.");
            }

            return new RoutingAddress(address);
        }

        public static bool IsEmpty(RoutingAddress address)
        {
            return address.Length == 0;
        }

        public override int GetHashCode()
        {
            return this.address == null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(this.address);
        }

        public int CompareTo(RoutingAddress address)
        {
            return string.Compare(this.address, address.address, StringComparison.OrdinalIgnoreCase);
        }

        public int CompareTo(object address)
        {
            if (!(address is RoutingAddress))
            {
                throw new ArgumentException("Not a RoutingAddress.", "address");
            }

            return this.CompareTo((RoutingAddress)address);
        }

        public override bool Equals(object obj)
        {
            return obj is RoutingAddress && this.Equals((RoutingAddress)obj);
        }

        public bool Equals(RoutingAddress obj)
        {
            return string.Equals(this.address ?? string.Empty, obj.address ?? string.Empty, StringComparison.OrdinalIgnoreCase);
        }

        public override string ToString()
        {
            return this.address ?? string.Empty;
        }

        public static bool operator ==(RoutingAddress value1, RoutingAddress value2)
        {
            return value1.Equals(value2);
        }

        public static bool operator !=(RoutingAddress value1, RoutingAddress value2)
        {
            return !value1.Equals(value2);
        }

        public static explicit operator string(RoutingAddress address)
        {
            return address.ToString();
        }

        public static explicit operator RoutingAddress(string address)
        {
            return new RoutingAddress(address);
        }

        private int AtIndex()
        {
            return this.address == null ? -1 : this.address.LastIndexOf('@');
        }
    }
}
