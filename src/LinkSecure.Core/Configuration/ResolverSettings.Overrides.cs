using System;
using System.Collections.Generic;
using System.Linq;

namespace LinkSecure.Core.Configuration;

/// <summary>Command-line overrides of the <c>resolver</c> section (the CLI's <c>--dns-server</c>, <c>--ca-file</c>, …).</summary>
public sealed partial class ResolverSettings
{
    /// <summary>
    /// Returns a copy with some settings replaced. A <see langword="null"/> argument keeps the current value. Server
    /// addresses are not checked here: callers validate them with <see cref="TryParseServer"/> first.
    /// </summary>
    /// <param name="dnsServers">Replaces <see cref="DnsServers"/>.</param>
    /// <param name="validatingDnsServers">Replaces <see cref="ValidatingDnsServers"/>.</param>
    /// <param name="additionalCaFiles">Appended to <see cref="CaFiles"/> (full paths).</param>
    /// <param name="learnedStorePath">Replaces <see cref="LearnedStorePath"/> (a full path).</param>
    /// <param name="learnedDefaultTtl">Replaces <see cref="LearnedDefaultTtl"/>.</param>
    /// <param name="mtaStsCachePath">Replaces <see cref="MtaStsCachePath"/> (a full path).</param>
    /// <returns>The copy.</returns>
    public ResolverSettings With(
        IEnumerable<string>? dnsServers = null,
        IEnumerable<string>? validatingDnsServers = null,
        IEnumerable<string>? additionalCaFiles = null,
        string? learnedStorePath = null,
        TimeSpan? learnedDefaultTtl = null,
        string? mtaStsCachePath = null)
    {
        var copy = (ResolverSettings)MemberwiseClone();
        if (dnsServers is not null)
        {
            copy.DnsServers = dnsServers.ToArray();
        }

        if (validatingDnsServers is not null)
        {
            copy.ValidatingDnsServers = validatingDnsServers.ToArray();
        }

        if (additionalCaFiles is not null)
        {
            copy.CaFiles = CaFiles.Concat(additionalCaFiles).ToArray();
        }

        if (learnedStorePath is not null)
        {
            copy.LearnedStorePath = learnedStorePath;
        }

        if (mtaStsCachePath is not null)
        {
            copy.MtaStsCachePath = mtaStsCachePath;
        }

        if (learnedDefaultTtl is { } ttl)
        {
            if (ttl <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(learnedDefaultTtl), ttl, "The TTL must be positive.");
            }

            copy.LearnedDefaultTtl = ttl;
        }

        return copy;
    }
}
