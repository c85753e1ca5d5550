using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using DnsClient;
using LinkSecure.Core.Configuration;

namespace LinkSecure.Core.Network;

/// <summary>
/// The one place that turns <see cref="ResolverSettings"/> into the DNS client every lookup goes through (MX, A/AAAA,
/// TLSA, <c>_mta-sts</c> TXT, <c>_linksecure</c> TXT), and decides whether its AD bit is believed.
/// </summary>
/// <remarks>
/// <para><b>Trust rule.</b> This project does not validate DNSSEC itself: the DNSSEC status of an answer is the AD bit
/// of the resolver that sent it, so that resolver must be one an attacker on the path cannot impersonate (RFC 7672
/// §2.1: DNSSEC status comes from a trusted validating resolver, in practice local or on a protected path; RFC 4035
/// §4.9.3 and RFC 6840 §5.7 on the AD bit: a stub resolver may rely on it only from a validating resolver it trusts,
/// reached over a secure channel). The AD bit is believed</para>
/// <list type="bullet">
/// <item><description>from the servers in <c>resolver.validatingDnsServers</c>: an administrator named them. One that is
/// not on a loopback address gets a warning, because its AD bit then crosses an unprotected network path;</description></item>
/// <item><description>or, when neither <c>resolver.dnsServers</c> nor <c>resolver.validatingDnsServers</c> is configured,
/// from the system's resolver when every system name server is a loopback address (127.0.0.0/8 or ::1), the local
/// validating resolver that Postfix's <c>smtp_dns_support_level = dnssec</c> assumes.</description></item>
/// </list>
/// <para>Servers in <c>resolver.dnsServers</c> are never believed, and a system resolver list with any non-loopback
/// server is not either. When a validating resolver exists, <em>every</em> query goes through it (the plain servers
/// are not used), so no answer can be stripped of its signatures on a non-validating path. The validating client does
/// not move on to its next server after an error response (DnsClient's <c>ContinueOnDnsError = false</c>): a SERVFAIL
/// from a validator means bogus or indeterminate (RFC 7672 §2.1.1) and is returned, never replaced by another server's
/// unauthenticated answer.</para>
/// <para>What this cannot tell: whether a loopback server really validates, or only passes on an upstream AD bit (a
/// forwarder such as dnsmasq with <c>proxy-dnssec</c>). <see cref="SelfTestAsync"/> finds resolvers that clear the AD
/// bit; a pass-through forwarder must be ruled out by the administrator (the usual loopback forwarders, systemd-resolved
/// and Docker's embedded DNS, get a warning).</para>
/// </remarks>
internal sealed class DnsResolvers
{
    private const string Unknown = "DNSSEC status unknown: DANE and signed declarations cannot be used";

    private readonly string probeName;

    private DnsResolvers(DnsLookup lookup, string description, IReadOnlyList<string> warnings, string probeName)
    {
        Lookup = lookup;
        Description = description;
        Warnings = warnings;
        this.probeName = probeName;
    }

    /// <summary>Gets the client every query goes through: the trusted validating resolver when there is one, otherwise
    /// the plain resolver.</summary>
    public DnsLookup Lookup { get; }

    /// <summary>Gets a value indicating whether the AD bit of <see cref="Lookup"/>'s answers is believed.</summary>
    public bool IsValidating => Lookup.IsValidating;

    /// <summary>Gets a description for output and logs, such as
    /// "validating resolver 127.0.0.1:53 (system resolver on loopback)".</summary>
    public string Description { get; }

    /// <summary>Gets warnings about the resolver configuration (a remote validator, ignored settings), for output and
    /// logs.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Builds the resolvers from the settings, with the system's name servers when none are configured.</summary>
    /// <param name="settings">The <c>resolver</c> settings.</param>
    /// <returns>The resolvers.</returns>
    /// <exception cref="NoNameServerException">No server is configured and the system lists none.</exception>
    public static DnsResolvers Create(ResolverSettings settings) => Create(settings, SystemServers);

    /// <summary>Builds the resolvers; the system's name servers come from <paramref name="systemServers"/>, which is
    /// called only when the settings name no server (tests pass a fixed list).</summary>
    /// <param name="settings">The <c>resolver</c> settings.</param>
    /// <param name="systemServers">Lists the system's name servers.</param>
    /// <returns>The resolvers.</returns>
    /// <exception cref="NoNameServerException">No server is configured and <paramref name="systemServers"/> lists none.</exception>
    internal static DnsResolvers Create(ResolverSettings settings, Func<IReadOnlyList<IPEndPoint>> systemServers)
    {
        if (settings is null)
        {
            throw new ArgumentNullException(nameof(settings));
        }

        if (systemServers is null)
        {
            throw new ArgumentNullException(nameof(systemServers));
        }

        var plain = settings.DnsServers.Select(Parse).ToArray();
        var validating = settings.ValidatingDnsServers.Select(Parse).ToArray();
        var warnings = new List<string>();
        if (validating.Length > 0)
        {
            // Named by the administrator: believed (RFC 7672 §2.1), with a warning when the path is not the host itself.
            var remote = validating.Where(s => !IsLoopback(s.Address)).ToArray();
            foreach (var server in remote)
            {
                warnings.Add(string.Format(CultureInfo.InvariantCulture, "resolver.validatingDnsServers: {0} is not a loopback address, so its AD bit is trusted over an unprotected network path: anyone on that path can forge DNSSEC-authenticated answers (RFC 7672 §2.1). Run the validating resolver on this host.", server));
            }

            if (plain.Length > 0)
            {
                warnings.Add(string.Format(CultureInfo.InvariantCulture, "resolver.dnsServers ({0}) are not used: with a validating resolver every query goes through it, so no answer can be stripped of its DNSSEC status on another path.", Join(plain)));
            }

            var note = remote.Length == 0
                ? "resolver.validatingDnsServers"
                : "resolver.validatingDnsServers; warning: AD bit is trusted over an unprotected network path";
            return new DnsResolvers(
                new DnsLookup(validating, settings, validating: true),
                string.Format(CultureInfo.InvariantCulture, "validating {0} {1} ({2})", Noun(validating.Length), Join(validating), note),
                warnings,
                settings.DnssecProbeName);
        }

        if (plain.Length > 0)
        {
            // Explicitly configured plain servers are never believed, wherever they are.
            return new DnsResolvers(
                new DnsLookup(plain, settings, validating: false),
                string.Format(CultureInfo.InvariantCulture, "non-validating {0} {1} ({2})", Noun(plain.Length), Join(plain), Unknown),
                warnings,
                settings.DnssecProbeName);
        }

        var system = systemServers();
        if (system.Count == 0)
        {
            throw new NoNameServerException();
        }

        if (system.All(s => IsLoopback(s.Address)))
        {
            // The local validating resolver that Postfix's smtp_dns_support_level = dnssec assumes.
            foreach (var server in system)
            {
                if (KnownForwarder(server) is { } forwarder)
                {
                    warnings.Add(string.Format(CultureInfo.InvariantCulture, "system resolver {0} is usually {1}, a forwarder rather than a validator: it may pass an upstream AD bit on unchecked, which the DNSSEC self-test cannot detect. Run a validating resolver (unbound) on this host and name it in resolver.validatingDnsServers.", server, forwarder));
                }
            }

            return new DnsResolvers(
                new DnsLookup(system, settings, validating: true),
                string.Format(CultureInfo.InvariantCulture, "validating {0} {1} (system {0} on loopback)", Noun(system.Count), Join(system)),
                warnings,
                settings.DnssecProbeName);
        }

        return new DnsResolvers(
            new DnsLookup(system, settings, validating: false),
            string.Format(CultureInfo.InvariantCulture, "non-validating {0} {1} (system {0}, not all on loopback; {2})", Noun(system.Count), Join(system), Unknown),
            warnings,
            settings.DnssecProbeName);
    }

    /// <summary>Lists the system's name servers: the platform's (DnsClient's <see cref="NameServer.ResolveNameServers"/>,
    /// never with its public-DNS fallback), else the <c>nameserver</c> lines of <c>/etc/resolv.conf</c>.</summary>
    /// <returns>The servers; empty when none is found.</returns>
    internal static IReadOnlyList<IPEndPoint> SystemServers() => SystemServers(PlatformServers, ResolvConf.DefaultPath);

    /// <summary>Lists the system's name servers from <paramref name="platform"/>, else from the resolver configuration
    /// file at <paramref name="resolvConfPath"/>.</summary>
    /// <param name="platform">The platform's list; it may throw (DnsClient does when it finds no interface).</param>
    /// <param name="resolvConfPath">The resolver configuration file.</param>
    /// <returns>The servers; empty when none is found.</returns>
    internal static IReadOnlyList<IPEndPoint> SystemServers(Func<IReadOnlyList<IPEndPoint>> platform, string resolvConfPath)
    {
        IReadOnlyList<IPEndPoint> found;
        try
        {
            found = platform();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or System.Net.NetworkInformation.NetworkInformationException or PlatformNotSupportedException)
        {
            found = Array.Empty<IPEndPoint>();
        }

        return found.Count > 0 ? found : ResolvConf.ReadNameServers(resolvConfPath);
    }

    /// <summary>
    /// The DNSSEC self-test: asks <see cref="Lookup"/> for the DNSKEY RRset of <c>resolver.dnssecProbeName</c> (the
    /// root zone by default) and looks at the AD bit (RFC 4035 §3.2.3: set only when the validator finds the answer
    /// authentic), as Postfix's
    /// <c>dnssec_probe</c> does. It shows a resolver that does not validate; it cannot show one that passes an upstream
    /// AD bit through.
    /// </summary>
    /// <param name="cancellationToken">Stops the test; it then reports <see cref="DnssecSelfTestStatus.Failed"/>.</param>
    /// <returns>The result; never throws for DNS outcomes.</returns>
    public async Task<DnssecSelfTestResult> SelfTestAsync(CancellationToken cancellationToken)
    {
        var probe = probeName == "." ? ". DNSKEY" : probeName + " DNSKEY";
        if (!IsValidating)
        {
            return new DnssecSelfTestResult(DnssecSelfTestStatus.NoValidator, "no trusted validating resolver is configured (resolver.validatingDnsServers), nor a system resolver on loopback: " + Description, Lookup.Servers, probeName);
        }

        var answer = await Lookup.QueryAsync(probeName, QueryType.DNSKEY, cancellationToken).ConfigureAwait(false);
        var server = answer.Server ?? Lookup.Servers;
        if (answer.IsFailure)
        {
            var hint = answer.Outcome == DnsOutcome.ServerFailure
                ? "; a validator answers SERVFAIL when validation fails, for example with a wrong trust anchor or clock (RFC 7672 §2.1.1)"
                : string.Empty;
            return new DnssecSelfTestResult(DnssecSelfTestStatus.Failed, "DNSSEC self-test failed: " + answer.Describe() + hint, server, probeName);
        }

        if (answer.Authenticated)
        {
            return new DnssecSelfTestResult(DnssecSelfTestStatus.Ok, string.Format(CultureInfo.InvariantCulture, "resolver {0} validates DNSSEC: the answer to '{1}' has the AD bit", server, probe), server, probeName);
        }

        var zone = probeName == "." ? string.Empty : string.Format(CultureInfo.InvariantCulture, ", or {0} is not in a zone signed under its trust anchor (resolver.dnssecProbeName)", probeName);
        return new DnssecSelfTestResult(
            DnssecSelfTestStatus.NotValidating,
            string.Format(CultureInfo.InvariantCulture, "resolver {0} does not validate DNSSEC; DANE and signed declarations will not be used (the answer to '{1}' has no AD bit{2})", server, probe, zone),
            server,
            probeName);
    }

    /// <summary>127.0.0.0/8 and ::1, also written as IPv4-mapped IPv6 (<c>::ffff:127.0.0.1</c>).</summary>
    internal static bool IsLoopback(IPAddress address) =>
        IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    /// <summary>Loopback addresses that are, by convention, forwarders: systemd-resolved's stub (127.0.0.53) and proxy
    /// stub (127.0.0.54), Docker's embedded DNS (127.0.0.11).</summary>
    private static string? KnownForwarder(IPEndPoint server)
    {
        if (server.Port != 53)
        {
            return null;
        }

        var address = server.Address.IsIPv4MappedToIPv6 ? server.Address.MapToIPv4() : server.Address;
        return address.ToString() switch
        {
            "127.0.0.53" => "systemd-resolved's stub resolver",
            "127.0.0.54" => "systemd-resolved's proxy stub",
            "127.0.0.11" => "Docker's embedded DNS server",
            _ => null,
        };
    }

    private static IReadOnlyList<IPEndPoint> PlatformServers() =>
        NameServer.ResolveNameServers(skipIPv6SiteLocal: true, fallbackToGooglePublicDns: false)
            .Select(s => new IPEndPoint(IPAddress.Parse(s.Address), s.Port))
            .ToArray();

    private static IPEndPoint Parse(string server) =>
        ResolverSettings.TryParseServer(server, out var endpoint)
            ? endpoint
            : throw new ArgumentException($"'{server}' is not an IP address with an optional port.", nameof(server));

    private static string Noun(int count) => count == 1 ? "resolver" : "resolvers";

    private static string Join(IEnumerable<IPEndPoint> servers) => string.Join(", ", servers.Select(s => s.ToString()));
}
