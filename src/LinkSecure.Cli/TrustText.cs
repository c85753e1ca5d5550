using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Network;
using LinkSecure.Core.Probing;
using LinkSecure.Core.Profiles;

namespace LinkSecure.Cli;

/// <summary>How <c>check</c> and <c>explain</c> show the trust rule: authenticated evidence, routes that authenticate
/// the server, the resolver and the settings that weaken the rule (docs/cli.md).</summary>
internal static class TrustText
{
    /// <summary>One evidence line: <c>authenticated      Source: detail (until …)</c> or <c>not authenticated  …</c>.</summary>
    public static string Evidence(Evidence e)
    {
        var until = e.Expires is { } expires ? string.Format(CultureInfo.InvariantCulture, " (until {0:yyyy-MM-dd HH:mm}Z)", expires.UtcDateTime) : string.Empty;
        return (e.Authenticated ? "authenticated      " : "not authenticated  ") + e.Source + ": " + e.Detail + until;
    }

    /// <summary>Whether the decision is the request's fallback only because no route of this server authenticates the
    /// server (the level is met; <c>routing.allowUnauthenticatedRoutes</c> is off).</summary>
    public static bool IsUnverifiable(RecipientDecision d) =>
        d.Kind is DecisionKind.Bounce or DecisionKind.Downgrade
        && d.Route is null
        && !d.DeferralExpired
        && d.Request.IsRequested
        && d.Profile is { Status: ProfileStatus.Ok } profile
        && profile.Level >= d.Request.Level;

    /// <summary>The route of a Secure decision, or for a fallback caused by a route that does not authenticate, the
    /// route that would have been used; otherwise <see langword="null"/>.</summary>
    public static SecureRoute? RouteOf(RecipientDecision d, RoutingSettings routing) =>
        d.Route ?? (IsUnverifiable(d) ? d.Profile!.Tls.RouteFor(routing) : null);

    /// <summary><c>linksecure-dv.invalid, TlsAuthLevel DomainValidation, TLS domain *.example.com; authenticates the
    /// server: yes — note</c>.</summary>
    public static string Route(SecureRoute route) => string.Format(
        CultureInfo.InvariantCulture,
        "{0}, TlsAuthLevel {1}, TLS domain {2}; authenticates the server: {3} — {4}",
        route.RoutingDomain,
        route.TlsAuthLevel,
        route.TlsDomain ?? "(none)",
        route.Authenticates ? "yes" : "no",
        route.Note);

    /// <summary>Warnings for settings that weaken the trust rule (docs/configuration.md).</summary>
    public static IEnumerable<string> SettingsWarnings(LinkSecureSettings settings)
    {
        if (settings.Resolver.AcceptUnauthenticatedDeclarations)
        {
            yield return "resolver.acceptUnauthenticatedDeclarations is on: unauthenticated declarations (an unsigned _linksecure record, LINKSECURE from an unauthenticated session) count toward the level; no protection against an active attacker";
        }

        if (settings.Routing.AllowUnauthenticatedRoutes)
        {
            yield return "routing.allowUnauthenticatedRoutes is on: tagged mail may be sent Secure over routes that do not authenticate the server (CertificateValidation, EncryptionOnly, smart host)";
        }
    }

    /// <summary>What the MTA-STS policy's <c>linksecure</c> key says and whether it counted, or <see langword="null"/>
    /// when the policy has no such key.</summary>
    public static string? MtaStsKey(DomainCheckResult r)
    {
        if (r.MtaStsDeclaredLevel is not { } level)
        {
            return null;
        }

        return string.Format(
            CultureInfo.InvariantCulture,
            "linksecure: {0} {1}",
            (int)level,
            MtaStsKeyCounted(r) ? "(counted: the policy is enforced and fetched over authenticated HTTPS)" : "(not counted: only the key of an enforced policy counts, mode " + (r.MtaStsMode ?? "unknown") + ")");
    }

    /// <summary>Whether the MTA-STS <c>linksecure</c> key counted in the network profile.</summary>
    public static bool MtaStsKeyCounted(DomainCheckResult r) =>
        r.MtaStsDeclaredLevel is { } level
        && r.NetworkProfile.Evidence.Any(e => e.Source == EvidenceSource.MtaSts && e.Authenticated && e.SupportsLevel == level && e.Detail.Contains("declares linksecure", System.StringComparison.Ordinal));

    /// <summary>One line for the DNSSEC self-test.</summary>
    public static string SelfTest(DnssecSelfTestResult test) => string.Format(
        CultureInfo.InvariantCulture,
        "{0} — {1} (DNSKEY {2} via {3})",
        test.Status switch
        {
            DnssecSelfTestStatus.Ok => "ok",
            DnssecSelfTestStatus.NotValidating => "NOT VALIDATING",
            DnssecSelfTestStatus.NoValidator => "no validator",
            _ => "FAILED",
        },
        test.Detail,
        test.ProbeName,
        test.Server);

    /// <summary>The requirement cell of the MX table: <c>met</c>, <c>NOT met</c>, <c>not observed</c>, or <c>-</c>.</summary>
    public static string RequirementCell(MxRequirementCheck? requirement) =>
        requirement is null ? "-" : requirement.Met switch
        {
            true => "met",
            false => "NOT met",
            null => "not observed",
        };

    /// <summary>The requirement line of one MX host.</summary>
    public static string Requirement(MxRequirementCheck requirement) =>
        requirement.Host + ": " + requirement.Requirement + (requirement.Enforced ? " [enforced policy]" : string.Empty) + " — " + RequirementCell(requirement) + ": " + requirement.Detail;

    /// <summary>Why a tagged message falls back although the level is met, for a verdict line.</summary>
    public static string UnverifiableNote(RecipientDecision d) =>
        string.Format(CultureInfo.InvariantCulture, "level {0} is met, but no route of this server authenticates the servers of {1}", (int)d.Level, d.Domain);
}
