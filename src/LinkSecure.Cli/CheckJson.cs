using System.Globalization;
using System.Linq;
using System.Text.Json;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Probing;

namespace LinkSecure.Cli;

/// <summary>The JSON form of one domain's check (docs/cli.md, docs/schemas/check-output.schema.json).</summary>
internal static class CheckJson
{
    /// <summary>The top-level <c>resolver</c> object: description, warnings and the DNSSEC self-test.</summary>
    public static void WriteResolver(Utf8JsonWriter writer, ResolverReport resolver)
    {
        writer.WriteStartObject();
        writer.WriteString("description", resolver.Description);
        Strings(writer, "warnings", resolver.Warnings);
        writer.WriteStartObject("dnssecSelfTest");
        writer.WriteString("status", resolver.SelfTest.Status.ToString());
        writer.WriteString("detail", resolver.SelfTest.Detail);
        writer.WriteString("server", resolver.SelfTest.Server);
        writer.WriteString("probeName", resolver.SelfTest.ProbeName);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    public static void WriteDomain(Utf8JsonWriter writer, DomainCheckResult r, int required, RoutingSettings routing)
    {
        writer.WriteStartObject();
        writer.WriteString("domain", r.Domain);
        writer.WriteString("verdict", CheckCommand.Verdict(r, required));
        writer.WriteNumber("level", (int)r.Level);
        writer.WriteString("summary", CheckText.VerdictLine(r, required));
        writer.WriteString("checkedAt", Time(r.CheckedAt));
        writer.WriteNumber("durationMs", (long)r.Duration.TotalMilliseconds);
        writer.WriteStartObject("mx");
        writer.WriteString("status", r.MxStatus.ToString());
        writer.WriteString("detail", r.MxDetail);
        writer.WriteStartArray("hosts");
        foreach (var host in r.Hosts)
        {
            WriteHost(writer, host);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteBoolean("mxSecure", r.MxSecure);
        writer.WriteString("daneNote", r.DaneNote);
        writer.WriteStartObject("mtaSts");
        writer.WriteString("mode", r.MtaStsMode);
        writer.WriteString("id", r.MtaStsId);
        if (r.MtaStsPatterns is null)
        {
            writer.WriteNull("mx");
        }
        else
        {
            Strings(writer, "mx", r.MtaStsPatterns);
        }

        Strings(writer, "detail", r.MtaStsDetail);
        if (r.MtaStsDeclaredLevel is { } declared)
        {
            writer.WriteStartObject("linkSecure");
            writer.WriteNumber("level", (int)declared);
            writer.WriteBoolean("counted", TrustText.MtaStsKeyCounted(r));
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("linkSecure");
        }

        writer.WriteEndObject();
        writer.WriteStartObject("learnedStore");
        writer.WriteString("path", r.LearnedStorePath);
        writer.WriteNumber("recorded", r.Learned.Count);
        writer.WriteString("error", r.RecordError);
        writer.WriteEndObject();
        writer.WriteBoolean("profileFromNetwork", r.ProfileFromNetwork);
        JsonOutput.WriteProfile(writer, "networkProfile", r.NetworkProfile);
        writer.WritePropertyName("decision");
        JsonOutput.WriteDecision(writer, r.Decision, routing);
        writer.WriteEndObject();
    }

    private static void WriteHost(Utf8JsonWriter writer, MxHostCheck host)
    {
        writer.WriteStartObject();
        writer.WriteString("host", host.Host);
        writer.WriteNumber("preference", host.Preference);
        Strings(writer, "addresses", host.Addresses);
        writer.WriteString("addressError", host.AddressError);
        writer.WriteStartObject("dane");
        writer.WriteString("status", host.Dane.ToString());
        writer.WriteString("detail", host.DaneDetail);
        Strings(writer, "tlsa", host.Tlsa.Select(t => t.ToString()));
        writer.WriteEndObject();
        if (host.Requirement is { } requirement)
        {
            writer.WriteStartObject("requirement");
            writer.WriteString("text", requirement.Requirement);
            writer.WriteBoolean("enforced", requirement.Enforced);
            if (requirement.Met is { } met)
            {
                writer.WriteBoolean("met", met);
            }
            else
            {
                writer.WriteNull("met");
            }

            writer.WriteString("detail", requirement.Detail);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("requirement");
        }

        if (host.MatchesPolicy is { } matches)
        {
            writer.WriteBoolean("matchesMtaStsPolicy", matches);
        }
        else
        {
            writer.WriteNull("matchesMtaStsPolicy");
        }

        writer.WriteStartArray("probes");
        foreach (var probe in host.Probes)
        {
            WriteProbe(writer, probe);
        }

        writer.WriteEndArray();
        if (host.Learned is { } learned)
        {
            writer.WriteStartObject("learned");
            writer.WriteBoolean("startTls", learned.StartTls);
            writer.WriteBoolean("certificateValid", learned.CertificateValid);
            writer.WriteString("certificateProblem", learned.CertificateProblem);
            writer.WriteBoolean("requireTls", learned.RequireTls);
            writer.WriteNumber("linkSecureLevel", (int)learned.LinkSecureLevel);
            writer.WriteString("observed", Time(learned.ObservedAt));
            writer.WriteString("expires", Time(learned.Expires));
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("learned");
        }

        writer.WriteEndObject();
    }

    private static void WriteProbe(Utf8JsonWriter writer, SmtpProbeResult probe)
    {
        writer.WriteStartObject();
        writer.WriteString("address", probe.Address);
        writer.WriteNumber("port", probe.Port);
        writer.WriteString("outcome", probe.Outcome.ToString());
        writer.WriteString("stage", probe.Stage.ToString());
        writer.WriteString("error", probe.Error);
        writer.WriteNumber("durationMs", (long)probe.Duration.TotalMilliseconds);
        writer.WriteString("banner", probe.Banner);
        Strings(writer, "ehloKeywords", probe.EhloKeywords);
        writer.WriteBoolean("startTlsOffered", probe.StartTlsOffered);
        writer.WriteString("startTlsReply", probe.StartTlsReply);
        if (probe.Tls is { } tls)
        {
            writer.WriteStartObject("tls");
            writer.WriteString("protocol", tls.Protocol);
            writer.WriteString("cipherSuite", tls.CipherSuite);
            writer.WriteString("sni", tls.Sni);
            writer.WriteBoolean("chainValid", tls.ChainValid);
            writer.WriteString("chainDetail", tls.ChainDetail);
            writer.WriteBoolean("nameMatchesMx", tls.NameMatchesMx);
            if (tls.NameMatchesPolicy is { } policy)
            {
                writer.WriteBoolean("nameMatchesPolicy", policy);
            }
            else
            {
                writer.WriteNull("nameMatchesPolicy");
            }

            writer.WriteBoolean("certificateValid", tls.CertificateValid);
            writer.WriteString("certificateProblem", tls.CertificateProblem);
            if (tls.Dane is { } dane)
            {
                writer.WriteStartObject("dane");
                writer.WriteBoolean("matched", dane.Matched);
                writer.WriteString("detail", dane.Detail);
                writer.WriteEndObject();
            }
            else
            {
                writer.WriteNull("dane");
            }

            writer.WriteStartArray("certificates");
            foreach (var certificate in tls.Certificates)
            {
                writer.WriteStartObject();
                writer.WriteString("subject", certificate.Subject);
                writer.WriteString("issuer", certificate.Issuer);
                writer.WriteString("notBefore", Time(certificate.NotBefore));
                writer.WriteString("notAfter", Time(certificate.NotAfter));
                writer.WriteString("sha256", certificate.Sha256);
                writer.WriteString("spkiSha256", certificate.SpkiSha256);
                Strings(writer, "dnsNames", certificate.DnsNames);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("tls");
        }

        if (probe.EhloKeywordsAfterTls is null)
        {
            writer.WriteNull("ehloKeywordsAfterTls");
        }
        else
        {
            Strings(writer, "ehloKeywordsAfterTls", probe.EhloKeywordsAfterTls);
        }

        writer.WriteBoolean("requireTls", probe.RequireTls);
        if (probe.LinkSecure is { } keyword)
        {
            writer.WriteStartObject("linkSecure");
            writer.WriteNumber("level", (int)keyword.Level);
            writer.WriteNumber("maxAgeSeconds", (long)keyword.MaxAge.TotalSeconds);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("linkSecure");
        }

        Strings(writer, "warnings", probe.Warnings);
        writer.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter writer, string name, System.Collections.Generic.IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static string Time(System.DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
