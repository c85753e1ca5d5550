using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Relay;

/// <summary>
/// The main.cf and master.cf of a private Postfix 3.7 instance that relays the mail the agent sends it, with the TLS
/// policy of each destination taken from <c>linksecure policy-server</c> (docs/relay.md, "Relay configuration").
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Accepts mail only from the named Exchange servers (by address, or by client certificate when fingerprints are
/// given); no local delivery and no relay domain, so it is never an open relay.</item>
/// <item>Inbound TLS is mandatory (<c>smtpd_tls_security_level = encrypt</c>), so a RequireTLS smart-host connector
/// meets it.</item>
/// <item>Outbound: DNSSEC-aware lookups for DANE (RFC 7672 §2.1), the policy server's answer per next-hop domain, and a
/// default level of <c>secure</c> that nothing in this configuration weakens.</item>
/// <item>The queue lifetime is the configuration's <c>defer.maxDeferMinutes</c>: Postfix treats a TLS policy failure
/// as temporary and returns the message to the envelope sender (an RFC 3464 DSN) when the lifetime ends, as late as
/// Exchange would.</item>
/// <item>With <see cref="PostfixRelayConfigOptions.ReturnHosts"/>, the organisation's own domains (the relay's DSNs go
/// to the envelope sender, RFC 3461 §6.2) take the <see cref="ReturnTransport"/> service to the Exchange servers:
/// <c>secure</c> with <c>match=</c> the Exchange certificate's names, no policy map, so neither the domain's public MX
/// nor its certificate matters.</item>
/// </list>
/// </remarks>
public sealed class PostfixRelayConfig
{
    /// <summary>The master.cf service that returns the organisation's own mail (the relay's DSNs) to Exchange.</summary>
    public const string ReturnTransport = "linksecure-return";

    private PostfixRelayConfig(string mainCf, string masterCf)
    {
        MainCf = mainCf;
        MasterCf = masterCf;
    }

    /// <summary>Gets the text of main.cf.</summary>
    public string MainCf { get; }

    /// <summary>Gets the text of master.cf.</summary>
    public string MasterCf { get; }

    /// <summary>Lists every problem with the options, empty when they are usable.</summary>
    /// <param name="options">The relay options.</param>
    /// <returns>One message per problem.</returns>
    public static IReadOnlyList<string> Validate(PostfixRelayConfigOptions options)
    {
        if (options is null)
        {
            throw new ArgumentNullException(nameof(options));
        }

        var problems = new List<string>();
        ParseClients(options.ExchangeClients, problems);
        NormalizeFingerprints(options.ClientCertificateFingerprints, problems);
        if (options.ListenPort is < 1 or > 65_535)
        {
            problems.Add($"the listen port {options.ListenPort.ToString(CultureInfo.InvariantCulture)} is not 1 to 65535");
        }

        if (!DomainName.TryNormalize(options.Hostname, out var host) || host.IndexOf('.') < 0)
        {
            problems.Add($"the host name '{options.Hostname}' is not a fully qualified domain name");
        }

        CheckPath("certificate file", options.CertificateFile, problems);
        CheckPath("key file", options.KeyFile, problems);
        CheckPath("queue directory", options.QueueDirectory, problems);
        CheckPath("data directory", options.DataDirectory, problems);
        CheckPath("CA file", options.CaFile, problems);
        CheckPath("CA path", options.CaPath, problems);
        if (!IsSocketmapEndpoint(options.SocketmapEndpoint))
        {
            problems.Add($"the socketmap endpoint '{options.SocketmapEndpoint}' is not inet:HOST:PORT or unix:/PATH");
        }

        ValidateReturnRoute(options, problems);
        if (!IsToken(options.SocketmapName))
        {
            problems.Add($"the socketmap name '{options.SocketmapName}' must be letters, digits, '-' or '_'");
        }

        if (!options.InstanceName.StartsWith("postfix-", StringComparison.Ordinal) || !IsToken(options.InstanceName))
        {
            problems.Add($"the instance name '{options.InstanceName}' must start with 'postfix-' (postmulti(1)) and contain only letters, digits, '-' or '_'");
        }

        return problems;
    }

    /// <summary>Writes the configuration.</summary>
    /// <param name="settings">The LinkSecure settings; <see cref="DeferSettings.MaxDefer"/> sets the queue lifetime.</param>
    /// <param name="options">The relay options.</param>
    /// <returns>main.cf and master.cf.</returns>
    /// <exception cref="ArgumentException">The options have a problem (<see cref="Validate"/> lists them).</exception>
    public static PostfixRelayConfig Generate(LinkSecureSettings settings, PostfixRelayConfigOptions options)
    {
        if (settings is null)
        {
            throw new ArgumentNullException(nameof(settings));
        }

        var problems = Validate(options);
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid relay options: " + string.Join("; ", problems) + ".", nameof(options));
        }

        var unused = new List<string>();
        var clients = ParseClients(options.ExchangeClients, unused);
        var fingerprints = NormalizeFingerprints(options.ClientCertificateFingerprints, unused);
        var hostname = DomainName.TryNormalize(options.Hostname, out var normalized) ? normalized : options.Hostname;
        return new PostfixRelayConfig(MainCfText(settings, options, hostname, clients, fingerprints), MasterCfText(options, ReturnMatch(options)));
    }

    /// <summary>Formats a duration as a Postfix time value in whole minutes, rounded up (<c>240m</c>).</summary>
    /// <param name="value">The duration; negative counts as zero.</param>
    /// <returns>The Postfix value.</returns>
    public static string PostfixMinutes(TimeSpan value)
    {
        var minutes = value <= TimeSpan.Zero ? 0L : (long)Math.Ceiling(value.TotalMinutes);
        return minutes.ToString(CultureInfo.InvariantCulture) + "m";
    }

    private static string MainCfText(LinkSecureSettings settings, PostfixRelayConfigOptions options, string hostname, List<string> clients, List<string> fingerprints)
    {
        var text = new StringBuilder();
        void Line(string line) => text.Append(line).Append('\n');
        void Set(string name, string value) => Line(value.Length == 0 ? name + " =" : name + " = " + value);

        var lifetime = PostfixMinutes(settings.Defer.MaxDefer);
        var permit = fingerprints.Count > 0 ? "permit_mynetworks, permit_tls_clientcerts" : "permit_mynetworks";

        Line("# main.cf of the LinkSecure relay, written by 'linksecure relay config' (docs/relay.md).");
        Line("# A private Postfix instance: it relays what the Exchange servers below send it, never anything else.");
        Line("# Regenerate instead of editing: the next 'linksecure relay config' replaces this file.");
        Line(string.Empty);
        Set("compatibility_level", "3.6");
        Set("multi_instance_name", options.InstanceName);
        Set("multi_instance_enable", "yes");
        Set("queue_directory", options.QueueDirectory);
        Set("data_directory", options.DataDirectory);
        Set("myhostname", hostname);
        Set("myorigin", "$myhostname");
        Set("smtpd_banner", "$myhostname ESMTP");
        Set("biff", "no");
        Set("append_dot_mydomain", "no");
        Set("inet_interfaces", "all");
        Set("inet_protocols", "all");
        Line(string.Empty);

        Line("# Never an open relay: no domain is local or relayed, nothing is delivered here, and only the Exchange");
        Line("# servers (by address, or by client certificate when listed) may send.");
        Set("mydestination", string.Empty);
        Set("relay_domains", string.Empty);
        Set("local_recipient_maps", string.Empty);
        Set("local_transport", "error:5.7.1 local delivery is disabled on this relay");
        Set("alias_maps", string.Empty);
        Set("alias_database", string.Empty);
        Set("mynetworks", string.Join(" ", clients));
        Set("smtpd_relay_restrictions", permit + ", reject");
        Set("smtpd_recipient_restrictions", permit + ", reject_unauth_destination, reject");
        Set("smtpd_helo_required", "yes");
        Set("disable_vrfy_command", "yes");
        Line(string.Empty);

        Line("# Inbound: STARTTLS is mandatory, so Exchange's RequireTLS smart-host connector meets it.");
        Set("smtpd_tls_security_level", "encrypt");
        Set("smtpd_tls_cert_file", options.CertificateFile);
        Set("smtpd_tls_key_file", options.KeyFile);
        Set("smtpd_tls_protocols", ">=TLSv1.2");
        Set("smtpd_tls_mandatory_protocols", ">=TLSv1.2");
        Set("smtpd_tls_loglevel", "1");
        Set("smtpd_tls_received_header", "yes");
        Set("smtpd_tls_session_cache_database", "btree:${data_directory}/smtpd_scache");
        if (fingerprints.Count > 0)
        {
            Set("smtpd_tls_ask_ccert", "yes");
            Set("smtpd_tls_fingerprint_digest", "sha256");
            Set("relay_clientcerts", "inline:{ " + string.Join(", ", fingerprints.Select(f => f + "=exchange")) + " }");
        }

        Line(string.Empty);
        Line("# Outbound: DNSSEC-validated lookups (DANE, RFC 7672 §2.1) through the local validating resolver, the");
        Line("# policy server's answer for each next-hop domain, and 'secure' (PKIX, RFC 6125) wherever it gives none.");
        Set("smtp_dns_support_level", "dnssec");
        Set("smtp_tls_security_level", "secure");
        Set("smtp_tls_secure_cert_match", "nexthop");
        Set("smtp_tls_policy_maps", "socketmap:" + options.SocketmapEndpoint + ":" + options.SocketmapName);
        Set("smtp_tls_mandatory_protocols", ">=TLSv1.2");
        Set("smtp_tls_CAfile", options.CaFile);
        Set("smtp_tls_CApath", options.CaPath);
        Set("smtp_tls_loglevel", "1");
        Set("smtp_tls_note_starttls_offer", "yes");
        Set("smtp_tls_session_cache_database", "btree:${data_directory}/smtp_scache");
        Line(string.Empty);

        if (options.ReturnHosts.Count > 0)
        {
            // The relay's DSNs go to the envelope sender, an address of the organisation (RFC 3461 §6.2). Its public MX may
            // present a certificate that is not valid for the domain (so the strict map's "secure" would defer them), and
            // the mail belongs inside anyway: back to the Exchange servers, over TLS, against their certificate's names.
            Line("# The organisation's own domains (the relay's DSNs to the envelope sender): back to the Exchange servers");
            Line("# over the " + ReturnTransport + " transport of master.cf, which requires TLS with the Exchange certificate's");
            Line("# names instead of the policy server's answer for the domain's public MX.");
            var nexthop = ReturnTransport + ":" + string.Join(" ", options.ReturnHosts.Select(h => ReturnNexthop(h, options.ReturnPort)));
            Set("transport_maps", "inline:{ " + string.Join(", ", ReturnKeys(options.ReturnDomains).Select(k => "{ " + k + " = " + nexthop + " }")) + " }");
            Line(string.Empty);
        }

        Line("# Queue: a TLS policy failure is temporary in Postfix; after defer.maxDeferMinutes the message returns to");
        Line("# the envelope sender as an RFC 3464 DSN, as it would on Exchange. No delay warnings (Exchange sends none).");
        Set("maximal_queue_lifetime", lifetime);
        Set("bounce_queue_lifetime", lifetime);
        Set("delay_warning_time", "0h");
        return text.ToString();
    }

    private static string MasterCfText(PostfixRelayConfigOptions options, string? returnMatch)
    {
        var listen = options.ListenAddress.AddressFamily == AddressFamily.InterNetworkV6
            ? "[" + options.ListenAddress + "]"
            : options.ListenAddress.ToString();
        listen += ":" + options.ListenPort.ToString(CultureInfo.InvariantCulture);
        var rows = new[]
        {
            (listen, "inet", "n", "-", "n", "-", "-", "smtpd"),
            ("pickup", "unix", "n", "-", "n", "60", "1", "pickup"),
            ("cleanup", "unix", "n", "-", "n", "-", "0", "cleanup"),
            ("qmgr", "unix", "n", "-", "n", "300", "1", "qmgr"),
            ("tlsmgr", "unix", "-", "-", "n", "1000?", "1", "tlsmgr"),
            ("rewrite", "unix", "-", "-", "n", "-", "-", "trivial-rewrite"),
            ("bounce", "unix", "-", "-", "n", "-", "0", "bounce"),
            ("defer", "unix", "-", "-", "n", "-", "0", "bounce"),
            ("trace", "unix", "-", "-", "n", "-", "0", "bounce"),
            ("verify", "unix", "-", "-", "n", "-", "1", "verify"),
            ("flush", "unix", "n", "-", "n", "1000?", "0", "flush"),
            ("proxymap", "unix", "-", "-", "n", "-", "-", "proxymap"),
            ("proxywrite", "unix", "-", "-", "n", "-", "1", "proxymap"),
            ("smtp", "unix", "-", "-", "n", "-", "-", "smtp"),
            ("relay", "unix", "-", "-", "n", "-", "-", "smtp"),
            ("showq", "unix", "n", "-", "n", "-", "-", "showq"),
            ("error", "unix", "-", "-", "n", "-", "-", "error"),
            ("retry", "unix", "-", "-", "n", "-", "-", "error"),
            ("discard", "unix", "-", "-", "n", "-", "-", "discard"),
            ("anvil", "unix", "-", "-", "n", "-", "1", "anvil"),
            ("scache", "unix", "-", "-", "n", "-", "1", "scache"),
            ("postlog", "unix-dgram", "n", "-", "n", "-", "1", "postlogd"),
        };

        var text = new StringBuilder();
        text.Append("# master.cf of the LinkSecure relay, written by 'linksecure relay config' (docs/relay.md).\n");
        text.Append("# The structure of Debian's default master.cf without local, virtual or lmtp delivery. No service is\n");
        text.Append("# chrooted, so the smtp client reads the system resolver configuration and CA path directly.\n");
        text.Append("# service type  private unpriv  chroot  wakeup  maxproc command + args\n");
        foreach (var (service, type, isPrivate, unprivileged, chroot, wakeup, maxProcesses, command) in rows)
        {
            text.Append(string.Format(CultureInfo.InvariantCulture, "{0,-9} {1,-5} {2,-7} {3,-7} {4,-7} {5,-7} {6,-7} {7}\n", service, type, isPrivate, unprivileged, chroot, wakeup, maxProcesses, command));
            if (service == "relay")
            {
                text.Append("        -o syslog_name=${multi_instance_name}/$service_name\n");
            }
        }

        if (returnMatch is not null)
        {
            // Only the organisation's domains use it (transport_maps). No policy map: the level and names are fixed here,
            // never weaker than secure. Host lookup also by the system's resolver (hosts file), for internal names.
            text.Append("# The organisation's own mail back to Exchange: TLS required, certificate valid for its names.\n");
            text.Append(string.Format(CultureInfo.InvariantCulture, "{0,-9} {1,-5} {2,-7} {3,-7} {4,-7} {5,-7} {6,-7} {7}\n", ReturnTransport, "unix", "-", "-", "n", "-", "-", "smtp"));
            foreach (var setting in new[]
            {
                "syslog_name=${multi_instance_name}/return",
                "smtp_tls_policy_maps=",
                "smtp_tls_security_level=secure",
                "smtp_tls_secure_cert_match=" + returnMatch,
                "smtp_host_lookup=dns,native",
            })
            {
                text.Append("        -o ").Append(setting).Append('\n');
            }
        }

        return text.ToString();
    }

    private static void ValidateReturnRoute(PostfixRelayConfigOptions options, List<string> problems)
    {
        var hosts = options.ReturnHosts ?? Array.Empty<string>();
        var names = options.ReturnCertificateNames ?? Array.Empty<string>();
        var domains = options.ReturnDomains ?? Array.Empty<string>();
        if (hosts.Count == 0)
        {
            if (names.Count > 0 || domains.Count > 0)
            {
                problems.Add("a return certificate name or domain is given without a return host (the Exchange servers to return the organisation's mail to)");
            }

            return;
        }

        foreach (var host in hosts)
        {
            if (!IPAddress.TryParse(host ?? string.Empty, out _) && (!DomainName.TryNormalize(host, out var name) || name.IndexOf('.') < 0))
            {
                problems.Add($"the return host '{host}' is neither an IP address nor a fully qualified host name");
            }
        }

        if (options.ReturnPort is < 1 or > 65_535)
        {
            problems.Add($"the return port {options.ReturnPort.ToString(CultureInfo.InvariantCulture)} is not 1 to 65535");
        }

        if (names.Count == 0)
        {
            problems.Add("a return host needs the name on the Exchange servers' certificate (the return route requires TLS with a certificate valid for it)");
        }

        if (domains.Count == 0)
        {
            problems.Add("a return host needs the organisation's domains (give them, or list them in internalDomains)");
        }

        foreach (var (what, value) in names.Select(n => ("return certificate name", n)).Concat(domains.Select(d => ("return domain", d))))
        {
            var bare = (value ?? string.Empty).StartsWith("*.", StringComparison.Ordinal) ? value!.Substring(2) : value;
            if (!DomainName.TryNormalize(bare, out var normalized) || normalized.IndexOf('.') < 0)
            {
                problems.Add($"the {what} '{value}' is not a domain name (or *. and one)");
            }
        }
    }

    /// <summary>The <c>match=</c> names of the return route in Postfix syntax (<c>*.x</c> → <c>.x</c>), or null without one.</summary>
    private static string? ReturnMatch(PostfixRelayConfigOptions options) =>
        options.ReturnHosts.Count == 0 ? null : string.Join(":", ReturnKeys(options.ReturnCertificateNames));

    /// <summary>Normalised names, <c>*.x</c> written <c>.x</c> (Postfix: any name under x; transport(5), the match list).</summary>
    private static IEnumerable<string> ReturnKeys(IEnumerable<string> names) =>
        names.Select(n => n.StartsWith("*.", StringComparison.Ordinal) ? "." + DomainName.Normalize(n.Substring(2)) : DomainName.Normalize(n)).Distinct(StringComparer.Ordinal);

    /// <summary>A next hop without MX lookup (transport(5): <c>[host]:port</c>; IPv6 <c>[ipv6:addr]</c>).</summary>
    private static string ReturnNexthop(string host, int port)
    {
        var text = IPAddress.TryParse(host, out var address)
            ? (address.AddressFamily == AddressFamily.InterNetworkV6 ? "ipv6:" + address : address.ToString())
            : DomainName.Normalize(host);
        return "[" + text + "]:" + port.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Parses addresses and networks into Postfix <c>mynetworks</c> syntax (IPv6 in brackets).</summary>
    private static List<string> ParseClients(IReadOnlyList<string> clients, List<string> problems)
    {
        var parsed = new List<string>();
        if (clients is null || clients.Count == 0)
        {
            problems.Add("no Exchange server address is given; without one the relay would accept nobody, and an empty list is never widened to everybody");
            return parsed;
        }

        foreach (var entry in clients)
        {
            var text = (entry ?? string.Empty).Trim();
            var slash = text.IndexOf('/');
            var addressText = slash < 0 ? text : text.Substring(0, slash);
            if (!IPAddress.TryParse(addressText, out var address) || addressText.IndexOf('%') >= 0)
            {
                problems.Add($"'{entry}' is not an IP address or CIDR network");
                continue;
            }

            var bits = address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
            var prefix = bits;
            if (slash >= 0 && (!int.TryParse(text.Substring(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > bits))
            {
                problems.Add($"'{entry}' has a prefix length that is not 0 to {bits.ToString(CultureInfo.InvariantCulture)}");
                continue;
            }

            if (prefix == 0 || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
            {
                problems.Add($"'{entry}' names every address: that would be an open relay");
                continue;
            }

            var network = Mask(address, prefix);
            if (!network.Equals(address))
            {
                problems.Add($"'{entry}' has host bits set; write {network}/{prefix.ToString(CultureInfo.InvariantCulture)}");
                continue;
            }

            var shown = bits == 128 ? "[" + address + "]" : address.ToString();
            parsed.Add(prefix == bits ? shown : shown + "/" + prefix.ToString(CultureInfo.InvariantCulture));
        }

        return parsed;
    }

    private static IPAddress Mask(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Max(0, Math.Min(8, prefix - (i * 8)));
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return new IPAddress(bytes);
    }

    /// <summary>Normalizes SHA-256 fingerprints to Postfix's form: upper-case hex pairs joined by colons.</summary>
    private static List<string> NormalizeFingerprints(IReadOnlyList<string> fingerprints, List<string> problems)
    {
        var normalized = new List<string>();
        foreach (var entry in fingerprints ?? Array.Empty<string>())
        {
            var hex = (entry ?? string.Empty).Replace(":", string.Empty).Trim().ToUpperInvariant();
            if (hex.Length != 64 || hex.Any(c => !Uri.IsHexDigit(c)))
            {
                problems.Add($"'{entry}' is not a SHA-256 fingerprint (64 hexadecimal digits, colons allowed)");
                continue;
            }

            var pairs = Enumerable.Range(0, 32).Select(i => hex.Substring(i * 2, 2));
            normalized.Add(string.Join(":", pairs));
        }

        return normalized;
    }

    private static void CheckPath(string what, string path, List<string> problems)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/' || path.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '$' or ',' or '{' or '}' or '#'))
        {
            problems.Add($"the {what} '{path}' must be an absolute path without spaces or any of $ , {{ }} #");
        }
    }

    private static bool IsSocketmapEndpoint(string endpoint)
    {
        if (string.IsNullOrEmpty(endpoint))
        {
            return false;
        }

        if (endpoint.StartsWith("unix:", StringComparison.Ordinal))
        {
            var path = endpoint.Substring(5);
            var problems = new List<string>();
            CheckPath("socket", path, problems);
            return problems.Count == 0 && path.IndexOf(':') < 0;
        }

        if (!endpoint.StartsWith("inet:", StringComparison.Ordinal))
        {
            return false;
        }

        var rest = endpoint.Substring(5);
        var colon = rest.LastIndexOf(':');
        return colon > 0
            && int.TryParse(rest.Substring(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65_535
            && (IPAddress.TryParse(rest.Substring(0, colon).Trim('[', ']'), out _) || DomainName.TryNormalize(rest.Substring(0, colon), out _));
    }

    private static bool IsToken(string value) =>
        !string.IsNullOrEmpty(value) && value.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '_');
}
