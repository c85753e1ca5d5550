// Compile-time facade of Microsoft.Exchange.Data.Transport: see ../Facade.props.
// Surface: a subset of Microsoft's, identical signatures (checked by ../check-surface.sh).
// Bodies: simple string handling, not Exchange's address parser.
using System;

namespace Microsoft.Exchange.Data.Transport
{
    public struct RoutingDomain : IEquatable<RoutingDomain>, IComparable<RoutingDomain>
    {
        public const string Smtp = "smtp";
        public static readonly RoutingDomain Empty = default(RoutingDomain);

        private readonly string domain;
        private readonly string type;

        public RoutingDomain(string domain)
            : this(domain, Smtp)
        {
        }

        public RoutingDomain(string domain, string type)
        {
            if (string.IsNullOrEmpty(domain))
            {
                throw new ArgumentException("A routing domain needs a domain.", "domain");
            }

            if (string.IsNullOrEmpty(type))
            {
                throw new ArgumentException("A routing domain needs a type.", "type");
            }

            this.domain = domain;
            this.type = type;
        }

        public string Domain
        {
            get { return this.domain ?? string.Empty; }
        }

        public string Type
        {
            get { return this.type ?? string.Empty; }
        }

        public static RoutingDomain GetDomainPart(RoutingAddress address)
        {
            string part = address.DomainPart;
            return string.IsNullOrEmpty(part) ? Empty : new RoutingDomain(part);
        }

        public bool IsSmtp()
        {
            return string.Equals(this.type, Smtp, StringComparison.OrdinalIgnoreCase);
        }

        public bool IsValid()
        {
            return !string.IsNullOrEmpty(this.domain) && this.domain.IndexOf(' ') < 0 && this.domain.IndexOf('@') < 0;
        }

        public override int GetHashCode()
        {
            return this.domain == null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(this.domain);
        }

        public int CompareTo(RoutingDomain value)
        {
            int c = string.Compare(this.Type, value.Type, StringComparison.OrdinalIgnoreCase);
            return c != 0 ? c : string.Compare(this.Domain, value.Domain, StringComparison.OrdinalIgnoreCase);
        }

        public int CompareTo(object domain)
        {
            if (!(domain is RoutingDomain))
            {
                throw new ArgumentException("Not a RoutingDomain.", "domain");
            }

            return this.CompareTo((RoutingDomain)domain);
        }

        public bool Equals(RoutingDomain domain)
        {
            return this.CompareTo(domain) == 0;
        }

        public override bool Equals(object domain)
        {
            return domain is RoutingDomain && this.Equals((RoutingDomain)domain);
        }

        public override string ToString()
        {
            return this.IsSmtp() || this.type == null ? this.Domain : this.Type + ":" + this.Domain;
        }

        public static bool operator ==(RoutingDomain value1, RoutingDomain value2)
        {
            return value1.Equals(value2);
        }

        public static bool operator !=(RoutingDomain value1, RoutingDomain value2)
        {
            return !value1.Equals(value2);
        }
    }

    public class RoutingOverride
    {
        private readonly RoutingDomain routingDomain;
        private readonly DeliveryQueueDomain deliveryQueueDomain;

        public RoutingOverride(RoutingDomain routingDomain, DeliveryQueueDomain deliveryQueueDomain)
        {
            this.routingDomain = routingDomain;
            this.deliveryQueueDomain = deliveryQueueDomain;
        }

        public RoutingDomain RoutingDomain
        {
            get { return this.routingDomain; }
        }

        public DeliveryQueueDomain DeliveryQueueDomain
        {
            get { return this.deliveryQueueDomain; }
        }

        public override string ToString()
        {
            return this.routingDomain.ToString() + ";" + this.deliveryQueueDomain.ToString();
        }
    }
}
