using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using DnsClient.Protocol;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Network;

/// <summary>What one MX must meet, and whether what was observed of it meets it.</summary>
public sealed class MxRequirementCheck
{
    internal MxRequirementCheck(string host, string requirement, bool enforced, bool? met, string detail)
    {
        Host = host;
        Requirement = requirement;
        Enforced = enforced;
        Met = met;
        Detail = detail;
    }

    /// <summary>Gets the MX host name.</summary>
    public string Host { get; }

    /// <summary>Gets what the evidence requires of this MX, for example "DANE: certificate matches the TLSA records".</summary>
    public string Requirement { get; }

    /// <summary>Gets a value indicating whether an enforced policy (MTA-STS <c>enforce</c>, DANE) requires it, so a
    /// failure is a policy violation (possibly an attack) rather than a property of the domain.</summary>
    public bool Enforced { get; }

    /// <summary>Gets whether the observation meets the requirement; <see langword="null"/> when nothing was observed
    /// (then only a route that enforces the requirement at delivery can meet it).</summary>
    public bool? Met { get; }

    /// <summary>Gets what was observed, in words.</summary>
    public string Detail { get; }
}

/// <summary>A domain's network profile and the per-MX requirement checks behind it.</summary>
internal sealed class ProfileEvaluation
{
    public ProfileEvaluation(DomainProfile profile, IReadOnlyList<MxRequirementCheck> hosts, RememberedDeclaration? remember)
    {
        Profile = profile;
        Hosts = hosts;
        Remember = remember;
    }

    public DomainProfile Profile { get; }

    public IReadOnlyList<MxRequirementCheck> Hosts { get; }

    /// <summary>Gets an authenticated declaration to remember for its max-age, or <see langword="null"/>.</summary>
    public RememberedDeclaration? Remember { get; }
}

/// <summary>An authenticated declared record seen earlier, kept for its max-age.</summary>
internal sealed class RememberedDeclaration
{
    public RememberedDeclaration(DeclaredRecord record, DateTimeOffset seen, DateTimeOffset expires)
    {
        Record = record;
        Seen = seen;
        Expires = expires;
    }

    public DeclaredRecord Record { get; }

    public DateTimeOffset Seen { get; }

    public DateTimeOffset Expires { get; }
}

/// <summary>
/// The trust rule (docs/protocol.md §3–§5, docs/policy-resolution.md): turns <see cref="DomainEvidence"/> and SMTP
/// observations of the domain's MX hosts into a profile. Pure: no I/O.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Level 1 only from authenticated transport evidence: MTA-STS <c>enforce</c> (RFC 8461 §5), DANE on every MX of a
/// DNSSEC-secure MX RRset (RFC 7672 §2.2, §2.2.1), or an authenticated declaration bound to a DNSSEC-secure MX RRset
/// (the route then pins the MX names). Database entries and overrides are added by <see cref="ProfileResolver"/>.</item>
/// <item>Declarations count only when authenticated: the declared record with the AD bit of a trusted validator and a
/// DNSSEC-secure MX RRset; the <c>linksecure</c> key of an <c>enforce</c> policy; the <c>LINKSECURE</c> EHLO keyword heard
/// in a session authenticated for a host of the authenticated MX set (secure MX RRset, or a host matching the enforced
/// MTA-STS names). Unauthenticated ones are evidence marked "not counted", unless
/// <c>resolver.acceptUnauthenticatedDeclarations</c> is on.</item>
/// <item>Every MX must meet the evidence. An observed failure on an MX under an enforced policy is a temporary failure
/// (<see cref="TemporaryFailureKind.PolicyViolation"/>: it may be an attack); any other observed failure defeats the
/// level.</item>
/// </list>
/// </remarks>
internal static class ProfileBuilder
{
    private const string SecureMxSource = "the DNSSEC-secure MX RRset";
    internal const string UnauthenticatedMxSource = "the MX RRset (unauthenticated; resolver.acceptUnauthenticatedDeclarations)";

    public static ProfileEvaluation Build(DomainEvidence evidence, IReadOnlyList<Network.LearnedCapabilities> observations, bool acceptUnauthenticated, RememberedDeclaration? remembered, DateTimeOffset now)
    {
        var domain = evidence.Domain;
        if (evidence.MxPart.Status != ProfileStatus.Ok)
        {
            return new ProfileEvaluation(evidence.MxPart, Array.Empty<MxRequirementCheck>(), null);
        }

        var hosts = evidence.Hosts.Select(h => h.Name).ToList();
        var sts = evidence.Sts;
        var stsPart = StsPart(domain, sts, hosts);
        var enforcedPolicy = sts.TemporaryFailure is null && sts.Policy is { Mode: MtaStsMode.Enforce } ? sts.Policy : null;
        var danePart = DanePart(evidence);
        var declared = DeclaredPart(evidence, enforcedPolicy is not null || danePart.TransportEnforced, acceptUnauthenticated, remembered, now, out var remember);
        var byHost = observations.Where(o => string.Equals(o.Domain, domain, StringComparison.Ordinal)).GroupBy(o => o.Host, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.OrderByDescending(o => o.ObservedAt).First(), StringComparer.Ordinal);

        var checks = new List<MxRequirementCheck>();
        var violations = new List<string>();
        var failures = new List<string>();
        foreach (var host in evidence.Hosts)
        {
            byHost.TryGetValue(host.Name, out var seen);
            var check = CheckHost(host, enforcedPolicy, seen);
            checks.Add(check);
            if (check.Met == false)
            {
                (check.Enforced ? violations : failures).Add(check.Host + ": " + check.Detail);
            }
        }

        var learned = LearnedPart(evidence, enforcedPolicy, byHost, acceptUnauthenticated);
        var parts = new List<DomainProfile> { evidence.MxPart, stsPart, danePart };
        if (declared is not null)
        {
            parts.Add(declared);
        }

        if (learned is not null)
        {
            parts.Add(learned);
        }

        var combined = DomainProfile.Combine(domain, parts);
        if (violations.Count > 0 && combined.Status == ProfileStatus.Ok)
        {
            var reason = "an MX failed the TLS requirement of the domain's enforced policy, which may be an attack on the path: " + string.Join("; ", violations) + " (RFC 8461 §5, RFC 7672 §2.2)";
            combined = DomainProfile.Combine(domain, new[] { combined, DomainProfile.TemporaryFailure(domain, TemporaryFailureKind.PolicyViolation, reason) });
        }
        else if (failures.Count > 0 && combined.TlsFailure is null)
        {
            combined = DomainProfile.Combine(domain, new[] { combined, new DomainProfile(domain) { TlsFailure = string.Join("; ", failures) } });
        }

        return new ProfileEvaluation(combined, checks, remember);
    }

    /// <summary>The MTA-STS part for the domain's MX hosts (RFC 8461 §4.1, §5): only <c>enforce</c> gives transport
    /// evidence, pinning the policy's names; its <c>linksecure</c> key is an authenticated declaration (the policy was
    /// fetched over authenticated HTTPS, §3.3).</summary>
    internal static DomainProfile StsPart(string domain, MtaStsResult result, List<string> mxHosts)
    {
        if (result.TemporaryFailure is not null)
        {
            return new DomainProfile(domain) { Status = ProfileStatus.TemporaryFailure, FailureKind = result.FailureKind, FailureReason = result.TemporaryFailure, Evidence = result.Evidence };
        }

        var policy = result.Policy;
        if (policy is null || policy.Mode != MtaStsMode.Enforce || mxHosts.Count == 0)
        {
            return new DomainProfile(domain) { Evidence = result.Evidence };
        }

        var nonMatching = mxHosts.Where(h => !policy.Matches(h)).ToList();
        var evidence = result.Evidence.Concat(nonMatching.Select(h => new Evidence(EvidenceSource.MtaSts, h + " does not match the policy's mx patterns; senders must not deliver to it (RFC 8461 §4.1)"))).ToList();
        if (nonMatching.Count == mxHosts.Count)
        {
            // The MX answer contradicts the authenticated policy: a forged MX answer looks exactly like this (RFC 8461 §10).
            var reason = $"no MX host of {domain} ({string.Join(", ", mxHosts)}) matches its MTA-STS policy (mx {string.Join(", ", policy.MxPatterns)}); with mode enforce delivery must wait, since this may be a forged MX answer (RFC 8461 §4.1, §5, §10)";
            return new DomainProfile(domain) { Status = ProfileStatus.TemporaryFailure, FailureKind = TemporaryFailureKind.PolicyViolation, FailureReason = reason, Evidence = evidence };
        }

        var declared = LinkSecurityLevel.None;
        if (policy.DeclaredLevel is { } level)
        {
            declared = level;
            evidence.Add(new Evidence(EvidenceSource.MtaSts, string.Format(CultureInfo.InvariantCulture, "the enforced policy declares linksecure: {0} (authenticated by the policy's HTTPS fetch, RFC 8461 §3.3)", (int)level), level, result.PolicyExpires) { Authenticated = true });
        }

        return new DomainProfile(domain) { TransportEnforced = true, DeclaredLevel = declared, Tls = new TlsRequirement(TlsMode.Pkix, policy.MxPatterns, "the MTA-STS policy"), Evidence = evidence };
    }

    private static DomainProfile DanePart(DomainEvidence evidence)
    {
        if (evidence.DaneNotEvaluated is { } why)
        {
            return new DomainProfile(evidence.Domain) { Evidence = new[] { new Evidence(EvidenceSource.Dane, why) } };
        }

        var results = evidence.Hosts.Select(h => h.Dane).OfType<DaneHostResult>().ToList();
        return results.Count == 0 ? new DomainProfile(evidence.Domain) : DaneEvaluator.ToProfile(evidence.Domain, results);
    }

    private static MxRequirementCheck CheckHost(MxHostEvidence host, MtaStsPolicy? enforcedPolicy, Network.LearnedCapabilities? seen)
    {
        string requirement;
        bool enforced;
        Func<Network.LearnedCapabilities, bool> meets;
        if (host.Dane?.Status == DaneHostStatus.Usable)
        {
            requirement = "DANE: the certificate matches the DNSSEC-validated TLSA records (RFC 7672 §3)";
            enforced = true;
            meets = o => o.StartTls && o.DaneMatched;
        }
        else if (enforcedPolicy is not null)
        {
            if (!enforcedPolicy.Matches(host.Name))
            {
                return new MxRequirementCheck(host.Name, "MTA-STS: not used — " + host.Name + " does not match the policy's mx names, so senders must not deliver to it (RFC 8461 §4.1)", false, null, seen is null ? "not observed" : "not counted");
            }

            requirement = "MTA-STS: a certificate valid for " + host.Name + ", which matches the policy's mx names (RFC 8461 §4)";
            enforced = true;
            meets = o => o.StartTls && o.CertificateValid;
        }
        else
        {
            requirement = "STARTTLS with a certificate valid for " + host.Name + " (PKIX)";
            enforced = false;
            meets = o => o.StartTls && o.CertificateValid;
        }

        if (seen is null)
        {
            return new MxRequirementCheck(host.Name, requirement, enforced, null, "not observed");
        }

        var ok = meets(seen);
        var detail = !seen.StartTls ? "no STARTTLS (or the handshake failed)"
            : ok ? (seen.DaneMatched ? "TLS, TLSA matched" : "TLS, certificate valid")
            : host.Dane?.Status == DaneHostStatus.Usable ? "the certificate does not match the TLSA records" + (seen.CertificateProblem is null ? string.Empty : " (" + seen.CertificateProblem + ")")
            : "certificate not valid" + (seen.CertificateProblem is null ? string.Empty : ": " + seen.CertificateProblem);
        return new MxRequirementCheck(host.Name, requirement, enforced, ok, detail + string.Format(CultureInfo.InvariantCulture, " (observed {0:yyyy-MM-dd HH:mm}Z)", seen.ObservedAt.UtcDateTime));
    }

    private static DomainProfile? DeclaredPart(DomainEvidence evidence, bool transportSettled, bool acceptUnauthenticated, RememberedDeclaration? remembered, DateTimeOffset now, out RememberedDeclaration? remember)
    {
        remember = null;
        var domain = evidence.Domain;
        var name = EvidenceCollector.DeclaredName(domain);
        var answer = evidence.Declared;
        if (answer is null)
        {
            return null;
        }

        if (answer.Outcome == DnsOutcome.Records && DeclaredRecord.TrySelect(answer.Of<TxtRecord>().Select(r => string.Concat(r.Text)), out var record, out var problem))
        {
            var signed = answer.Authenticated && evidence.MxSecure;
            if (signed)
            {
                remember = new RememberedDeclaration(record!, now, now + record!.MaxAge);
                return Counted(domain, name + ": " + record + " (DNSSEC-authenticated, bound to the DNSSEC-secure MX RRset)", record.Level, remember.Expires, evidence, SecureMxSource, true);
            }

            var why = !answer.Authenticated
                ? "not DNSSEC-authenticated (an unsigned zone, or no trusted validating resolver)"
                : "DNSSEC-authenticated, but the MX RRset is not DNSSEC-secure, so it binds to no authenticated MX set";
            if (acceptUnauthenticated)
            {
                return Counted(domain, name + ": " + record + " (" + why + "; counted because resolver.acceptUnauthenticatedDeclarations is on: no protection against active attackers)", record!.Level, null, evidence, UnauthenticatedMxSource, false);
            }

            return new DomainProfile(domain) { Evidence = new[] { new Evidence(EvidenceSource.DeclaredRecord, name + ": " + record + " — " + why + "; not counted") } };
        }

        if (remembered is not null && remembered.Expires > now && evidence.MxSecure)
        {
            var note = answer.IsFailure ? answer.Describe() : answer.Outcome == DnsOutcome.Records ? "no valid v=LS1 record" : name + " is no longer published";
            return Counted(domain, name + ": " + remembered.Record + " (seen " + remembered.Seen.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + "Z, DNSSEC-authenticated; still applies for its max-age: " + note + ")", remembered.Record.Level, remembered.Expires, evidence, SecureMxSource, true);
        }

        if (answer.IsFailure)
        {
            // RFC 7672 §2.1.1 / F8: a failed lookup of an optional record defers only where the declaration could
            // create the level (a DNSSEC-secure MX set and no MTA-STS or DANE); elsewhere it is evidence.
            if (evidence.MxSecure && !transportSettled)
            {
                return new DomainProfile(domain)
                {
                    Status = ProfileStatus.TemporaryFailure,
                    FailureKind = answer.Outcome == DnsOutcome.Timeout ? TemporaryFailureKind.Timeout : answer.Outcome == DnsOutcome.ServerFailure && evidence.Validating ? TemporaryFailureKind.Dnssec : TemporaryFailureKind.Lookup,
                    FailureReason = answer.Describe() + "; " + domain + " has a DNSSEC-secure MX RRset and no MTA-STS or DANE evidence, so its declaration decides",
                };
            }

            return new DomainProfile(domain) { Evidence = new[] { new Evidence(EvidenceSource.DeclaredRecord, answer.Describe() + "; " + (transportSettled ? "the level rests on MTA-STS or DANE alone" : "a declaration could not count here anyway (the MX RRset is not DNSSEC-secure)")) } };
        }

        if (answer.Outcome == DnsOutcome.Records)
        {
            DeclaredRecord.TrySelect(answer.Of<TxtRecord>().Select(r => string.Concat(r.Text)), out _, out var problem2);
            return problem2 is null ? null : new DomainProfile(domain) { Evidence = new[] { new Evidence(EvidenceSource.DeclaredRecord, name + ": " + problem2 + "; ignored") } };
        }

        return null;
    }

    private static DomainProfile Counted(string domain, string detail, LinkSecurityLevel level, DateTimeOffset? expires, DomainEvidence evidence, string pinSource, bool authenticated) =>
        new(domain)
        {
            DeclaredLevel = level,
            TransportEnforced = level >= LinkSecurityLevel.TransportSecure,
            Tls = new TlsRequirement(TlsMode.Pkix, evidence.HostNames, pinSource),
            Evidence = new[] { new Evidence(EvidenceSource.DeclaredRecord, detail, level, expires) { Authenticated = authenticated } },
        };

    private static DomainProfile? LearnedPart(DomainEvidence evidence, MtaStsPolicy? enforcedPolicy, Dictionary<string, Network.LearnedCapabilities> byHost, bool acceptUnauthenticated)
    {
        if (byHost.Count == 0)
        {
            return null;
        }

        var domain = evidence.Domain;
        var list = new List<Evidence>();
        var keywordLevels = new List<LinkSecurityLevel>();
        var everyAuthenticated = true;
        var until = DateTimeOffset.MaxValue;
        var requireTls = evidence.Hosts.Count > 0;
        foreach (var host in evidence.Hosts)
        {
            if (!byHost.TryGetValue(host.Name, out var o))
            {
                everyAuthenticated = false;
                requireTls = false;
                keywordLevels.Add(LinkSecurityLevel.None);
                continue;
            }

            // LINKSECURE counts only from a session authenticated for a host of the authenticated MX set.
            var inAuthenticatedSet = evidence.MxSecure || (enforcedPolicy?.Matches(host.Name) ?? false);
            var authenticated = o.Authenticated && inAuthenticatedSet;
            everyAuthenticated &= authenticated;
            requireTls &= o.RequireTls && authenticated;
            keywordLevels.Add(o.LinkSecureLevel);
            if (o.Expires < until)
            {
                until = o.Expires;
            }

            var note = o.LinkSecureLevel == LinkSecurityLevel.None ? string.Empty
                : authenticated ? "; LINKSECURE heard in an authenticated session"
                : "; LINKSECURE not counted: " + (!o.Authenticated ? "the session was not authenticated" : "the host is not in an authenticated MX set (the MX RRset is not DNSSEC-secure and no enforced MTA-STS name matches)");
            list.Add(new Evidence(EvidenceSource.LearnedCapabilities, o + note, LinkSecurityLevel.None, o.Expires) { Authenticated = authenticated });
        }

        var level = LinkSecurityLevel.None;
        var transport = false;
        var tls = TlsRequirement.None;
        if (keywordLevels.Count > 0 && keywordLevels.All(l => l > LinkSecurityLevel.None) && (everyAuthenticated || acceptUnauthenticated))
        {
            level = keywordLevels.Min();
            var counted = everyAuthenticated ? "every MX announced LINKSECURE {0} or higher in an authenticated session" : "every MX announced LINKSECURE {0} or higher (unauthenticated; counted because resolver.acceptUnauthenticatedDeclarations is on)";
            list.Add(new Evidence(EvidenceSource.EhloKeyword, string.Format(CultureInfo.InvariantCulture, counted, (int)level), level, until) { Authenticated = everyAuthenticated });
            if (evidence.MxSecure || !everyAuthenticated)
            {
                transport = true;
                tls = new TlsRequirement(TlsMode.Pkix, evidence.HostNames, evidence.MxSecure ? SecureMxSource : UnauthenticatedMxSource);
            }
        }

        if (requireTls)
        {
            list.Add(new Evidence(EvidenceSource.LearnedCapabilities, "every MX advertised REQUIRETLS in an authenticated session; not counted toward level 3: no route of this server sends the REQUIRETLS parameter (RFC 8689 §4)"));
        }

        return new DomainProfile(domain) { DeclaredLevel = level, TransportEnforced = transport, Tls = tls, RequireTlsOnEveryMx = requireTls, Evidence = list };
    }
}
