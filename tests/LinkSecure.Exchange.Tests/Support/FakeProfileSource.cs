using System;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Exchange.Tests.Support;

/// <summary>A network profile source under the test's control: cached profiles, asynchronous lookups, injected failures.</summary>
internal sealed class FakeProfileSource : IDomainProfileSource
{
    private int lookups;

    public ConcurrentDictionary<string, DomainProfile> Cached { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, Func<CancellationToken, Task<DomainProfile>>> Lookups { get; } = new(StringComparer.Ordinal);

    public Func<string, bool>? ThrowOnCacheRead { get; set; }

    public int LookupCount => Volatile.Read(ref lookups);

    /// <summary>Builds a profile the way the core does (docs/protocol.md §3): level 0 is an unknown domain; a level of 1 or
    /// more rests on transport-enforcing evidence (<see cref="DomainProfile.TransportEnforced"/>). With <paramref name="mx"/>
    /// the evidence pins those MX names, as an MTA-STS <c>enforce</c> policy does (an authenticating DomainValidation route
    /// when one TLS domain covers them); without, it is DANE on every MX of a DNSSEC-secure MX RRset, which pins no names
    /// (no route of Exchange authenticates it).</summary>
    public static DomainProfile Profile(string domain, int level, params string[] mx)
    {
        if (level == 0)
        {
            return DomainProfile.Unknown(domain);
        }

        var pinned = mx.Length > 0;
        var declared = (LinkSecurityLevel)level;
        return new DomainProfile(domain)
        {
            DeclaredLevel = declared,
            TransportEnforced = true,
            Tls = pinned ? new TlsRequirement(TlsMode.Pkix, mx, "the MTA-STS policy") : new TlsRequirement(TlsMode.Dane, null, null, daneRequired: true),
            Evidence = new[]
            {
                new Evidence(pinned ? EvidenceSource.MtaSts : EvidenceSource.Dane, pinned ? "test profile: enforced MTA-STS policy" : "test profile: DANE usable on every MX", LinkSecurityLevel.TransportSecure) { Authenticated = true },
                new Evidence(EvidenceSource.DeclaredRecord, "test profile: authenticated declaration", declared) { Authenticated = true },
            },
        };
    }

    public FakeProfileSource WithCached(string domain, int level, params string[] mx)
    {
        Cached[domain] = Profile(domain, level, mx);
        return this;
    }

    public FakeProfileSource WithLookup(string domain, Func<CancellationToken, Task<DomainProfile>> lookup)
    {
        Lookups[domain] = lookup;
        return this;
    }

    public FakeProfileSource WithAsync(string domain, int level, params string[] mx) =>
        WithLookup(domain, _ => Task.FromResult(Profile(domain, level, mx)));

    public FakeProfileSource WithHang(string domain) =>
        WithLookup(domain, async ct =>
        {
            await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
            return Profile(domain, 1);
        });

    public FakeProfileSource WithFailure(string domain) =>
        WithLookup(domain, _ => Task.FromException<DomainProfile>(new InvalidOperationException("resolver exploded")));

    public FakeProfileSource WithTemporaryFailure(string domain) =>
        WithLookup(domain, _ => Task.FromResult(DomainProfile.TemporaryFailure(domain, TemporaryFailureKind.Lookup, "SERVFAIL for _mta-sts." + domain)));

    public bool TryGetCached(string domain, [NotNullWhen(true)] out DomainProfile? profile)
    {
        if (ThrowOnCacheRead?.Invoke(domain) == true)
        {
            throw new InvalidOperationException("cache corrupted");
        }

        if (ExpiresAfterReads.TryGetValue(domain, out var left) && ExpiresAfterReads.TryUpdate(domain, left - 1, left) && left <= 0)
        {
            Cached.TryRemove(domain, out _);
        }

        return Cached.TryGetValue(domain, out profile);
    }

    /// <summary>Gets how many more cache reads find a domain's cached profile before it expires (a cache entry that runs
    /// out between two reads of one message).</summary>
    public ConcurrentDictionary<string, int> ExpiresAfterReads { get; } = new(StringComparer.Ordinal);

    public ValueTask<DomainProfile> GetProfileAsync(string domain, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref lookups);
        if (Lookups.TryGetValue(domain, out var lookup))
        {
            return new ValueTask<DomainProfile>(lookup(cancellationToken));
        }

        return new ValueTask<DomainProfile>(DomainProfile.Unknown(domain));
    }
}
