using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using DnsClient;
using DnsClient.Protocol;
using LinkSecure.Core.Probing;
using LinkSecure.Core.Profiles;

namespace LinkSecure.Core.Network;

/// <summary>One MX host of a domain, with what DNS said about it.</summary>
internal sealed class MxHostEvidence
{
    public MxHostEvidence(string name, int preference)
    {
        Name = name;
        Preference = preference;
    }

    public string Name { get; }

    public int Preference { get; }

    /// <summary>Gets the DANE status of the host; <see langword="null"/> when DANE was not evaluated (no validating
    /// resolver, or an insecure MX RRset: RFC 7672 §2.2.1).</summary>
    public DaneHostResult? Dane { get; set; }

    /// <summary>Gets the host's addresses (only collected for probing).</summary>
    public IReadOnlyList<IPAddress> Addresses { get; set; } = Array.Empty<IPAddress>();

    /// <summary>Gets why the addresses could not be found, or <see langword="null"/>.</summary>
    public string? AddressError { get; set; }
}

/// <summary>
/// Everything the network says about a domain before any SMTP observation: the MX RRset and whether it is
/// DNSSEC-secure, DANE per MX host, the MTA-STS result and the declared-record answer. The one evaluation path shared by
/// the agent's profile source and <c>linksecure check</c>: <see cref="EvidenceCollector"/> gathers it,
/// <see cref="ProfileBuilder"/> turns it (with observations) into a profile.
/// </summary>
internal sealed class DomainEvidence
{
    public DomainEvidence(string domain)
    {
        Domain = domain;
    }

    public string Domain { get; }

    /// <summary>Gets the MX profile part (null MX, failure, or evidence).</summary>
    public DomainProfile MxPart { get; set; } = null!;

    public DnsAnswer Mx { get; set; } = null!;

    public IReadOnlyList<MxHostEvidence> Hosts { get; set; } = Array.Empty<MxHostEvidence>();

    /// <summary>Gets a value indicating whether the MX RRset (or, for an implicit MX, the authenticated denial of MX
    /// records) is DNSSEC-secure from a trusted validating resolver (RFC 7672 §2.2.1, §2.2.2).</summary>
    public bool MxSecure { get; set; }

    /// <summary>Gets why DANE was not evaluated, or <see langword="null"/> when it was.</summary>
    public string? DaneNotEvaluated { get; set; }

    public MtaStsResult Sts { get; set; } = null!;

    public DnsAnswer? Declared { get; set; }

    /// <summary>Gets a value indicating whether the answers came from a trusted validating resolver.</summary>
    public bool Validating { get; set; }

    /// <summary>Gets the smallest TTL of the answers.</summary>
    public TimeSpan Ttl { get; set; }

    public IEnumerable<string> HostNames => Hosts.Select(h => h.Name);
}

/// <summary>
/// Gathers <see cref="DomainEvidence"/>: MX (with its DNSSEC status), then per MX the address and TLSA records (only when
/// the MX RRset is secure, RFC 7672 §2.2.1), together with MTA-STS (RFC 8461) and the declared record
/// <c>_linksecure.&lt;domain&gt;</c>. Independent queries go out in parallel. Every query uses the one configured
/// lookup, which is the trusted validating resolver when there is one, so no answer can be stripped on another path.
/// </summary>
internal sealed class EvidenceCollector
{
    private readonly DnsLookup dns;
    private readonly MtaStsClient mtaSts;

    public EvidenceCollector(DnsLookup dns, MtaStsClient mtaSts)
    {
        this.dns = dns;
        this.mtaSts = mtaSts;
    }

    public MtaStsClient MtaSts => mtaSts;

    public static string DeclaredName(string domain) => "_linksecure." + domain;

    public async Task<DomainEvidence> CollectAsync(string domain, bool withAddresses, TimeSpan ttlCeiling, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var evidence = new DomainEvidence(domain) { Validating = dns.IsValidating };
        var ttl = new TtlTracker(ttlCeiling);

        var mxTask = dns.QueryAsync(domain, QueryType.MX, cancellationToken);
        var stsTxtTask = dns.QueryAsync(MtaStsClient.RecordName(domain), QueryType.TXT, cancellationToken);
        var declaredTask = dns.QueryAsync(DeclaredName(domain), QueryType.TXT, cancellationToken);
        var policyHost = MtaStsClient.PolicyHost(domain);
        Task<HostAddresses>? speculative = mtaSts.HasCachedPolicy(domain) ? null : ResolveAddressesAsync(policyHost, cancellationToken);
        var stsTask = mtaSts.EvaluateAsync(domain, stsTxtTask, () => speculative ?? ResolveAddressesAsync(policyHost, cancellationToken), cancellationToken);

        var mx = await mxTask.ConfigureAwait(false);
        evidence.Mx = mx;
        ttl.Add(mx.Ttl);
        evidence.MxPart = MxPart(domain, mx, dns.IsValidating, out var hosts);
        evidence.Hosts = hosts;
        evidence.MxSecure = dns.IsValidating && mx.Authenticated && mx.Outcome is DnsOutcome.Records or DnsOutcome.NoData;
        if (!dns.IsValidating)
        {
            evidence.DaneNotEvaluated = "DANE not checked: no trusted validating resolver (resolver.validatingDnsServers, or a system resolver on loopback), so DNSSEC status is unknown";
        }
        else if (!evidence.MxSecure && hosts.Count > 0)
        {
            evidence.DaneNotEvaluated = "DANE does not apply: the MX RRset of " + domain + " is not DNSSEC-secure (RFC 7672 §2.2.1)";
        }

        var perHost = hosts.Select(h => HostAsync(h, evidence.MxSecure, withAddresses, ttl, cancellationToken)).ToList();

        var sts = await stsTask.ConfigureAwait(false);
        ttl.Add(sts.TxtTtl);
        if (sts.PolicyExpires is { } policyExpires)
        {
            ttl.Add(policyExpires - now);
        }

        evidence.Sts = sts;
        var declared = await declaredTask.ConfigureAwait(false);
        ttl.Add(declared.Ttl);
        evidence.Declared = declared;
        await Task.WhenAll(perHost).ConfigureAwait(false);
        evidence.Ttl = ttl.Value;
        return evidence;
    }

    public async Task<HostAddresses> ResolveAddressesAsync(string host, CancellationToken cancellationToken)
    {
        var a = dns.QueryAsync(host, QueryType.A, cancellationToken);
        var aaaa = dns.QueryAsync(host, QueryType.AAAA, cancellationToken);
        var answers = new[] { await a.ConfigureAwait(false), await aaaa.ConfigureAwait(false) };
        var addresses = answers[0].Of<ARecord>().Select(r => r.Address).Concat(answers[1].Of<AaaaRecord>().Select(r => r.Address)).ToList();
        var ttl = answers.Min(x => x.Ttl);
        if (addresses.Count > 0)
        {
            return new HostAddresses(addresses, null, false, ttl);
        }

        var failure = answers.FirstOrDefault(x => x.IsFailure);
        return failure is not null
            ? new HostAddresses(addresses, failure.Describe(), false, ttl)
            : new HostAddresses(addresses, null, true, ttl);
    }

    private static bool IsRoot(string name) => name.Length == 0 || name == ".";

    private static DomainProfile MxPart(string domain, DnsAnswer mx, bool validating, out IReadOnlyList<MxHostEvidence> hosts)
    {
        var validated = mx.Authenticated ? " (DNSSEC-validated)" : string.Empty;
        switch (mx.Outcome)
        {
            case DnsOutcome.Records:
                var records = mx.Of<MxRecord>().ToList();
                if (records.Count == 1 && IsRoot(records[0].Exchange.Value))
                {
                    hosts = Array.Empty<MxHostEvidence>();
                    return new DomainProfile(domain)
                    {
                        Status = ProfileStatus.NoMail,
                        Evidence = new[] { new Evidence(EvidenceSource.Mx, domain + " publishes a null MX: it accepts no mail (RFC 7505)" + validated) { Authenticated = mx.Authenticated } },
                    };
                }

                var sorted = records.Where(r => !IsRoot(r.Exchange.Value)).OrderBy(r => r.Preference)
                    .Select(r => new MxHostEvidence(r.Exchange.Value.TrimEnd('.').ToLowerInvariant(), r.Preference))
                    .GroupBy(h => h.Name, StringComparer.Ordinal).Select(g => g.First()).ToList();
                hosts = sorted;
                var list = string.Join(", ", sorted.Select(h => string.Format(CultureInfo.InvariantCulture, "{0} ({1})", h.Name, h.Preference)));
                return new DomainProfile(domain) { Evidence = new[] { new Evidence(EvidenceSource.Mx, "MX " + list + validated) { Authenticated = mx.Authenticated } } };

            case DnsOutcome.NoData:
                hosts = new[] { new MxHostEvidence(domain, 0) };
                return new DomainProfile(domain) { Evidence = new[] { new Evidence(EvidenceSource.Mx, "no MX records; the domain itself is the implicit MX (RFC 5321 §5.1)" + validated) { Authenticated = mx.Authenticated } } };

            case DnsOutcome.NxDomain:
                hosts = Array.Empty<MxHostEvidence>();
                return new DomainProfile(domain) { Evidence = new[] { new Evidence(EvidenceSource.Mx, domain + " does not exist (NXDOMAIN)" + validated) { Authenticated = mx.Authenticated } } };

            default:
                hosts = Array.Empty<MxHostEvidence>();
                var reason = mx.Describe();
                var dnssec = mx.Outcome == DnsOutcome.ServerFailure && validating;
                if (dnssec)
                {
                    reason += "; the validating resolver answers SERVFAIL when DNSSEC validation fails (RFC 7672 §2.1.1)";
                }

                return new DomainProfile(domain)
                {
                    Status = ProfileStatus.TemporaryFailure,
                    FailureKind = mx.Outcome == DnsOutcome.Timeout ? TemporaryFailureKind.Timeout : dnssec ? TemporaryFailureKind.Dnssec : TemporaryFailureKind.Lookup,
                    FailureReason = reason,
                };
        }
    }

    private async Task HostAsync(MxHostEvidence host, bool mxSecure, bool withAddresses, TtlTracker ttl, CancellationToken cancellationToken)
    {
        var dane = dns.IsValidating && mxSecure;
        if (!dane && !withAddresses)
        {
            return;
        }

        var aTask = dns.QueryAsync(host.Name, QueryType.A, cancellationToken);
        var aaaaTask = withAddresses ? dns.QueryAsync(host.Name, QueryType.AAAA, cancellationToken) : null;
        var tlsaTask = dane ? dns.QueryAsync(DaneEvaluator.TlsaName(host.Name), QueryType.TLSA, cancellationToken) : null;
        var a = await aTask.ConfigureAwait(false);
        ttl.Add(a.Ttl);
        if (aaaaTask is not null)
        {
            var aaaa = await aaaaTask.ConfigureAwait(false);
            var addresses = a.Of<ARecord>().Select(r => r.Address).Concat(aaaa.Of<AaaaRecord>().Select(r => r.Address)).Distinct().ToList();
            host.Addresses = addresses;
            if (addresses.Count == 0)
            {
                host.AddressError = a.IsFailure ? a.Describe() : aaaa.IsFailure ? aaaa.Describe() : host.Name + " has no A or AAAA records";
            }
        }

        if (tlsaTask is not null)
        {
            var tlsa = await tlsaTask.ConfigureAwait(false);
            ttl.Add(tlsa.Ttl);
            host.Dane = DaneEvaluator.EvaluateHost(host.Name, a, tlsa);
        }
    }
}

/// <summary>The smallest TTL seen, thread-safe (answers arrive in parallel).</summary>
internal sealed class TtlTracker
{
    private long ticks;

    public TtlTracker(TimeSpan ceiling)
    {
        ticks = ceiling.Ticks;
    }

    public TimeSpan Value => TimeSpan.FromTicks(Interlocked.Read(ref ticks));

    public void Add(TimeSpan ttl)
    {
        var value = Math.Max(0, ttl.Ticks);
        long current;
        do
        {
            current = Interlocked.Read(ref ticks);
            if (value >= current)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref ticks, value, current) != current);
    }
}
