using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using DnsClient;
using DnsClient.Protocol;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Database;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Handling;
using LinkSecure.Core.Network;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Probing;

/// <summary>
/// Checks a domain like a sending MTA would and says what ExchangeLinkSecure will do with tagged mail to it: MX
/// lookup, MTA-STS policy, per MX host its addresses and DANE status, an <see cref="SmtpProbe"/> of each address,
/// the observations written to the learned store, then the profile from the resolver (override, database, or the
/// network sources including what was just learned) and the decision for a level-N tagged message.
/// </summary>
/// <remarks>Thread-safe: one checker runs many checks at once, sharing DNS clients, trust anchors and one batched
/// writer of the learned store. Dispose it to cancel running lookups.</remarks>
public sealed class DomainChecker : IDisposable
{
    private readonly LinkSecureSettings settings;
    private readonly DomainCheckOptions options;
    private readonly TimeProvider time;
    private readonly NetworkProfileSource network;
    private readonly ProfileResolver resolver;
    private readonly DecisionEngine engine;
    private readonly SmtpProbe probe;
    private readonly LearnedCapabilityStore? store;
    private readonly LearnedStoreWriter? writer;
    private readonly LinkSecurityRequest request;

    private DomainChecker(LinkSecureSettings settings, KnownDomainDatabase database, DomainCheckOptions options, TimeProvider time)
    {
        this.settings = settings;
        this.options = options;
        this.time = time;
        var resolverSettings = settings.Resolver;
        var anchors = PolicyFetcher.LoadTrustAnchors(resolverSettings.CaFiles.Select(settings.ResolvePath));
        if (resolverSettings.LearnedStorePath is { } path)
        {
            store = new LearnedCapabilityStore(settings.ResolvePath(path), time);
            writer = new LearnedStoreWriter(store);
        }

        // The network source reads the same store instance, so it sees what this checker records at once.
        network = new NetworkProfileSource(resolverSettings, anchors, store, NetworkProfileSource.OpenPolicyStore(settings, time), time);
        var stack = DecisionStack.Create(settings, database, resolverSettings.Enabled ? network : null, time);
        resolver = stack.Profiles;
        engine = stack.Engine;
        probe = new SmtpProbe(new SmtpProbeOptions
        {
            Port = options.Probe.Port,
            Budget = options.Probe.Budget,
            ConnectTimeout = options.Probe.ConnectTimeout,
            HeloName = options.Probe.HeloName,
            MaxLineLength = options.Probe.MaxLineLength,
            MaxReplyLines = options.Probe.MaxReplyLines,
            TrustAnchors = options.Probe.TrustAnchors.Concat(anchors).ToArray(),
            TimeProvider = options.Probe.TimeProvider ?? time,
        });
        request = new LinkSecurityRequest(options.RequestLevel, FallbackAction.Bounce, false, RequestSources.LinkSecurity);
    }

    /// <summary>Gets the learned store file, or <see langword="null"/> when none is configured.</summary>
    public string? LearnedStorePath => store?.Path;

    /// <summary>Gets how many times the learned store file was written (observations are batched).</summary>
    public int LearnedStoreWrites => writer?.Writes ?? 0;

    /// <summary>Gets which DNS servers every lookup goes to and whose AD bit is believed, in words
    /// (<see cref="NetworkProfileSource.ResolverDescription"/>).</summary>
    public string ResolverDescription => network.ResolverDescription;

    /// <summary>Gets warnings about the resolver set-up, e.g. a loopback system resolver that is a known forwarder
    /// (<see cref="NetworkProfileSource.ResolverWarnings"/>).</summary>
    public IReadOnlyList<string> ResolverWarnings => network.ResolverWarnings;

    /// <summary>Runs the DNSSEC self-test of the resolver whose AD bit is believed (a DNSKEY query for
    /// <c>resolver.dnssecProbeName</c>, the root by default; <see cref="NetworkProfileSource.SelfTestAsync"/>).</summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>What the self-test found.</returns>
    public Task<DnssecSelfTestResult> SelfTestAsync(CancellationToken cancellationToken = default) => network.SelfTestAsync(cancellationToken);

    /// <summary>Builds a checker from the configuration: DNS servers, validating resolvers, trust anchors
    /// (<c>resolver.caFiles</c>), the learned store and the known-domain database.</summary>
    /// <param name="settings">The configuration (with any command-line overrides applied).</param>
    /// <param name="database">The known-domain database.</param>
    /// <param name="options">How to check; defaults when <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <returns>The checker.</returns>
    /// <exception cref="IOException">A CA file cannot be read.</exception>
    /// <exception cref="FormatException">A CA file holds an invalid certificate.</exception>
    /// <exception cref="ArgumentException">A DNS server is not an address with an optional port.</exception>
    public static DomainChecker Create(LinkSecureSettings settings, KnownDomainDatabase database, DomainCheckOptions? options = null, TimeProvider? timeProvider = null)
    {
        if (settings is null)
        {
            throw new ArgumentNullException(nameof(settings));
        }

        if (database is null)
        {
            throw new ArgumentNullException(nameof(database));
        }

        return new DomainChecker(settings, database, options ?? new DomainCheckOptions(), timeProvider ?? TimeProvider.System);
    }

    /// <summary>Checks one domain. Network failures are part of the result, never exceptions.</summary>
    /// <param name="domain">The domain (any form <see cref="DomainName.TryNormalize"/> accepts).</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>What the check found. Its profile is computed from this run's evidence and observations by the same
    /// code the agent uses (<see cref="NetworkProfileSource"/>), with or without a learned store.</returns>
    /// <exception cref="ArgumentException"><paramref name="domain"/> is not a valid domain name.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<DomainCheckResult> CheckAsync(string domain, CancellationToken cancellationToken = default)
    {
        var name = DomainName.Normalize(domain);
        var result = new DomainCheckResult(name) { CheckedAt = time.GetUtcNow(), LearnedStorePath = store?.Path };
        var watch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            // The one evaluation path: MX (with its DNSSEC status) → addresses → TLSA → MTA-STS → declaration.
            var evidence = await network.Collector.CollectAsync(name, withAddresses: true, settings.Resolver.MaxTtl, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            ReadMx(name, evidence, result);
            ReadMtaSts(evidence.Sts, result);
            result.DaneNote = evidence.DaneNotEvaluated;

            // → what was observed on each MX.
            var checks = await Task.WhenAll(evidence.Hosts.Select(h => CheckHostAsync(h, evidence, result.MtaStsPatterns, cancellationToken))).ConfigureAwait(false);
            result.Hosts = checks;
            var observations = Observe(name, checks);

            // → profile, from this run's observations (never from a store that may lag behind them).
            var evaluation = network.Evaluate(evidence, observations);
            result.NetworkProfile = evaluation.Profile;
            foreach (var check in checks)
            {
                check.Requirement = evaluation.Hosts.FirstOrDefault(h => h.Host == check.Host);
            }

            if (observations.Count > 0 && writer is not null && options.RecordLearned)
            {
                // Staged in the store instance and written in coalesced background batches; FlushLearnedStoreAsync
                // writes the rest and reports a failure.
                writer.Stage(observations);
                result.Learned = observations;
                foreach (var check in checks)
                {
                    check.Learned = observations.FirstOrDefault(o => o.Host == check.Host);
                }
            }

            // → decision. The override settles; otherwise the database entry augments the network profile.
            result.ProfileFromNetwork = resolver.IsOnline && !resolver.TryResolveOverride(name, out _);
            result.Profile = resolver.TryResolveOverride(name, out var forced)
                ? forced
                : resolver.WithDatabase(name, resolver.IsOnline ? result.NetworkProfile : null);
            result.Decision = engine.Decide(request, "postmaster@" + name, result.Profile, TimeSpan.Zero);
            return result;
        }
        finally
        {
            // Keep memory flat over a bulk check: nothing about this domain stays cached.
            network.Invalidate(name);
            result.Duration = watch.Elapsed;
        }
    }

    /// <summary>Writes the observations still held in memory to the learned store (checks write theirs in coalesced
    /// background batches) and says whether everything recorded so far is on disk.</summary>
    /// <returns><see langword="null"/> when every recorded observation is written (or there is no store); otherwise
    /// why some could not be written. They stay in memory and the next flush retries them.</returns>
    public async Task<string?> FlushLearnedStoreAsync()
    {
        if (writer is null)
        {
            return null;
        }

        var (unwritten, error) = await writer.FlushAsync().ConfigureAwait(false);
        return unwritten == 0 ? null : string.Format(CultureInfo.InvariantCulture, "{0} observation(s) not written: {1}", unwritten, error ?? "the learned store " + store!.Path + " could not be written");
    }

    /// <summary>Cancels running lookups and writes what is still held for the learned store (best effort; call
    /// <see cref="FlushLearnedStoreAsync"/> first to learn whether that succeeded).</summary>
    public void Dispose()
    {
        network.Dispose();
        if (writer is not null)
        {
            _ = writer.FlushAsync().GetAwaiter().GetResult();
        }
    }

    private static void ReadMx(string domain, DomainEvidence evidence, DomainCheckResult result)
    {
        var mx = evidence.Mx;
        var secure = evidence.MxSecure ? " (DNSSEC-secure)" : mx.Outcome is DnsOutcome.Records or DnsOutcome.NoData ? " (not DNSSEC-secure)" : string.Empty;
        result.MxSecure = evidence.MxSecure;
        switch (mx.Outcome)
        {
            case DnsOutcome.Records when evidence.MxPart.Status == ProfileStatus.NoMail:
                result.MxStatus = MxLookupStatus.NullMx;
                result.MxDetail = "null MX: " + domain + " accepts no mail (RFC 7505)" + secure;
                break;
            case DnsOutcome.Records:
                result.MxStatus = MxLookupStatus.Records;
                result.MxDetail = "MX " + string.Join(", ", evidence.Hosts.Select(h => string.Format(CultureInfo.InvariantCulture, "{0} ({1})", h.Name, h.Preference))) + secure;
                break;
            case DnsOutcome.NoData:
                result.MxStatus = MxLookupStatus.ImplicitMx;
                result.MxDetail = "no MX records: " + domain + " itself is the implicit MX (RFC 5321 §5.1)" + secure;
                break;
            case DnsOutcome.NxDomain:
                result.MxStatus = MxLookupStatus.NxDomain;
                result.MxDetail = domain + " does not exist (NXDOMAIN)";
                break;
            default:
                result.MxStatus = MxLookupStatus.Failed;
                result.MxDetail = evidence.MxPart.FailureReason ?? mx.Describe();
                break;
        }
    }

    private static void ReadMtaSts(MtaStsResult sts, DomainCheckResult result)
    {
        result.MtaStsDetail = sts.Evidence.Select(e => e.Detail).ToArray();
        if (sts.Policy is { } policy)
        {
            result.MtaStsMode = policy.Mode.ToString().ToLowerInvariant();
            result.MtaStsId = sts.PolicyId;
            result.MtaStsPatterns = policy.MxPatterns;
            result.MtaStsDeclaredLevel = policy.DeclaredLevel;
        }
    }

    private static DaneStatus ToStatus(DaneHostStatus status) => status switch
    {
        DaneHostStatus.Usable => DaneStatus.Usable,
        DaneHostStatus.AllUnusable => DaneStatus.AllUnusable,
        DaneHostStatus.TemporaryFailure => DaneStatus.Failed,
        _ => DaneStatus.NotApplicable,
    };

    private async Task<MxHostCheck> CheckHostAsync(MxHostEvidence host, DomainEvidence evidence, IReadOnlyList<string>? patterns, CancellationToken cancellationToken)
    {
        var check = new MxHostCheck(host.Name, host.Preference);
        if (patterns is not null)
        {
            check.MatchesPolicy = patterns.Any(p => TlsRequirement.MatchesPattern(p, host.Name));
        }

        check.Addresses = host.Addresses.Select(x => x.ToString()).ToArray();
        check.AddressError = host.AddressError;
        IReadOnlyList<TlsaAssociation>? tlsa = null;
        if (host.Dane is null)
        {
            check.Dane = DaneStatus.NotChecked;
            check.DaneDetail = evidence.DaneNotEvaluated ?? "not checked";
        }
        else
        {
            check.Dane = ToStatus(host.Dane.Status);
            check.DaneDetail = host.Dane.Detail;
            check.Tlsa = host.Dane.Records;
            if (host.Dane.Status == DaneHostStatus.Usable)
            {
                tlsa = host.Dane.Records;
            }
        }

        var targets = host.Addresses.Take(options.MaxAddressesPerHost).Select(x => new SmtpProbeTarget(host.Name, x) { PolicyPatterns = patterns, Tlsa = tlsa });
        check.Probes = await Task.WhenAll(targets.Select(t => probe.ProbeAsync(t, cancellationToken))).ConfigureAwait(false);
        return check;
    }

    private List<LearnedCapabilities> Observe(string domain, IEnumerable<MxHostCheck> checks)
    {
        var now = time.GetUtcNow();
        var observations = new List<LearnedCapabilities>();
        foreach (var check in checks)
        {
            var conclusive = check.Probes.Where(p => p.IsConclusive).ToList();
            if (conclusive.Count == 0)
            {
                continue;
            }

            var startTls = conclusive.All(p => p.Tls is not null && p.Outcome != SmtpProbeOutcome.TlsHandshakeFailed);
            var certificateValid = startTls && conclusive.All(p => p.Tls!.CertificateValid);
            var daneMatched = startTls && conclusive.All(p => p.Tls!.Dane is { Matched: true });
            var problem = conclusive.Select(p => p.Tls is null ? p.Error : p.Tls.CertificateProblem).FirstOrDefault(x => x is not null);
            var requireTls = conclusive.All(p => p.RequireTls);
            EhloKeyword? keyword = null;
            if (conclusive.All(p => p.LinkSecure is not null))
            {
                var level = conclusive.Min(p => p.LinkSecure!.Level);
                var maxAge = conclusive.Min(p => p.LinkSecure!.MaxAge);
                if (!EhloKeyword.TryParse(string.Format(CultureInfo.InvariantCulture, "{0} {1} {2}", EhloKeyword.Keyword, (int)level, (long)maxAge.TotalSeconds), out keyword))
                {
                    keyword = null;
                }
            }

            observations.Add(LearnedCapabilities.FromProbe(domain, check.Host, now, startTls, certificateValid, certificateValid ? null : problem, daneMatched, requireTls, keyword, settings.Resolver.LearnedDefaultTtl));
        }

        return observations;
    }
}
