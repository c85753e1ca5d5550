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
/// Finds a recipient domain's profile in precedence order: the administrator's override, then the known-domain
/// database, then the network source (DNS, MTA-STS, DANE, declared record, learned capabilities) when one is given.
/// A domain none of them knows is level 0.
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

    /// <summary>Resolves from the override, the database or the network source's cache, without I/O.</summary>
    /// <param name="domain">The normalised domain.</param>
    /// <param name="profile">The profile.</param>
    /// <returns><see langword="false"/> only when the network source must be asked.</returns>
    public bool TryResolveCached(string domain, [NotNullWhen(true)] out DomainProfile? profile)
    {
        if (TryResolveLocal(domain, out profile))
        {
            return true;
        }

        if (network is null)
        {
            profile = DomainProfile.Unknown(domain);
            return true;
        }

        return network.TryGetCached(domain, out profile);
    }

    /// <summary>Resolves a domain, asking the network source when the override and database do not settle it.</summary>
    /// <param name="domain">The normalised domain.</param>
    /// <param name="cancellationToken">The caller's time budget.</param>
    /// <returns>The profile. A temporary failure is a profile with <see cref="ProfileStatus.TemporaryFailure"/>.</returns>
    public async ValueTask<DomainProfile> ResolveAsync(string domain, CancellationToken cancellationToken = default)
    {
        if (TryResolveCached(domain, out var profile))
        {
            return profile;
        }

        return await network!.GetProfileAsync(domain, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The override and database steps alone.</summary>
    /// <param name="domain">The normalised domain.</param>
    /// <param name="profile">The profile when one of them settles the domain.</param>
    /// <returns><see langword="true"/> when the override or database settles the domain.</returns>
    public bool TryResolveLocal(string domain, [NotNullWhen(true)] out DomainProfile? profile)
    {
        if (domain is null)
        {
            throw new ArgumentNullException(nameof(domain));
        }

        var now = time.GetUtcNow();
        var hasEntry = database.TryGet(domain, now, out var entry);
        if (settings.TryGetOverride(domain, out var domainOverride))
        {
            var detail = domainOverride!.Never
                ? "administrator override: never link-secure"
                : string.Format(CultureInfo.InvariantCulture, "administrator override: level {0}", (int)domainOverride.Level);
            profile = new DomainProfile(domain)
            {
                ForcedLevel = domainOverride.Level,
                Tls = domainOverride.Never ? TlsRequirement.None : new TlsRequirement(TlsMode.Pkix, entry?.MxPatterns),
                Evidence = new[] { new Evidence(EvidenceSource.AdminOverride, detail, domainOverride.Level) },
            };
            return true;
        }

        if (hasEntry)
        {
            profile = FromEntry(entry!);
            return true;
        }

        profile = null;
        return false;
    }

    /// <summary>Builds the profile a database entry describes.</summary>
    /// <param name="entry">The entry.</param>
    /// <returns>The profile: a declaration of the entry's effective level, PKIX with the entry's MX patterns.</returns>
    public static DomainProfile FromEntry(KnownDomainEntry entry)
    {
        if (entry is null)
        {
            throw new ArgumentNullException(nameof(entry));
        }

        var level = entry.EffectiveLevel;
        var detail = string.Format(
            CultureInfo.InvariantCulture,
            "known-domain database: level {0}{1}{2}{3}",
            (int)level,
            entry.Source.Length > 0 ? " from " + entry.Source : string.Empty,
            entry.Verified is { } v ? ", verified " + v.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : string.Empty,
            entry.Unverified ? " (public observation, not re-verified; counts for level 1 at most)" : string.Empty);
        return new DomainProfile(entry.Domain)
        {
            DeclaredLevel = level,
            Tls = level == LinkSecurityLevel.None ? TlsRequirement.None : new TlsRequirement(TlsMode.Pkix, entry.MxPatterns),
            Evidence = new[] { new Evidence(EvidenceSource.KnownDomainDatabase, detail, level, entry.Expires) },
            Expires = entry.Expires,
        };
    }
}
