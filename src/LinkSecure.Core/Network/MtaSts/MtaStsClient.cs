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
/// <remarks>The policies live in a <see cref="MtaStsPolicyStore"/>: with a file (<c>resolver.mtaStsCachePath</c>) they
/// survive configuration reloads and restarts and are shared with other processes, which is what makes MTA-STS resist
/// downgrades after first contact (RFC 8461 §5.1, §10); without one they are kept in memory. Either way there is no
/// read-recency (LRU) eviction of policies: an unexpired <c>enforce</c> policy is the last to go when the store is full.</remarks>
internal sealed class MtaStsClient
{
    /// <summary>The least time between two failed fetches of the same policy id (RFC 8461 §3.3).</summary>
    public static readonly TimeSpan FailedFetchBackoff = TimeSpan.FromMinutes(5);

    private readonly PolicyFetcher fetcher;
    private readonly TimeProvider time;
    private readonly MtaStsPolicyStore policies;
    private readonly TtlCache<FailedFetch> failures;

    /// <summary>Creates a client whose policies are kept in memory only (at most <paramref name="capacity"/>).</summary>
    public MtaStsClient(PolicyFetcher fetcher, TimeProvider time, int capacity)
        : this(fetcher, time, capacity, null)
    {
    }

    /// <summary>Creates a client over a policy store (<see cref="MtaStsPolicyStore.Open"/>); with
    /// <see langword="null"/>, policies are kept in memory only (at most <paramref name="capacity"/>).</summary>
    /// <param name="fetcher">Fetches policies over HTTPS.</param>
    /// <param name="time">The clock.</param>
    /// <param name="capacity">The bound of the failed-fetch back-off cache and of the in-memory store.</param>
    /// <param name="store">The durable store shared by clients and processes, or <see langword="null"/>.</param>
    public MtaStsClient(PolicyFetcher fetcher, TimeProvider time, int capacity, MtaStsPolicyStore? store)
    {
        this.fetcher = fetcher;
        this.time = time;
        policies = store ?? MtaStsPolicyStore.InMemory(time, capacity);
        failures = new TtlCache<FailedFetch>(capacity);
    }

    /// <summary>Gets the policy store (a file's, or this client's memory).</summary>
    public MtaStsPolicyStore Store => policies;

    public static string RecordName(string domain) => "_mta-sts." + domain;

    public static string PolicyHost(string domain) => "mta-sts." + domain;

    /// <summary>Tells whether an unexpired policy is cached (so a speculative address lookup of the policy host is not needed).</summary>
    public bool HasCachedPolicy(string domain) => policies.TryGet(domain, out _);

    /// <summary>Forgets the failed-fetch back-off of a domain and, for an in-memory store, its policy. A policy in a
    /// durable store is kept: it is the domain's downgrade resistance (RFC 8461 §10) and is replaced only by a newer
    /// fetched policy (§5.1).</summary>
    public void Forget(string domain)
    {
        if (policies.Path is null)
        {
            policies.Remove(domain);
        }

        failures.Remove(domain);
    }

    public async Task<MtaStsResult> EvaluateAsync(string domain, Task<DnsAnswer> txtTask, Func<Task<HostAddresses>> addresses, CancellationToken cancellationToken)
    {
        var txt = await txtTask.ConfigureAwait(false);
        var now = time.GetUtcNow();
        policies.TryGet(domain, out var cached);

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
        var resolvedMissing = false;
        if (failures.TryGetFresh(domain, now, out var failed) && string.Equals(failed!.Id, record.Id, StringComparison.Ordinal))
        {
            result = failed.Result;
            resolvedMissing = failed.HostMissing;
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
                // An unsigned NXDOMAIN or NODATA is forgeable, and the published record says a policy exists: this is
                // not an authenticated "no policy" (only an HTTPS answer without a valid policy is, RFC 8461 §3.3), so
                // it is a temporary failure that defers on first contact (§10).
                resolvedMissing = true;
                result = new PolicyFetchResult(PolicyFetchKind.Failed, domain + " published an MTA-STS record but " + host + " has no address (no A or AAAA record)");
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
                var fresh = new StoredMtaStsPolicy(domain, record.Id, policy, now, now + policy.MaxAge);

                // Written at once (the fetch already cost an HTTPS round trip); a failed write is kept in memory and
                // retried by the next one, never thrown (RFC 8461 §5.1: the policy is cached for max_age).
                policies.Save(fresh);
                return Apply(fresh, null, txt.Ttl, fetched: true);
            }

            if (!cancellationToken.IsCancellationRequested)
            {
                failures.Set(domain, new FailedFetch(record.Id, result, resolvedMissing), now, now + FailedFetchBackoff);
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

        if (resolvedMissing)
        {
            detail += "; on first contact this is what an attacker would cause, so delivery waits (RFC 8461 §3.3, §10)";
        }

        return new MtaStsResult
        {
            TemporaryFailure = detail,
            FailureKind = cancellationToken.IsCancellationRequested ? TemporaryFailureKind.Timeout : TemporaryFailureKind.Lookup,
            Evidence = new[] { new Evidence(EvidenceSource.MtaSts, detail) },
        };
    }

    private static TemporaryFailureKind KindOf(DnsAnswer answer) =>
        answer.Outcome == DnsOutcome.Timeout ? TemporaryFailureKind.Timeout : TemporaryFailureKind.Lookup;

    private static MtaStsResult Apply(StoredMtaStsPolicy policy, string? note, TimeSpan txtTtl, bool fetched = false)
    {
        var how = fetched ? "fetched now" : string.Format(CultureInfo.InvariantCulture, "cached since {0:yyyy-MM-dd HH:mm}Z", policy.Fetched.UtcDateTime);
        var supports = policy.Policy.Mode == MtaStsMode.Enforce ? LinkSecurityLevel.TransportSecure : LinkSecurityLevel.None;
        var mode = policy.Policy.Mode switch
        {
            MtaStsMode.Enforce => string.Empty,
            MtaStsMode.Testing => "; mode testing is not enforced (RFC 8461 §5)",
            _ => "; mode none: as if there were no policy (RFC 8461 §5)",
        };
        // The policy was fetched over HTTPS with a certificate valid for mta-sts.<domain> (RFC 8461 §3.3): its content
        // is authenticated whatever its mode; only mode enforce makes it count (ProfileBuilder.StsPart).
        var evidence = new List<Evidence>
        {
            new(EvidenceSource.MtaSts, $"policy id {policy.Id} ({how}): {policy.Policy}{mode}", supports, policy.Expires) { Authenticated = true },
        };
        if (policy.Policy.MaxAgeNote is { } capped)
        {
            evidence.Add(new Evidence(EvidenceSource.MtaSts, capped));
        }

        if (policy.Policy.DeclaredLevelProblem is { } levelProblem)
        {
            evidence.Add(new Evidence(EvidenceSource.MtaSts, levelProblem));
        }

        if (note is not null)
        {
            evidence.Add(new Evidence(EvidenceSource.MtaSts, note));
        }

        return new MtaStsResult { Policy = policy.Policy, PolicyId = policy.Id, PolicyExpires = policy.Expires, Evidence = evidence, TxtTtl = txtTtl };
    }

    private sealed class FailedFetch
    {
        public FailedFetch(string id, PolicyFetchResult result, bool hostMissing)
        {
            Id = id;
            Result = result;
            HostMissing = hostMissing;
        }

        public string Id { get; }

        public bool HostMissing { get; }

        public PolicyFetchResult Result { get; }
    }
}
