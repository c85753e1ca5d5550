using System;
using System.Collections.Generic;
using System.Net;

namespace LinkSecure.Core.Relay;

/// <summary>
/// What <see cref="PostfixRelayConfig"/> needs besides the LinkSecure settings to write a private Postfix instance
/// for the relay tier (docs/relay.md, "Relay configuration").
/// </summary>
public sealed class PostfixRelayConfigOptions
{
    /// <summary>Initializes the options with the values that have no default.</summary>
    /// <param name="listenAddress">See <see cref="ListenAddress"/>.</param>
    /// <param name="listenPort">See <see cref="ListenPort"/>.</param>
    /// <param name="hostname">See <see cref="Hostname"/>.</param>
    /// <param name="exchangeClients">See <see cref="ExchangeClients"/>.</param>
    /// <param name="certificateFile">See <see cref="CertificateFile"/>.</param>
    /// <param name="keyFile">See <see cref="KeyFile"/>.</param>
    /// <remarks>The values are checked by <see cref="PostfixRelayConfig.Generate"/>, which reports every problem.</remarks>
    public PostfixRelayConfigOptions(IPAddress listenAddress, int listenPort, string hostname, IReadOnlyList<string> exchangeClients, string certificateFile, string keyFile)
    {
        ListenAddress = listenAddress ?? throw new ArgumentNullException(nameof(listenAddress));
        ListenPort = listenPort;
        Hostname = hostname ?? throw new ArgumentNullException(nameof(hostname));
        ExchangeClients = exchangeClients ?? throw new ArgumentNullException(nameof(exchangeClients));
        CertificateFile = certificateFile ?? throw new ArgumentNullException(nameof(certificateFile));
        KeyFile = keyFile ?? throw new ArgumentNullException(nameof(keyFile));
    }

    /// <summary>Gets the address the relay's <c>smtp inet</c> listener binds (the interface Exchange reaches).</summary>
    public IPAddress ListenAddress { get; }

    /// <summary>Gets the TCP port of the listener (1 to 65535).</summary>
    public int ListenPort { get; }

    /// <summary>Gets the relay's host name (<c>myhostname</c>); the name the Exchange Send connector's
    /// <c>TlsDomain</c> checks, so it must be a name on the relay's certificate.</summary>
    public string Hostname { get; }

    /// <summary>Gets the Exchange servers that may send through the relay: addresses or networks in CIDR notation
    /// (<c>192.0.2.10</c>, <c>192.0.2.0/28</c>, <c>2001:db8::/64</c>). Must not be empty and must not name every
    /// address: the relay is never an open relay.</summary>
    public IReadOnlyList<string> ExchangeClients { get; }

    /// <summary>Gets the SHA-256 fingerprints of Exchange client certificates that may also send through the relay
    /// (hex, with or without colons). Empty: clients are recognised by address only.</summary>
    public IReadOnlyList<string> ClientCertificateFingerprints { get; init; } = Array.Empty<string>();

    /// <summary>Gets the PEM certificate chain the relay presents to Exchange (<c>smtpd_tls_cert_file</c>).</summary>
    public string CertificateFile { get; }

    /// <summary>Gets the PEM private key of <see cref="CertificateFile"/> (<c>smtpd_tls_key_file</c>).</summary>
    public string KeyFile { get; }

    /// <summary>Gets the policy server's socketmap endpoint, <c>inet:HOST:PORT</c> or <c>unix:PATH</c>.</summary>
    public string SocketmapEndpoint { get; init; } = "inet:127.0.0.1:8461";

    /// <summary>Gets the socketmap name the relay asks for: <c>linksecure</c>, the strict map.</summary>
    public string SocketmapName { get; init; } = "linksecure";

    /// <summary>Gets the Postfix instance name (<c>multi_instance_name</c>, postmulti(1)).</summary>
    public string InstanceName { get; init; } = "postfix-linksecure";

    /// <summary>Gets the instance's queue directory; its own, never the system instance's.</summary>
    public string QueueDirectory { get; init; } = "/var/spool/postfix-linksecure";

    /// <summary>Gets the instance's data directory (TLS session caches, verify cache).</summary>
    public string DataDirectory { get; init; } = "/var/lib/postfix-linksecure";

    /// <summary>Gets the CA bundle for outbound PKIX validation (<c>smtp_tls_CAfile</c>); Debian's system store.</summary>
    public string CaFile { get; init; } = "/etc/ssl/certs/ca-certificates.crt";

    /// <summary>Gets the Exchange servers the relay returns the organisation's own mail to (its DSNs, which go to the
    /// envelope sender), as host names or IP addresses, tried in order (Postfix 3.5+ next-hop list). Empty: that mail
    /// follows the domains' public MX like any other, under the strict map's <c>secure</c>.</summary>
    public IReadOnlyList<string> ReturnHosts { get; init; } = Array.Empty<string>();

    /// <summary>Gets the SMTP port of <see cref="ReturnHosts"/>.</summary>
    public int ReturnPort { get; init; } = 25;

    /// <summary>Gets the names on the Exchange servers' certificate that the return route requires
    /// (<c>secure match=</c>; <c>*.x</c> for any name under x). Required with <see cref="ReturnHosts"/>.</summary>
    public IReadOnlyList<string> ReturnCertificateNames { get; init; } = Array.Empty<string>();

    /// <summary>Gets the organisation's domains whose mail takes the return route (<c>contoso.com</c> that domain,
    /// <c>*.contoso.com</c> its subdomains, as in <c>internalDomains</c>). Required with <see cref="ReturnHosts"/>.</summary>
    public IReadOnlyList<string> ReturnDomains { get; init; } = Array.Empty<string>();

    /// <summary>Gets the CA directory for outbound PKIX validation (<c>smtp_tls_CApath</c>); Debian's system store.</summary>
    public string CaPath { get; init; } = "/etc/ssl/certs";
}
