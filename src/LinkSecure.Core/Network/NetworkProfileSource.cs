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
public sealed class NetworkProfileSource : IDomainProfileSource, IDisposable
{
    private readonly ResolverSettings settings;
    private readonly TimeProvider time;
    private readonly DnsLookup dns;
    private readonly DnsLookup? validating;
    private readonly MtaStsClient mtaSts;
    private readonly LearnedCapabilityStore? learned;
    private readonly TtlCache<CachedProfile> profiles;
    private readonly TtlCache<RememberedDeclaration> declarations;
    private readonly ConcurrentDictionary<string, Lazy<Task<DomainProfile>>> inflight = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource disposal = new();
    private int lookups;

    internal NetworkProfileSource(ResolverSettings settings, IReadOnlyList<X509Certificate2> trustAnchors, LearnedCapabilityStore? learned, TimeProvider timeProvider)
    {
        this.settings = settings;
        time = timeProvider;
        this.learned = learned;
        var plain = settings.DnsServers.Select(Parse).ToList();
        var validatingServers = settings.ValidatingDnsServers.Select(Parse).ToList();
        dns = new DnsLookup(plain, settings, validating: false);
        validating = validatingServers.Count == 0 ? null : new DnsLookup(validatingServers, settings, validating: true);
        mtaSts = new MtaStsClient(new PolicyFetcher(settings.HttpsPort, settings.HttpsTimeout, trustAnchors), timeProvider, settings.CacheSize);
        profiles = new TtlCache<CachedProfile>(settings.CacheSize);
        declarations = new TtlCache<RememberedDeclaration>(settings.CacheSize);
    }

    /// <summary>Gets how many network lookups have started (cache misses that were not joined to a running lookup).</summary>
    public int LookupCount => Volatile.Read(ref lookups);

    /// <summary>Gets the number of cached profiles.</summary>
    public int CachedCount => profiles.Count;

    /// <summary>
    /// Builds the live source from the configuration: the DNS servers, validating resolvers, time limits and cache
    /// size of <c>resolver</c>, the trust anchors of <c>resolver.caFiles</c> and the learned store at
    /// <c>resolver.learnedStorePath</c> (relative paths against the configuration's folder). Whether network lookups
    /// are wanted at all (<see cref="ResolverSettings.Enabled"/>) is the caller's decision.
    /// </summary>
    /// <param name="settings">The configuration.</param>
    /// <param name="timeProvider">The clock for expiry; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <returns>The source; dispose it to cancel running lookups.</returns>
    /// <exception cref="System.IO.IOException">A CA file cannot be read.</exception>
    /// <exception cref="FormatException">A CA file holds an invalid certificate.</exception>
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
        return new NetworkProfileSource(resolver, anchors, store, clock);
    }

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

    private static IPEndPoint Parse(string server) =>
        ResolverSettings.TryParseServer(server, out var endpoint) ? endpoint : throw new ArgumentException($"'{server}' is not a DNS server address.", nameof(server));

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
            if (profile.FailureKind != TemporaryFailureKind.Dnssec
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

    private async Task<Lookup> LookupAsync(string domain, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var ttl = new TtlTracker(settings.MaxTtl);

        // Independent lookups first, in parallel.
        var mxResolver = validating ?? dns;
        var mxTask = mxResolver.QueryAsync(domain, QueryType.MX, cancellationToken);
        var stsTxtTask = dns.QueryAsync(MtaStsClient.RecordName(domain), QueryType.TXT, cancellationToken);
        var declaredTask = dns.QueryAsync(DeclaredName(domain), QueryType.TXT, cancellationToken);
        var policyHost = MtaStsClient.PolicyHost(domain);
        Task<HostAddresses>? speculative = mtaSts.HasCachedPolicy(domain) ? null : ResolveAddressesAsync(policyHost, cancellationToken);
        var stsTask = mtaSts.EvaluateAsync(domain, stsTxtTask, () => speculative ?? ResolveAddressesAsync(policyHost, cancellationToken), cancellationToken);

        var mx = await mxTask.ConfigureAwait(false);
        ttl.Add(mx.Ttl);
        var mxPart = MxPart(domain, mx, out var hosts);
        if (mxPart.Status == ProfileStatus.NoMail)
        {
            return new Lookup(mxPart, ttl.Value);
        }

        var daneTask = DaneAsync(domain, hosts, ttl, cancellationToken);
        var sts = await stsTask.ConfigureAwait(false);
        ttl.Add(sts.TxtTtl);
        if (sts.PolicyExpires is { } policyExpires)
        {
            ttl.Add(policyExpires - now);
        }

        var stsPart = MtaStsClient.ToProfile(domain, sts, hosts);
        var declared = await declaredTask.ConfigureAwait(false);
        var declaredPart = DeclaredPart(domain, declared, now, ttl);
        var danePart = await daneTask.ConfigureAwait(false);
        var learnedPart = LearnedPart(domain, hosts, danePart.Tls.Mode == TlsMode.Dane, now, ttl);

        var combined = DomainProfile.Combine(domain, new[] { mxPart, danePart, stsPart, declaredPart, learnedPart }.OfType<DomainProfile>());
        return new Lookup(combined, ttl.Value);
    }

    private async Task<HostAddresses> ResolveAddressesAsync(string host, CancellationToken cancellationToken)
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

    private DomainProfile MxPart(string domain, DnsAnswer mx, out IReadOnlyList<string> hosts)
    {
        var validated = mx.Authenticated ? " (DNSSEC-validated)" : string.Empty;
        switch (mx.Outcome)
        {
            case DnsOutcome.Records:
                var records = mx.Of<MxRecord>().ToList();
                if (records.Count == 1 && IsRoot(records[0].Exchange.Value))
                {
                    hosts = Array.Empty<string>();
                    return new DomainProfile(domain)
                    {
                        Status = ProfileStatus.NoMail,
                        Evidence = new[] { new Evidence(EvidenceSource.Mx, domain + " publishes a null MX: it accepts no mail (RFC 7505)" + validated) },
                    };
                }

                var sorted = records.Where(r => !IsRoot(r.Exchange.Value)).OrderBy(r => r.Preference).ToList();
                hosts = sorted.Select(r => r.Exchange.Value.TrimEnd('.').ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();
                var list = string.Join(", ", sorted.Select(r => string.Format(CultureInfo.InvariantCulture, "{0} ({1})", r.Exchange.Value.TrimEnd('.').ToLowerInvariant(), r.Preference)));
                return new DomainProfile(domain) { Evidence = new[] { new Evidence(EvidenceSource.Mx, "MX " + list + validated) } };

            case DnsOutcome.NoData:
                hosts = new[] { domain };
                return new DomainProfile(domain) { Evidence = new[] { new Evidence(EvidenceSource.Mx, "no MX records; the domain itself is the implicit MX (RFC 5321 §5.1)" + validated) } };

            case DnsOutcome.NxDomain:
                hosts = Array.Empty<string>();
                return new DomainProfile(domain) { Evidence = new[] { new Evidence(EvidenceSource.Mx, domain + " does not exist (NXDOMAIN)" + validated) } };

            default:
                hosts = Array.Empty<string>();
                var reason = mx.Describe();
                if (mx.Outcome == DnsOutcome.ServerFailure && validating is not null)
                {
                    reason += "; a validating resolver also answers SERVFAIL when DNSSEC validation fails (RFC 7672 §2.1.1)";
                }

                return new DomainProfile(domain)
                {
                    Status = ProfileStatus.TemporaryFailure,
                    FailureKind = mx.Outcome == DnsOutcome.Timeout ? TemporaryFailureKind.Timeout : TemporaryFailureKind.Lookup,
                    FailureReason = reason,
                };
        }
    }

    private static bool IsRoot(string name) => name.Length == 0 || name == ".";

    private static string DeclaredName(string domain) => "_linksecure." + domain;

    private async Task<DomainProfile> DaneAsync(string domain, IReadOnlyList<string> hosts, TtlTracker ttl, CancellationToken cancellationToken)
    {
        if (hosts.Count == 0)
        {
            return new DomainProfile(domain);
        }

        if (validating is null)
        {
            return new DomainProfile(domain)
            {
                Evidence = new[] { new Evidence(EvidenceSource.Dane, "DANE not checked: no validating resolver is configured (resolver.validatingDnsServers), so DNSSEC status is unknown") },
            };
        }

        var perHost = hosts.Select(async host =>
        {
            var address = validating.QueryAsync(host, QueryType.A, cancellationToken);
            var tlsa = validating.QueryAsync(DaneEvaluator.TlsaName(host), QueryType.TLSA, cancellationToken);
            var addressAnswer = await address.ConfigureAwait(false);
            var tlsaAnswer = await tlsa.ConfigureAwait(false);
            ttl.Add(addressAnswer.Ttl);
            ttl.Add(tlsaAnswer.Ttl);
            return DaneEvaluator.EvaluateHost(host, addressAnswer, tlsaAnswer);
        }).ToList();
        var results = await Task.WhenAll(perHost).ConfigureAwait(false);
        return DaneEvaluator.ToProfile(domain, results);
    }

    private DomainProfile? DeclaredPart(string domain, DnsAnswer answer, DateTimeOffset now, TtlTracker ttl)
    {
        ttl.Add(answer.Ttl);
        declarations.TryGetFresh(domain, now, out var remembered);
        string? note = null;
        if (answer.Outcome == DnsOutcome.Records)
        {
            if (DeclaredRecord.TrySelect(answer.Of<TxtRecord>().Select(r => string.Concat(r.Text)), out var record, out var problem))
            {
                var fresh = new RememberedDeclaration(record!, now, now + record!.MaxAge);
                declarations.Set(domain, fresh, now, fresh.Expires);
                return Declaration(domain, fresh, null);
            }

            if (problem is null && remembered is null)
            {
                return null;
            }

            note = DeclaredName(domain) + ": " + (problem ?? "no v=LS1 record");
        }
        else if (answer.IsFailure)
        {
            note = answer.Describe();
            if (remembered is null)
            {
                return new DomainProfile(domain)
                {
                    Status = ProfileStatus.TemporaryFailure,
                    FailureKind = answer.Outcome == DnsOutcome.Timeout ? TemporaryFailureKind.Timeout : TemporaryFailureKind.Lookup,
                    FailureReason = note,
                };
            }
        }
        else if (remembered is not null)
        {
            note = DeclaredName(domain) + " is no longer published";
        }

        if (remembered is null)
        {
            return note is null ? null : new DomainProfile(domain) { Evidence = new[] { new Evidence(EvidenceSource.DeclaredRecord, note + "; ignored") } };
        }

        ttl.Add(remembered.Expires - now);
        return Declaration(domain, remembered, note + "; the declaration seen " + remembered.Seen.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + "Z still applies for its max-age");
    }

    private static DomainProfile Declaration(string domain, RememberedDeclaration declaration, string? note)
    {
        var evidence = new List<Evidence>
        {
            new(EvidenceSource.DeclaredRecord, DeclaredName(domain) + ": " + declaration.Record, declaration.Record.Level, declaration.Expires),
        };
        if (note is not null)
        {
            evidence.Add(new Evidence(EvidenceSource.DeclaredRecord, note));
        }

        return new DomainProfile(domain) { DeclaredLevel = declaration.Record.Level, Evidence = evidence };
    }

    private DomainProfile? LearnedPart(string domain, IReadOnlyList<string> hosts, bool daneRequired, DateTimeOffset now, TtlTracker ttl)
    {
        if (learned is null || hosts.Count == 0)
        {
            return null;
        }

        var observations = new List<LearnedCapabilities>();
        foreach (var host in hosts)
        {
            if (learned.TryGet(host, out var observation))
            {
                observations.Add(observation);
                ttl.Add(observation.Expires - now);
            }
        }

        var evidence = observations.Select(o => new Evidence(EvidenceSource.LearnedCapabilities, o.ToString(), LinkSecurityLevel.None, o.Expires)).ToList();
        if (learned.LastLoadError is { } loadError)
        {
            evidence.Add(new Evidence(EvidenceSource.LearnedCapabilities, loadError));
        }

        if (observations.Count == 0)
        {
            return evidence.Count == 0 ? null : new DomainProfile(domain) { Evidence = evidence };
        }

        var everyHost = observations.Count == hosts.Count;
        var declared = LinkSecurityLevel.None;
        if (everyHost && observations.All(o => o.LinkSecureLevel > LinkSecurityLevel.None))
        {
            declared = observations.Min(o => o.LinkSecureLevel);
            var until = observations.Min(o => o.Expires);
            evidence.Add(new Evidence(EvidenceSource.EhloKeyword, string.Format(CultureInfo.InvariantCulture, "every MX announced LINKSECURE {0} or higher", (int)declared), declared, until));
        }

        string? failure = null;
        var noStartTls = observations.FirstOrDefault(o => !o.StartTls);
        if (noStartTls is not null)
        {
            failure = string.Format(CultureInfo.InvariantCulture, "{0} did not offer STARTTLS (observed {1:yyyy-MM-dd HH:mm}Z)", noStartTls.Host, noStartTls.ObservedAt.UtcDateTime);
        }
        else if (!daneRequired && observations.FirstOrDefault(o => !o.CertificateValid) is { } badCertificate)
        {
            // With DANE required the certificate is authenticated by TLSA, not PKIX (RFC 7672 §3.1.1).
            failure = string.Format(CultureInfo.InvariantCulture, "{0} presented a certificate that is not valid{1} (observed {2:yyyy-MM-dd HH:mm}Z)", badCertificate.Host, badCertificate.CertificateProblem is null ? string.Empty : ": " + badCertificate.CertificateProblem, badCertificate.ObservedAt.UtcDateTime);
        }

        return new DomainProfile(domain)
        {
            DeclaredLevel = declared,
            RequireTlsOnEveryMx = everyHost && observations.All(o => o.RequireTls),
            TlsFailure = failure,
            Evidence = evidence,
        };
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

    private sealed class RememberedDeclaration
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

    /// <summary>The smallest TTL seen, thread-safe (DANE answers arrive in parallel).</summary>
    private sealed class TtlTracker
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
}
