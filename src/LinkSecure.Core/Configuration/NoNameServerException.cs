using System;

namespace LinkSecure.Core.Configuration;

/// <summary>No DNS server is known: the platform lists none, <c>/etc/resolv.conf</c> has no <c>nameserver</c> line, and
/// the configuration names none (<c>resolver.dnsServers</c>, <c>resolver.validatingDnsServers</c>).</summary>
public sealed class NoNameServerException : InvalidOperationException
{
    /// <summary>The message of the parameterless constructor: what is missing and how to fix it.</summary>
    public const string DefaultMessage = "No DNS server found: the system lists none (/etc/resolv.conf has no nameserver line) and resolver.dnsServers / resolver.validatingDnsServers are empty. Configure one, or pass --dns-server.";

    /// <summary>Creates the exception with <see cref="DefaultMessage"/>.</summary>
    public NoNameServerException()
        : base(DefaultMessage)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    public NoNameServerException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause (for example the platform's failure to list name servers).</param>
    public NoNameServerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
