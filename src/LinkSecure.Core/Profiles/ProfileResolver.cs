using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Database;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Profiles;

/// <summary>
/// Finds a recipient domain's profile: the administrator's override settles it; otherwise the network source's profile
/// (DNS, MTA-STS, DANE, declared record, learned capabilities) is combined with the known-domain database entry, which
/// augments the network evidence and may pin MX names (docs/policy-resolution.md §8). Offline, the entry alone.
/// A domain nothing knows is level 0.
/// </summary>
/// <remarks>Thread-safe. The synchronous <see cref="TryResolveCached"/> never does I/O.</remarks>
public sealed class ProfileResolver
{
    private readonly LinkSecureSettings settings;
    private readonly KnownDomainDatabase database;
    private readonly IDomainProfileSource? network;
    private readonly TimeProvider time;

    /// <summary>Creates a resolver.</summary>
    /// <param name="settings">The configuration (overrides).</param>
    /// <param name="database">The known-domain database.</param>
    /// <param name="network">The network source; <see langword="null"/> for offline operation.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    public ProfileResolver(LinkSecureSettings settings, KnownDomainDatabase database, IDomainProfileSource? network = null, TimeProvider? timeProvider = null)
    {
        this.settings = settings ?? throw new ArgumentNullException(nameof(settings));
        this.database = database ?? throw new ArgumentNullException(nameof(database));
        this.network = network;
        time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Gets a value indicating whether a network source is attached.</summary>
    public bool IsOnline => network is not null;

    /// <summary>Resolves from the override, the database and the network source's cache, without I/O.</summary>
    /// <param name="domain">The normalised domain.</param>
    /// <param name="profile">The profile.</param>
    /// <returns><see langword="false"/> only when the network source must be asked.</returns>
    public bool TryResolveCached(string domain, [NotNullWhen(true)] out DomainProfile? profile)
    {
        if (TryResolveOverride(domain, out profile))
        {
            return true;
        }

        if (network is null)
        {
            profile = WithDatabase(domain, null);
            return true;
        }

        if (network.TryGetCached(domain, out var networkProfile))
        {
            profile = WithDatabase(domain, networkProfile);
            return true;
        }

        profile = null;
        return false;
    }

    /// <summary>Resolves a domain, asking the network source when the override does not settle it.</summary>
    /// <param name="domain">The normalised domain.</param>
    /// <param name="cancellationToken">The caller's time budget.</param>
    /// <returns>The profile. A temporary failure is a profile with <see cref="ProfileStatus.TemporaryFailure"/>.</returns>
    public async ValueTask<DomainProfile> ResolveAsync(string domain, CancellationToken cancellationToken = default)
    {
        if (TryResolveCached(domain, out var profile))
        {
            return profile;
        }

        var networkProfile = await network!.GetProfileAsync(domain, cancellationToken).ConfigureAwait(false);
        return WithDatabase(domain, networkProfile);
    }

    /// <summary>The override step alone: an administrator's override settles the domain.</summary>
    /// <param name="domain">The normalised domain.</param>
    /// <param name="profile">The profile when an override exists.</param>
    /// <returns><see langword="true"/> when the domain has an override.</returns>
    public bool TryResolveOverride(string domain, [NotNullWhen(true)] out DomainProfile? profile)
    {
        if (domain is null)
        {
            throw new ArgumentNullException(nameof(domain));
        }

        if (!settings.TryGetOverride(domain, out var domainOverride))
        {
            profile = null;
            return false;
        }

        database.TryGet(domain, time.GetUtcNow(), out var entry);
        var detail = domainOverride!.Never
            ? "administrator override: never link-secure"
            : string.Format(CultureInfo.InvariantCulture, "administrator override: level {0}", (int)domainOverride.Level);
        var pins = domainOverride.MxPatterns.Count > 0 ? domainOverride.MxPatterns : entry?.MxPatterns ?? Array.Empty<string>();
        var source = domainOverride.MxPatterns.Count > 0 ? "the administrator override" : "the known-domain database";
        if (!domainOverride.Never)
        {
            detail += pins.Count > 0 ? ", names pinned by " + source + ": " + string.Join(", ", pins) : "; no MX names pinned (give \"mx\" in the override), so no route can authenticate the server";
        }

        profile = new DomainProfile(domain)
        {
            ForcedLevel = domainOverride.Level,
            Tls = domainOverride.Never ? TlsRequirement.None : new TlsRequirement(TlsMode.Pkix, pins, source),
            Evidence = new[] { new Evidence(EvidenceSource.AdminOverride, detail, domainOverride.Level) { Authenticated = true } },
        };
        return true;
    }

    /// <summary>Combines a network profile with the domain's database entry (the entry augments it: its level counts as
    /// a declaration, its MX names pin the route when the network pins none). Without a network profile, the entry alone;
    /// without an entry, the network profile (or level 0).</summary>
    /// <param name="domain">The normalised domain.</param>
    /// <param name="networkProfile">The network profile, or <see langword="null"/> offline.</param>
    /// <returns>The combined profile.</returns>
    public DomainProfile WithDatabase(string domain, DomainProfile? networkProfile)
    {
        if (domain is null)
        {
            throw new ArgumentNullException(nameof(domain));
        }

        if (!database.TryGet(domain, time.GetUtcNow(), out var entry))
        {
            return networkProfile ?? DomainProfile.Unknown(domain);
        }

        var part = FromEntry(entry!);
        if (networkProfile is null)
        {
            return part;
        }

        return DomainProfile.Combine(domain, new[] { networkProfile, part });
    }

    /// <summary>Builds the profile part a database entry describes.</summary>
    /// <param name="entry">The entry.</param>
    /// <returns>The part: a declaration of the entry's effective level; with MX patterns, authenticated transport evidence
    /// that pins those names (PKIX); without, no level on its own.</returns>
    public static DomainProfile FromEntry(KnownDomainEntry entry)
    {
        if (entry is null)
        {
            throw new ArgumentNullException(nameof(entry));
        }

        var level = entry.EffectiveLevel;
        var pins = entry.MxPatterns.Count > 0 && level > LinkSecurityLevel.None;
        var detail = string.Format(
            CultureInfo.InvariantCulture,
            "known-domain database: level {0}{1}{2}{3}{4}",
            (int)level,
            entry.Source.Length > 0 ? " from " + entry.Source : string.Empty,
            entry.Verified is { } v ? ", verified " + v.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : string.Empty,
            entry.Unverified ? " (public observation, not re-verified; counts for level 1 at most)" : string.Empty,
            pins ? "; pins MX names " + string.Join(", ", entry.MxPatterns)
                : level > LinkSecurityLevel.None ? "; pins no MX names, so it gives no level on its own" : string.Empty);
        return new DomainProfile(entry.Domain)
        {
            DeclaredLevel = level,
            TransportEnforced = pins,
            Tls = pins ? new TlsRequirement(TlsMode.Pkix, entry.MxPatterns, "the known-domain database") : TlsRequirement.None,
            Evidence = new[] { new Evidence(EvidenceSource.KnownDomainDatabase, detail, pins ? level : LinkSecurityLevel.None, entry.Expires) { Authenticated = true } },
            Expires = entry.Expires,
        };
    }
}
