using System;
using System.Collections.Generic;
using System.Linq;

namespace LinkSecure.Core.Profiles;

/// <summary>
/// The TLS requirement a sender must apply to reach a domain, as the evidence states it: whether DANE applies to
/// every MX (RFC 7672 §2.2) and which names the server certificate must match under PKIX (the MTA-STS <c>mx</c>
/// patterns, RFC 8461 §4.1; the names a database entry or override pins; or the MX names of a DNSSEC-secure MX RRset).
/// </summary>
/// <remarks>Immutable. A route is authenticating only when it enforces this requirement (<see cref="Decisions.SecureRoute"/>).</remarks>
public sealed class TlsRequirement
{
    private Tuple<Configuration.RoutingSettings, Decisions.SecureRoute>? routeCache;

    /// <summary>No requirement.</summary>
    public static readonly TlsRequirement None = new(TlsMode.None, Array.Empty<string>());

    /// <summary>Creates a requirement.</summary>
    /// <param name="mode">The TLS treatment.</param>
    /// <param name="mxPatterns">Names the certificate must match (RFC 8461 §4.1 syntax: a name or <c>*.</c> + name).</param>
    /// <param name="patternSource">Where the names come from ("MTA-STS policy", "known-domain database", …), for explanations.</param>
    /// <param name="daneRequired">Whether DANE TLSA authentication applies to every MX as well (a domain with both DANE and
    /// MTA-STS keeps both requirements; a route enforces what it can). Implied by <see cref="TlsMode.Dane"/>.</param>
    public TlsRequirement(TlsMode mode, IEnumerable<string>? mxPatterns = null, string? patternSource = null, bool daneRequired = false)
    {
        Mode = mode;
        MxPatterns = (mxPatterns ?? Array.Empty<string>()).Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => p.Trim().TrimEnd('.').ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToArray();
        PatternSource = MxPatterns.Count == 0 ? null : patternSource;
        DaneRequired = daneRequired || mode == TlsMode.Dane;
    }

    /// <summary>Gets the TLS treatment.</summary>
    public TlsMode Mode { get; }

    /// <summary>Gets the names the certificate must match under PKIX (may be empty: then no name is pinned).</summary>
    public IReadOnlyList<string> MxPatterns { get; }

    /// <summary>Gets where <see cref="MxPatterns"/> come from, or <see langword="null"/> when there are none.</summary>
    public string? PatternSource { get; }

    /// <summary>Gets a value indicating whether DANE applies to every MX (RFC 7672 §2.2): a validating relay must
    /// authenticate each MX by its TLSA records.</summary>
    public bool DaneRequired { get; }

    /// <summary>Gets a value indicating whether names are pinned: a route that checks the certificate against them
    /// authenticates the server.</summary>
    public bool PinsNames => MxPatterns.Count > 0;

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

    /// <summary>Does the host match one of <see cref="MxPatterns"/>? False when no names are pinned.</summary>
    /// <param name="host">An MX host name.</param>
    /// <returns><see langword="true"/> when the host matches a pinned name.</returns>
    public bool Pins(string host) => MxPatterns.Any(p => MatchesPattern(p, host));

    /// <summary>Combines the requirements of several evidence sources of one domain: DANE applies when any source says
    /// so; the pinned names are those of the first source that pins any (callers order sources by authority: the
    /// domain's own MTA-STS policy first); the mode is <see cref="TlsMode.Pkix"/> when names are pinned, otherwise the
    /// strongest mode seen.</summary>
    /// <param name="requirements">The requirements, most authoritative first.</param>
    /// <returns>The combined requirement.</returns>
    public static TlsRequirement Combine(IEnumerable<TlsRequirement> requirements)
    {
        if (requirements is null)
        {
            throw new ArgumentNullException(nameof(requirements));
        }

        var dane = false;
        var mode = TlsMode.None;
        TlsRequirement? pinned = null;
        var count = 0;
        TlsRequirement? only = null;
        foreach (var r in requirements)
        {
            if (r is null || (r.Mode == TlsMode.None && !r.DaneRequired && !r.PinsNames))
            {
                continue;
            }

            count++;
            only = r;
            dane |= r.DaneRequired;
            mode = r.Mode > mode ? r.Mode : mode;
            pinned ??= r.PinsNames ? r : null;
        }

        if (count == 0)
        {
            return None;
        }

        if (count == 1)
        {
            return only!;
        }

        return pinned is not null
            ? new TlsRequirement(TlsMode.Pkix, pinned.MxPatterns, pinned.PatternSource, dane)
            : new TlsRequirement(dane ? TlsMode.Dane : mode, null, null, dane);
    }

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
    public override string ToString()
    {
        var text = Mode.ToString();
        if (PinsNames)
        {
            text += " (" + string.Join(", ", MxPatterns) + (PatternSource is null ? string.Empty : " from " + PatternSource) + ")";
        }

        return DaneRequired && Mode != TlsMode.Dane ? text + " + DANE" : text;
    }
}
