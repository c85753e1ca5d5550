using System;
using System.Collections.Generic;
using System.Linq;

namespace LinkSecure.Core.Profiles;

/// <summary>The TLS requirement a sender must apply to reach a domain.</summary>
public sealed class TlsRequirement
{
    private Tuple<Configuration.RoutingSettings, Decisions.SecureRoute>? routeCache;

    /// <summary>No requirement.</summary>
    public static readonly TlsRequirement None = new(TlsMode.None, Array.Empty<string>());

    /// <summary>Creates a requirement.</summary>
    /// <param name="mode">The TLS treatment.</param>
    /// <param name="mxPatterns">MX host patterns the certificate must match (RFC 8461 §4.1 syntax: a name or <c>*.</c> + name).</param>
    public TlsRequirement(TlsMode mode, IEnumerable<string>? mxPatterns = null)
    {
        Mode = mode;
        MxPatterns = (mxPatterns ?? Array.Empty<string>()).Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => p.Trim().TrimEnd('.').ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Gets the TLS treatment.</summary>
    public TlsMode Mode { get; }

    /// <summary>Gets the MX host patterns (may be empty).</summary>
    public IReadOnlyList<string> MxPatterns { get; }

    /// <summary>
    /// Gets the single domain a certificate must carry, when the patterns share one: the common base of the
    /// patterns with any leading <c>*.</c> removed (for Exchange's per-recipient TLS domain); otherwise
    /// <see langword="null"/>.
    /// </summary>
    public string? CertificateDomain
    {
        get
        {
            string? common = null;
            foreach (var pattern in MxPatterns)
            {
                var baseName = pattern.StartsWith("*.", StringComparison.Ordinal) ? pattern.Substring(2) : pattern;
                if (common is null)
                {
                    common = baseName;
                }
                else if (!string.Equals(common, baseName, StringComparison.Ordinal))
                {
                    return null;
                }
            }

            return common;
        }
    }

    /// <summary>RFC 8461 §4.1: does an MX host name match a pattern? A leading <c>*.</c> matches exactly one
    /// left-most label.</summary>
    /// <param name="pattern">A policy <c>mx</c> value.</param>
    /// <param name="host">An MX host name.</param>
    /// <returns><see langword="true"/> when the host matches.</returns>
    public static bool MatchesPattern(string pattern, string host)
    {
        if (string.IsNullOrEmpty(pattern) || string.IsNullOrEmpty(host))
        {
            return false;
        }

        var p = pattern.TrimEnd('.');
        var h = host.TrimEnd('.');
        if (p.StartsWith("*.", StringComparison.Ordinal))
        {
            var suffix = p.Substring(1); // ".example.net"
            if (!h.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            var label = h.Substring(0, h.Length - suffix.Length);
            return label.Length > 0 && label.IndexOf('.') < 0;
        }

        return string.Equals(p, h, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Does the host match any of <see cref="MxPatterns"/>? True when there are no patterns.</summary>
    /// <param name="host">An MX host name.</param>
    /// <returns><see langword="true"/> when the host is acceptable.</returns>
    public bool AllowsHost(string host) => MxPatterns.Count == 0 || MxPatterns.Any(p => MatchesPattern(p, host));

    /// <summary>Returns the route for this requirement, cached per routing settings (both are immutable).</summary>
    /// <param name="routing">The routing settings.</param>
    /// <returns>The route <see cref="Decisions.SecureRoute.Select"/> chooses.</returns>
    public Decisions.SecureRoute RouteFor(Configuration.RoutingSettings routing)
    {
        var cached = routeCache;
        if (cached is not null && ReferenceEquals(cached.Item1, routing))
        {
            return cached.Item2;
        }

        var route = Decisions.SecureRoute.Select(this, routing);
        routeCache = Tuple.Create(routing, route);
        return route;
    }

    /// <inheritdoc />
    public override string ToString() =>
        MxPatterns.Count == 0 ? Mode.ToString() : $"{Mode} ({string.Join(", ", MxPatterns)})";
}
