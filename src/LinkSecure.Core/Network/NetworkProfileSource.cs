using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using DnsClient;
using DnsClient.Protocol;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Network;

/// <summary>
/// The live profile source: a recipient domain's profile from DNS (MX, RFC 5321 §5.1 and RFC 7505), MTA-STS
/// (RFC 8461), DANE (RFC 7672), the declared record <c>_linksecure.&lt;domain&gt;</c> and the learned-capability store,
/// behind a thread-safe, TTL-aware, size-bounded cache (docs/policy-resolution.md).
/// </summary>
/// <remarks>
/// <para>Concurrent requests for one domain share one lookup (single-flight). The lookups of a domain go out in
/// parallel (MX, <c>_mta-sts</c>, <c>_linksecure</c> and the policy host's address; then TLSA per MX), within the
/// overall budget <c>resolver.budgetMilliseconds</c>. A caller's cancellation stops its wait, not the shared lookup.</para>
/// <para>A temporary failure is a profile with <see cref="ProfileStatus.TemporaryFailure"/> and a reason an administrator
/// can act on; it is never turned into a verdict, except that a profile that expired less than
/// <c>resolver.staleIfErrorSeconds</c> ago is served again, with a note in its evidence, when its refresh fails for a
/// reason other than DNSSEC (stale-if-error).</para>
/// <para>Expiry uses the given <see cref="TimeProvider"/>; network timeouts use real time.</para>
/// </remarks>
public sealed partial class NetworkProfileSource : IDomainProfileSource, IDisposable
{
    private readonly ResolverSettings settings;
    private readonly TimeProvider time;
    private readonly DnsLookup dns;
    private readonly MtaStsClient mtaSts;
    private readonly EvidenceCollector collector;
    private readonly LearnedCapabilityStore? learned;
    private readonly TtlCache<CachedProfile> profiles;
    private readonly TtlCache<RememberedDeclaration> declarations;
    private readonly ConcurrentDictionary<string, Lazy<Task<DomainProfile>>> inflight = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource disposal = new();
    private int lookups;

    internal NetworkProfileSource(ResolverSettings settings, IReadOnlyList<X509Certificate2> trustAnchors, LearnedCapabilityStore? learned, MtaStsPolicyStore? policies, TimeProvider timeProvider)
    {
        this.settings = settings;
        time = timeProvider;
        this.learned = learned;
        Resolvers = DnsResolvers.Create(settings);
        dns = Resolvers.Lookup;
        mtaSts = new MtaStsClient(new PolicyFetcher(settings.HttpsPort, settings.HttpsTimeout, trustAnchors), timeProvider, settings.CacheSize, policies);
        collector = new EvidenceCollector(dns, mtaSts);
        profiles = new TtlCache<CachedProfile>(settings.CacheSize);
        declarations = new TtlCache<RememberedDeclaration>(settings.CacheSize);
    }

    /// <summary>Gets the DNS resolvers every lookup goes through (the trusted validator when there is one).</summary>
    internal DnsResolvers Resolvers { get; }

    /// <summary>Gets how the DNS lookups are made and whose AD bit is believed, for output and logs.</summary>
    public string ResolverDescription => Resolvers.Description;

    /// <summary>Gets warnings about the resolver configuration (a remote validator, a loopback forwarder, unused servers).</summary>
    public IReadOnlyList<string> ResolverWarnings => Resolvers.Warnings;

    /// <summary>Runs the DNSSEC self-test: the configured probe name's DNSKEY answer must carry the AD bit.</summary>
    /// <param name="cancellationToken">Cancels the test.</param>
    /// <returns>The result.</returns>
    public Task<DnssecSelfTestResult> SelfTestAsync(CancellationToken cancellationToken = default) => Resolvers.SelfTestAsync(cancellationToken);

    /// <summary>Gets how many network lookups have started (cache misses that were not joined to a running lookup).</summary>
    public int LookupCount => Volatile.Read(ref lookups);

    /// <summary>Gets the number of cached profiles.</summary>
    public int CachedCount => profiles.Count;

    /// <summary>
    /// Builds the live source from the configuration: the DNS servers, validating resolvers, time limits and cache
    /// size of <c>resolver</c>, the trust anchors of <c>resolver.caFiles</c>, the learned store at
    /// <c>resolver.learnedStorePath</c> and the durable MTA-STS cache (<c>resolver.mtaStsCachePath</c>; relative paths
    /// against the configuration's folder). Whether network lookups
    /// are wanted at all (<see cref="ResolverSettings.Enabled"/>) is the caller's decision.
    /// </summary>
    /// <param name="settings">The configuration.</param>
    /// <param name="timeProvider">The clock for expiry; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <returns>The source; dispose it to cancel running lookups.</returns>
    /// <exception cref="System.IO.IOException">A CA file cannot be read.</exception>
    /// <exception cref="FormatException">A CA file holds an invalid certificate.</exception>
    /// <exception cref="NoNameServerException">No DNS server is configured and the system lists none.</exception>
    public static NetworkProfileSource Create(LinkSecureSettings settings, TimeProvider? timeProvider = null)
    {
        if (settings is null)
        {
            throw new ArgumentNullException(nameof(settings));
        }

        var resolver = settings.Resolver;
        var clock = timeProvider ?? TimeProvider.System;
        var anchors = PolicyFetcher.LoadTrustAnchors(resolver.CaFiles.Select(settings.ResolvePath));
        var store = resolver.LearnedStorePath is { } path ? new LearnedCapabilityStore(settings.ResolvePath(path), clock) : null;
        var fingerprint = Fingerprint(settings);
        return new NetworkProfileSource(resolver, anchors, store, OpenPolicyStore(settings, clock), clock) { createdFrom = fingerprint };
    }

    /// <summary>Opens the durable MTA-STS policy cache the settings name (RFC 8461 §5.1, §10), or none.</summary>
    internal static MtaStsPolicyStore? OpenPolicyStore(LinkSecureSettings settings, TimeProvider clock) =>
        MtaStsPolicyStore.Open(settings.EffectiveMtaStsCachePath(), clock, Math.Max(settings.Resolver.CacheSize, 10_000));

    /// <summary>Gets the durable MTA-STS policy cache file, or <see langword="null"/> when policies are kept in memory.</summary>
    public string? MtaStsCachePath => mtaSts.Store.Path;

    /// <inheritdoc />
    public bool TryGetCached(string domain, [NotNullWhen(true)] out DomainProfile? profile)
    {
        if (domain is not null && profiles.TryGetFresh(domain, time.GetUtcNow(), out var cached))
        {
            profile = cached!.Profile;
            return true;
        }

        profile = null;
        return false;
    }

    /// <inheritdoc />
    public ValueTask<DomainProfile> GetProfileAsync(string domain, CancellationToken cancellationToken = default)
    {
        if (domain is null)
        {
            throw new ArgumentNullException(nameof(domain));
        }

        if (TryGetCached(domain, out var profile))
        {
            return new ValueTask<DomainProfile>(profile);
        }

        return new ValueTask<DomainProfile>(JoinLookupAsync(domain, cancellationToken));
    }

    /// <summary>Forgets what is cached about a domain (profile, MTA-STS policy, remembered declaration), so the next
    /// request looks it up afresh; for the CLI's "explain --refresh" and tests.</summary>
    /// <param name="domain">The normalised domain.</param>
    public void Invalidate(string domain)
    {
        profiles.Remove(domain);
        declarations.Remove(domain);
        mtaSts.Forget(domain);
    }

    /// <summary>Cancels running lookups; their waiting callers get temporary-failure profiles.</summary>
    /// <remarks>The cancellation source is cancelled, not disposed, so a lookup racing with disposal still gets a
    /// temporary-failure profile rather than an <see cref="ObjectDisposedException"/>.</remarks>
    public void Dispose()
    {
        if (!disposal.IsCancellationRequested)
        {
            disposal.Cancel();
        }
    }

    private static async Task<T> WaitAsync<T>(Task<T> task, CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled || task.IsCompleted)
        {
            return await task.ConfigureAwait(false);
        }

        var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using (cancellationToken.Register(() => cancelled.TrySetResult(true)))
        {
            if (await Task.WhenAny(task, cancelled.Task).ConfigureAwait(false) != task)
            {
                throw new OperationCanceledException(cancellationToken);
            }
        }

        return await task.ConfigureAwait(false);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private async Task<DomainProfile> JoinLookupAsync(string domain, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var lazy = inflight.GetOrAdd(domain, d => new Lazy<Task<DomainProfile>>(() => RunLookupAsync(d), LazyThreadSafetyMode.ExecutionAndPublication));
        return await WaitAsync(lazy.Value, cancellationToken).ConfigureAwait(false);
    }

    private async Task<DomainProfile> RunLookupAsync(string domain)
    {
        // Yield first, so the in-flight entry is published before the lookup can finish and remove it.
        await Task.Yield();
        Interlocked.Increment(ref lookups);
        try
        {
            var started = time.GetUtcNow();
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(disposal.Token);
            budget.CancelAfter(settings.Budget);
            Lookup result;
            try
            {
                result = await LookupAsync(domain, budget.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (budget.IsCancellationRequested)
            {
                var reason = string.Format(CultureInfo.InvariantCulture, "lookup of {0} did not finish within {1:0.#} s (resolver.budgetMilliseconds)", domain, settings.Budget.TotalSeconds);
                result = new Lookup(DomainProfile.TemporaryFailure(domain, TemporaryFailureKind.Timeout, reason), TimeSpan.Zero);
            }
#pragma warning disable CA1031 // This runs inside the transport process: a bug must defer the mail, not crash the host.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                result = new Lookup(DomainProfile.TemporaryFailure(domain, TemporaryFailureKind.Lookup, "lookup of " + domain + " failed unexpectedly: " + ex.GetType().Name + ": " + ex.Message), TimeSpan.Zero);
            }

            return Store(domain, result, started);
        }
        finally
        {
            foreach (var pair in inflight.Where(p => string.Equals(p.Key, domain, StringComparison.Ordinal)).ToList())
            {
                ((ICollection<KeyValuePair<string, Lazy<Task<DomainProfile>>>>)inflight).Remove(pair);
            }
        }
    }

    private DomainProfile Store(string domain, Lookup result, DateTimeOffset started)
    {
        var now = time.GetUtcNow();
        var profile = result.Profile;
        if (profile.Status == ProfileStatus.TemporaryFailure)
        {
            if (profile.FailureKind is not (TemporaryFailureKind.Dnssec or TemporaryFailureKind.PolicyViolation)
                && settings.StaleIfError > TimeSpan.Zero
                && profiles.TryGetRetained(domain, now, out var old, out var oldExpires)
                && old!.Profile.Status != ProfileStatus.TemporaryFailure
                && now < old.StaleUntil)
            {
                // Stale-if-error: the last verdict is kept for a bounded time, and says so.
                var until = now + settings.NegativeTtl < old.StaleUntil ? now + settings.NegativeTtl : old.StaleUntil;
                var note = new Evidence(
                    EvidenceSource.Mx,
                    string.Format(CultureInfo.InvariantCulture, "stale: this profile expired {0:yyyy-MM-dd HH:mm:ss}Z and its refresh failed ({1}); served again until {2:yyyy-MM-dd HH:mm:ss}Z (resolver.staleIfErrorSeconds)", oldExpires.UtcDateTime, profile.FailureReason, until.UtcDateTime));
                var stale = old.Profile.WithExpiry(until, new[] { note });
                profiles.Set(domain, new CachedProfile(stale, old.StaleUntil), now, until, old.StaleUntil);
                return stale;
            }

            var failed = profile.WithExpiry(now + settings.NegativeTtl);
            profiles.Set(domain, new CachedProfile(failed, now), now, now + settings.NegativeTtl);
            return failed;
        }

        var ttl = result.Ttl < settings.MinTtl ? settings.MinTtl : result.Ttl > settings.MaxTtl ? settings.MaxTtl : result.Ttl;
        var expires = started + ttl;
        if (expires <= now)
        {
            expires = now + settings.MinTtl;
        }

        var final = profile.WithExpiry(expires);
        var staleUntil = expires + settings.StaleIfError;
        profiles.Set(domain, new CachedProfile(final, staleUntil), now, expires, staleUntil);
        return final;
    }

    /// <summary>Gets the evidence collector (shared with <see cref="Probing.DomainChecker"/>, so both take one path).</summary>
    internal EvidenceCollector Collector => collector;

    /// <summary>Gets a value indicating whether the lookups go through a trusted validating resolver.</summary>
    internal bool Validating => dns.IsValidating;

    /// <summary>Builds a profile from collected evidence and the given observations (the learned store's, or what a
    /// check observed just now), remembering an authenticated declaration for its max-age.</summary>
    internal ProfileEvaluation Evaluate(DomainEvidence evidence, IReadOnlyList<LearnedCapabilities> observations)
    {
        var now = time.GetUtcNow();
        declarations.TryGetFresh(evidence.Domain, now, out var remembered);
        var evaluation = ProfileBuilder.Build(evidence, observations, settings.AcceptUnauthenticatedDeclarations, remembered, now);
        if (evaluation.Remember is { } declaration)
        {
            declarations.Set(evidence.Domain, declaration, now, declaration.Expires);
        }

        return evaluation;
    }

    /// <summary>The learned store's observations of the domain's MX hosts (keyed by domain and host).</summary>
    internal IReadOnlyList<LearnedCapabilities> StoredObservations(DomainEvidence evidence, out string? loadError)
    {
        loadError = learned?.LastLoadError;
        if (learned is null)
        {
            return Array.Empty<LearnedCapabilities>();
        }

        var list = new List<LearnedCapabilities>();
        foreach (var host in evidence.Hosts)
        {
            if (learned.TryGet(evidence.Domain, host.Name, out var observation))
            {
                list.Add(observation);
            }
        }

        return list;
    }

    private async Task<Lookup> LookupAsync(string domain, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var evidence = await collector.CollectAsync(domain, withAddresses: false, settings.MaxTtl, now, cancellationToken).ConfigureAwait(false);
        var observations = StoredObservations(evidence, out var loadError);
        var ttl = evidence.Ttl;
        foreach (var o in observations)
        {
            var left = o.Expires - now;
            ttl = left < ttl ? left : ttl;
        }

        var profile = Evaluate(evidence, observations).Profile;
        if (loadError is not null)
        {
            profile = profile.WithExpiry(profile.Expires, new[] { new Evidence(EvidenceSource.LearnedCapabilities, loadError) });
        }

        return new Lookup(profile, ttl);
    }

    private sealed class Lookup
    {
        public Lookup(DomainProfile profile, TimeSpan ttl)
        {
            Profile = profile;
            Ttl = ttl;
        }

        public DomainProfile Profile { get; }

        public TimeSpan Ttl { get; }
    }

    private sealed class CachedProfile
    {
        public CachedProfile(DomainProfile profile, DateTimeOffset staleUntil)
        {
            Profile = profile;
            StaleUntil = staleUntil;
        }

        public DomainProfile Profile { get; }

        public DateTimeOffset StaleUntil { get; }
    }
}
