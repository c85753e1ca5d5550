using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Network;
using LinkSecure.Core.Probing;
using LinkSecure.Core.Profiles;

namespace LinkSecure.Cli;

/// <summary>The readable form of one domain's check: a verdict line, the per-MX table and the profile's evidence.</summary>
internal static class CheckText
{
    /// <summary>The lines printed once before the domains: the resolver, the DNSSEC self-test and warnings about
    /// the resolver and about settings that weaken the trust rule.</summary>
    public static string Header(ResolverReport resolver)
    {
        var text = new StringBuilder();
        text.Append("Resolver:  ").Append(resolver.Description).Append('\n');
        text.Append("DNSSEC:    self-test ").Append(TrustText.SelfTest(resolver.SelfTest)).Append('\n');
        foreach (var warning in resolver.Warnings)
        {
            text.Append("warning:   ").Append(warning).Append('\n');
        }

        return text.Append('\n').ToString();
    }

    public static string Format(DomainCheckResult r, int required, bool resolverEnabled, RoutingSettings routing)
    {
        var text = new StringBuilder();
        text.Append(VerdictLine(r, required)).Append('\n');
        text.Append("  MX:        ").Append(r.MxDetail).Append('\n');
        text.Append("  DNSSEC:    MX RRset ").Append(r.MxSecure ? "DNSSEC-secure" : "not DNSSEC-secure");
        if (r.DaneNote is { } daneNote)
        {
            text.Append("; ").Append(daneNote);
        }

        text.Append('\n');
        text.Append("  MTA-STS:   ").Append(MtaSts(r)).Append('\n');
        if (TrustText.MtaStsKey(r) is { } key)
        {
            text.Append("  MTA-STS:   ").Append(key).Append('\n');
        }

        if (r.Hosts.Count > 0)
        {
            var table = new TextTable("MX HOST", "ADDRESS", "OUTCOME", "TLS", "CERTIFICATE", "DANE", "MTA-STS", "AFTER TLS", "REQUIREMENT", "DETAIL");
            foreach (var host in r.Hosts)
            {
                var name = host.Host + " (" + host.Preference.ToString(CultureInfo.InvariantCulture) + ")";
                if (host.Probes.Count == 0)
                {
                    table.Add(name, "-", "-", "-", "-", Dane(host, null), Policy(host, null), "-", TrustText.RequirementCell(host.Requirement), host.AddressError ?? "no address probed");
                    continue;
                }

                foreach (var probe in host.Probes)
                {
                    table.Add(
                        name,
                        probe.Address + ":" + probe.Port.ToString(CultureInfo.InvariantCulture),
                        probe.Outcome.ToString(),
                        probe.Tls is { } tls ? tls.Protocol + " " + tls.CipherSuite : "-",
                        probe.Tls is null ? "-" : probe.Tls.CertificateValid ? "valid" : Short(probe.Tls.CertificateProblem),
                        Dane(host, probe),
                        Policy(host, probe),
                        AfterTls(probe),
                        TrustText.RequirementCell(host.Requirement),
                        Detail(probe));
                }
            }

            var lines = new System.IO.StringWriter(CultureInfo.InvariantCulture);
            table.Write(lines);
            foreach (var line in lines.ToString().Split('\n').Where(l => l.Length > 0))
            {
                text.Append("  ").Append(line).Append('\n');
            }
        }

        foreach (var host in r.Hosts.Where(h => h.Requirement is not null))
        {
            text.Append("  requires:  ").Append(TrustText.Requirement(host.Requirement!)).Append('\n');
        }

        foreach (var host in r.Hosts.Where(h => h.Dane is not DaneStatus.NotChecked))
        {
            text.Append("  DANE:      ").Append(host.Host).Append(": ").Append(host.DaneDetail).Append('\n');
        }

        foreach (var warning in r.Hosts.SelectMany(h => h.Probes).SelectMany(p => p.Warnings.Select(w => p.Host + " " + p.Address + ": " + w)))
        {
            text.Append("  warning:   ").Append(warning).Append('\n');
        }

        text.Append("  Learned:   ").Append(Learned(r)).Append('\n');
        var source = !resolverEnabled ? "configuration and database (resolver.enabled is false)"
            : !r.ProfileFromNetwork ? "administrator's override (the network is not consulted for this domain)"
            : ReferenceEquals(r.Profile, r.NetworkProfile) ? "network" : "network, augmented by the known-domain database entry";
        text.Append(string.Format(CultureInfo.InvariantCulture, "  Profile:   level {0}, {1}, TLS {2}, from the {3}", (int)r.Profile.Level, r.Profile.Status, r.Profile.Tls, source));
        if (r.Profile.FailureReason is { } reason)
        {
            text.Append(": ").Append(reason);
        }

        text.Append('\n');
        foreach (var evidence in r.Profile.Evidence)
        {
            text.Append("  evidence:  ").Append(TrustText.Evidence(evidence)).Append('\n');
        }

        if (!ReferenceEquals(r.Profile, r.NetworkProfile) && !r.ProfileFromNetwork)
        {
            text.Append(string.Format(CultureInfo.InvariantCulture, "  Network:   level {0}, {1} (shown for comparison; not used for this domain)\n", (int)r.NetworkProfile.Level, r.NetworkProfile.Status));
            foreach (var evidence in r.NetworkProfile.Evidence)
            {
                text.Append("  evidence:  ").Append(TrustText.Evidence(evidence)).Append('\n');
            }
        }

        var d = r.Decision;
        text.Append("  Decision:  ").Append(ExplainCommand.DescribeDecision(d)).Append(" — ").Append(d.Reason).Append('\n');
        if (TrustText.RouteOf(d, routing) is { } route)
        {
            text.Append("  route:     ").Append(TrustText.Route(route)).Append('\n');
        }

        if (d.Profile is { } answered)
        {
            // What linksecure policy-server would answer Postfix for this domain (docs/relay.md).
            text.Append("  relay:     linksecure map ").Append(Core.Relay.TlsPolicyMap.StrictAnswer(answered).Text.TrimEnd())
                .Append("; postfix map ").Append(Core.Relay.TlsPolicyMap.CompatibleAnswer(answered).Text.TrimEnd()).Append('\n');
        }

        if (TrustText.IsUnverifiable(d) && d.TechnicalDetail is { } why)
        {
            text.Append("  why:       ").Append(why).Append('\n');
        }
        if (d.UserExplanation is not null)
        {
            text.Append("  sender sees: ").Append(d.UserExplanation).Append('\n');
        }

        text.Append('\n');
        return text.ToString();
    }

    public static string VerdictLine(DomainCheckResult r, int required)
    {
        var verdict = CheckCommand.Verdict(r, required) switch
        {
            "unknown" => "UNKNOWN (lookup failed: " + (r.Profile.FailureReason ?? "temporary failure") + ")",
            "below" => string.Format(CultureInfo.InvariantCulture, "BELOW required level {0}", required),
            _ => string.Format(CultureInfo.InvariantCulture, "meets required level {0}", required),
        };
        var probes = r.Hosts.SelectMany(h => h.Probes).ToList();
        var authenticated = probes.Count(p => p.Outcome == SmtpProbeOutcome.TlsAuthenticated);
        var probeSummary = probes.Count == 0 ? "no MX address probed" : string.Format(CultureInfo.InvariantCulture, "{0}/{1} MX addresses TLS-authenticated", authenticated, probes.Count);
        var decision = ExplainCommand.DescribeDecision(r.Decision);
        if (TrustText.IsUnverifiable(r.Decision))
        {
            decision += " (" + TrustText.UnverifiableNote(r.Decision) + ")";
        }

        // The level is the profile's (r.Level is r.Profile.Level), the one the decision was made from.
        return string.Format(
            CultureInfo.InvariantCulture,
            "{0}: level {1}, {2}; tagged level-{3} mail: {4}; {5}",
            r.Domain,
            (int)r.Profile.Level,
            verdict,
            (int)r.Decision.Request.Level,
            decision,
            probeSummary);
    }

    private static string MtaSts(DomainCheckResult r)
    {
        if (r.MtaStsDetail.Count > 0)
        {
            return string.Join("; ", r.MtaStsDetail);
        }

        return r.MtaStsMode is null ? "no policy" : string.Format(CultureInfo.InvariantCulture, "mode {0}, id {1}, mx {2}", r.MtaStsMode, r.MtaStsId, string.Join(" ", r.MtaStsPatterns ?? Array.Empty<string>()));
    }

    private static string Dane(MxHostCheck host, SmtpProbeResult? probe) => host.Dane switch
    {
        DaneStatus.NotChecked => "not checked",
        DaneStatus.NotApplicable => "n/a",
        DaneStatus.AllUnusable => "unusable",
        DaneStatus.Failed => "FAILED",
        _ => probe?.Tls?.Dane is { } dane ? (dane.Matched ? "match" : "MISMATCH") : "required",
    };

    private static string Policy(MxHostCheck host, SmtpProbeResult? probe)
    {
        if (host.MatchesPolicy is null)
        {
            return "-";
        }

        if (host.MatchesPolicy == false)
        {
            return "MX not in policy";
        }

        return probe?.Tls?.NameMatchesPolicy switch
        {
            true => "match",
            false => "cert mismatch",
            _ => "MX matches",
        };
    }

    private static string AfterTls(SmtpProbeResult probe)
    {
        if (probe.EhloKeywordsAfterTls is null)
        {
            return "-";
        }

        var parts = new List<string>();
        if (probe.RequireTls)
        {
            parts.Add("REQUIRETLS");
        }

        if (probe.LinkSecure is { } keyword)
        {
            parts.Add(keyword.ToString());
        }

        return parts.Count == 0 ? "(none)" : string.Join(", ", parts);
    }

    private static string Detail(SmtpProbeResult probe)
    {
        if (probe.Outcome is SmtpProbeOutcome.TlsAuthenticated or SmtpProbeOutcome.TlsNotAuthenticated)
        {
            var sni = probe.Tls?.Sni is { } name ? "SNI " + name : "no SNI";
            return probe.Error is null ? sni + ", " + probe.Tls!.ChainDetail : sni + "; " + probe.Error;
        }

        return probe.Outcome == SmtpProbeOutcome.NoStartTls && probe.StartTlsReply is not null ? "STARTTLS refused: " + probe.StartTlsReply : probe.Error ?? string.Empty;
    }

    private static string Learned(DomainCheckResult r)
    {
        if (r.LearnedStorePath is null)
        {
            return "not recorded: no learned store is configured (resolver.learnedStorePath or --learned-store), so the agent cannot use these observations";
        }

        if (r.RecordError is not null)
        {
            return "NOT recorded: " + r.RecordError;
        }

        if (r.Learned.Count == 0)
        {
            return "nothing recorded (no conclusive probe, or --no-record) in " + r.LearnedStorePath;
        }

        return string.Format(CultureInfo.InvariantCulture, "recorded {0} host(s) in {1}: {2}", r.Learned.Count, r.LearnedStorePath, string.Join("; ", r.Learned.Select(l => l.ToString() + string.Format(CultureInfo.InvariantCulture, ", until {0:yyyy-MM-dd HH:mm}Z", l.Expires.UtcDateTime))));
    }

    private static string Short(string? text) => text is null ? "-" : text.Length <= 40 ? text : text.Substring(0, 39) + "…";
}
