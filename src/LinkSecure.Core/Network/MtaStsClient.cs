using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using DnsClient.Protocol;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Network;

/// <summary>The policy host's addresses, or why there are none.</summary>
internal sealed class HostAddresses
{
    public HostAddresses(IReadOnlyList<IPAddress> addresses, string? failure, bool missing, TimeSpan ttl)
    {
        Addresses = addresses;
        Failure = failure;
        Missing = missing;
        Ttl = ttl;
    }

    public IReadOnlyList<IPAddress> Addresses { get; }

    /// <summary>Gets why the lookup failed temporarily.</summary>
    public string? Failure { get; }

    /// <summary>Gets a value indicating whether DNS says the host has no address (NXDOMAIN or no A/AAAA).</summary>
    public bool Missing { get; }

    public TimeSpan Ttl { get; }
}

/// <summary>What MTA-STS says about a domain right now.</summary>
internal sealed class MtaStsResult
{
    public MtaStsPolicy? Policy { get; init; }

    public string? PolicyId { get; init; }

    public DateTimeOffset? PolicyExpires { get; init; }

    /// <summary>Gets why the outcome is unknown (DNS failure, unreachable or unauthenticated policy host, no cached policy).</summary>
    public string? TemporaryFailure { get; init; }

    public TemporaryFailureKind FailureKind { get; init; }

    public IReadOnlyList<Evidence> Evidence { get; init; } = Array.Empty<Evidence>();

    /// <summary>Gets the TTL of the TXT answer (when to look again for a new id).</summary>
    public TimeSpan TxtTtl { get; init; }
}

/// <summary>
/// The MTA-STS client (RFC 8461): TXT record selection, the policy cache keyed by domain (with its id and
/// <c>max_age</c>), refresh when the id changes or <c>max_age</c> runs out, a cached policy kept when DNS or HTTPS fail
/// (§3.3), and at least five minutes between failed fetches of the same id. No fallback to a parent domain (§3.4):
/// only the recipient domain itself is asked.
/// </summary>
internal sealed class MtaStsClient
{
    /// <summary>The least time between two failed fetches of the same policy id (RFC 8461 §3.3).</summary>
    public static readonly TimeSpan FailedFetchBackoff = TimeSpan.FromMinutes(5);

    private readonly PolicyFetcher fetcher;
    private readonly TimeProvider time;
    private readonly TtlCache<CachedPolicy> policies;
    private readonly TtlCache<FailedFetch> failures;

    public MtaStsClient(PolicyFetcher fetcher, TimeProvider time, int capacity)
    {
        this.fetcher = fetcher;
        this.time = time;
        policies = new TtlCache<CachedPolicy>(capacity);
        failures = new TtlCache<FailedFetch>(capacity);
    }

    public static string RecordName(string domain) => "_mta-sts." + domain;

    public static string PolicyHost(string domain) => "mta-sts." + domain;

    /// <summary>Tells whether an unexpired policy is cached (so a speculative address lookup of the policy host is not needed).</summary>
    public bool HasCachedPolicy(string domain) => policies.TryGetFresh(domain, time.GetUtcNow(), out _);

    public void Forget(string domain)
    {
        policies.Remove(domain);
        failures.Remove(domain);
    }

    public async Task<MtaStsResult> EvaluateAsync(string domain, Task<DnsAnswer> txtTask, Func<Task<HostAddresses>> addresses, CancellationToken cancellationToken)
    {
        var txt = await txtTask.ConfigureAwait(false);
        var now = time.GetUtcNow();
        policies.TryGetFresh(domain, now, out var cached);

        if (txt.IsFailure)
        {
            var reason = txt.Describe();
            return cached is not null
                ? Apply(cached, $"{reason}; the cached policy still applies (RFC 8461 §3.3)", txt.Ttl)
                : new MtaStsResult { TemporaryFailure = reason, FailureKind = KindOf(txt), Evidence = new[] { new Evidence(EvidenceSource.MtaSts, reason) } };
        }

        string? problem = null;
        MtaStsRecord? record = null;
        if (txt.Outcome == DnsOutcome.Records)
        {
            MtaStsRecord.TrySelect(txt.Of<TxtRecord>().Select(r => string.Concat(r.Text)), out record, out problem);
        }

        if (record is null)
        {
            var what = problem ?? "no MTA-STS record at " + RecordName(domain);
            if (cached is not null)
            {
                // A missing or invalid record does not evict a cached policy (RFC 8461 §3.1, §3.3).
                return Apply(cached, what + "; the cached policy still applies until it expires (RFC 8461 §3.3)", txt.Ttl);
            }

            return new MtaStsResult { Evidence = new[] { new Evidence(EvidenceSource.MtaSts, what) }, TxtTtl = txt.Ttl };
        }

        if (cached is not null && string.Equals(cached.Id, record.Id, StringComparison.Ordinal))
        {
            return Apply(cached, null, txt.Ttl);
        }

        PolicyFetchResult result;
        if (failures.TryGetFresh(domain, now, out var failed) && string.Equals(failed!.Id, record.Id, StringComparison.Ordinal))
        {
            result = failed.Result;
        }
        else
        {
            var host = PolicyHost(domain);
            var resolved = await addresses().ConfigureAwait(false);
            if (resolved.Failure is not null)
            {
                result = new PolicyFetchResult(PolicyFetchKind.Failed, resolved.Failure);
            }
            else if (resolved.Missing || resolved.Addresses.Count == 0)
            {
                result = new PolicyFetchResult(PolicyFetchKind.NoPolicy, "policy host " + host + " has no A or AAAA record");
            }
            else
            {
                result = await fetcher.FetchAsync(host, resolved.Addresses, cancellationToken).ConfigureAwait(false);
            }

            now = time.GetUtcNow();
            if (result.Kind == PolicyFetchKind.Ok)
            {
                failures.Remove(domain);
                var policy = result.Policy!;
                var fresh = new CachedPolicy(record.Id, policy, now, now + policy.MaxAge);
                policies.Set(domain, fresh, now, fresh.Expires);
                return Apply(fresh, null, txt.Ttl, fetched: true);
            }

            if (!cancellationToken.IsCancellationRequested)
            {
                failures.Set(domain, new FailedFetch(record.Id, result), now, now + FailedFetchBackoff);
            }
        }

        var detail = string.Format(CultureInfo.InvariantCulture, "policy id {0}: {1}", record.Id, result.Detail);
        if (cached is not null)
        {
            return Apply(cached, detail + "; the cached policy still applies (RFC 8461 §3.3)", txt.Ttl);
        }

        if (result.Kind == PolicyFetchKind.NoPolicy)
        {
            // The authenticated policy host answered without a valid policy: as if the domain had none (RFC 8461 §3.3).
            return new MtaStsResult { Evidence = new[] { new Evidence(EvidenceSource.MtaSts, detail + "; treated as no MTA-STS policy (RFC 8461 §3.3)") }, TxtTtl = txt.Ttl };
        }

        return new MtaStsResult
        {
            TemporaryFailure = detail,
            FailureKind = cancellationToken.IsCancellationRequested ? TemporaryFailureKind.Timeout : TemporaryFailureKind.Lookup,
            Evidence = new[] { new Evidence(EvidenceSource.MtaSts, detail) },
        };
    }

    /// <summary>Builds the profile part of an MTA-STS result for a domain's MX hosts (RFC 8461 §4.1, §5).</summary>
    public static DomainProfile ToProfile(string domain, MtaStsResult result, IReadOnlyList<string> mxHosts)
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
        var evidence = result.Evidence.Concat(nonMatching.Select(h => new Evidence(EvidenceSource.MtaSts, h + " does not match the policy's mx patterns; senders must not deliver to it (RFC 8461 §4.1)"))).ToArray();
        if (nonMatching.Count == mxHosts.Count)
        {
            var reason = $"no MX host of {domain} ({string.Join(", ", mxHosts)}) matches its MTA-STS policy (mx {string.Join(", ", policy.MxPatterns)}); with mode enforce delivery must wait (RFC 8461 §4.1, §5)";
            return new DomainProfile(domain) { Status = ProfileStatus.TemporaryFailure, FailureKind = TemporaryFailureKind.Lookup, FailureReason = reason, Evidence = evidence };
        }

        return new DomainProfile(domain) { TransportEnforced = true, Tls = new TlsRequirement(TlsMode.Pkix, policy.MxPatterns), Evidence = evidence };
    }

    private static TemporaryFailureKind KindOf(DnsAnswer answer) =>
        answer.Outcome == DnsOutcome.Timeout ? TemporaryFailureKind.Timeout : TemporaryFailureKind.Lookup;

    private static MtaStsResult Apply(CachedPolicy policy, string? note, TimeSpan txtTtl, bool fetched = false)
    {
        var how = fetched ? "fetched now" : string.Format(CultureInfo.InvariantCulture, "cached since {0:yyyy-MM-dd HH:mm}Z", policy.Fetched.UtcDateTime);
        var supports = policy.Policy.Mode == MtaStsMode.Enforce ? LinkSecurityLevel.TransportSecure : LinkSecurityLevel.None;
        var mode = policy.Policy.Mode switch
        {
            MtaStsMode.Enforce => string.Empty,
            MtaStsMode.Testing => "; mode testing is not enforced (RFC 8461 §5)",
            _ => "; mode none: as if there were no policy (RFC 8461 §5)",
        };
        var evidence = new List<Evidence>
        {
            new(EvidenceSource.MtaSts, $"policy id {policy.Id} ({how}): {policy.Policy}{mode}", supports, policy.Expires),
        };
        if (note is not null)
        {
            evidence.Add(new Evidence(EvidenceSource.MtaSts, note));
        }

        return new MtaStsResult { Policy = policy.Policy, PolicyId = policy.Id, PolicyExpires = policy.Expires, Evidence = evidence, TxtTtl = txtTtl };
    }

    private sealed class CachedPolicy
    {
        public CachedPolicy(string id, MtaStsPolicy policy, DateTimeOffset fetched, DateTimeOffset expires)
        {
            Id = id;
            Policy = policy;
            Fetched = fetched;
            Expires = expires;
        }

        public string Id { get; }

        public MtaStsPolicy Policy { get; }

        public DateTimeOffset Fetched { get; }

        public DateTimeOffset Expires { get; }
    }

    private sealed class FailedFetch
    {
        public FailedFetch(string id, PolicyFetchResult result)
        {
            Id = id;
            Result = result;
        }

        public string Id { get; }

        public PolicyFetchResult Result { get; }
    }
}
