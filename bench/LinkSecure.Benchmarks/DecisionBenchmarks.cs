using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Benchmarks;

/// <summary>
/// Issue 2 targets: parsing + decision for an untagged message (≤ 1 µs, zero allocations), and for a tagged
/// message with 10 recipients over 3 domains with profiles at hand (≤ 5 µs).
/// </summary>
[MemoryDiagnoser]
public class DecisionBenchmarks
{
    private readonly List<KeyValuePair<string, string>> untaggedHeaders = new();
    private readonly List<KeyValuePair<string, string>> taggedHeaders = new();
    private readonly string[] recipients =
    {
        "a@gmail.com", "b@gmail.com", "c@gmail.com", "d@gmail.com",
        "e@partner.example", "f@partner.example", "g@partner.example",
        "h@unknown.example", "i@unknown.example", "j@unknown.example",
    };

    private readonly Dictionary<string, DomainProfile> profiles = new(StringComparer.Ordinal);
    private DecisionEngine engine = null!;

    [GlobalSetup]
    public void Setup()
    {
        var common = new[]
        {
            ("Received", "from mail.contoso.example (10.0.0.1) by hub1.contoso.example with SMTP; Sat, 28 Nov 2026 09:30:00 +0000"),
            ("From", "\"Contoso Billing\" <billing@contoso.example>"),
            ("To", "Alice <a@gmail.com>"),
            ("Subject", "Your November invoice"),
            ("Date", "Sat, 28 Nov 2026 09:30:00 +0000"),
            ("Message-ID", "<invoice-2026-11-0042@contoso.example>"),
            ("MIME-Version", "1.0"),
            ("Content-Type", "multipart/mixed; boundary=\"b\""),
            ("X-MS-Exchange-Organization-AuthAs", "Internal"),
            ("X-MS-Has-Attach", "yes"),
            ("Thread-Topic", "Your November invoice"),
            ("Accept-Language", "en-US"),
        };
        foreach (var (name, value) in common)
        {
            untaggedHeaders.Add(new KeyValuePair<string, string>(name, value));
            taggedHeaders.Add(new KeyValuePair<string, string>(name, value));
        }

        taggedHeaders.Add(new KeyValuePair<string, string>("Link-Security", "level=1; fallback=safe-part"));
        engine = new DecisionEngine(LinkSecureSettings.Default);
        profiles["gmail.com"] = new DomainProfile("gmail.com") { TransportEnforced = true, DeclaredLevel = LinkSecurityLevel.TransportSecure, Tls = new TlsRequirement(TlsMode.Pkix, new[] { "gmail-smtp-in.l.google.com", "*.gmail-smtp-in.l.google.com" }, "the MTA-STS policy") };
        profiles["partner.example"] = new DomainProfile("partner.example") { TransportEnforced = true, DeclaredLevel = LinkSecurityLevel.BounceInsecure, Tls = new TlsRequirement(TlsMode.Pkix, new[] { "*.mx.partner.example" }, "the MTA-STS policy", daneRequired: true) };
        profiles["unknown.example"] = DomainProfile.Unknown("unknown.example");
    }

    /// <summary>Untagged message: parse the request and decide that nothing needs doing.</summary>
    /// <returns>Whether a profile is needed (false).</returns>
    [Benchmark(Baseline = true)]
    public bool UntaggedMessage()
    {
        var request = RequestParser.Parse(untaggedHeaders);
        return engine.NeedsProfile(request);
    }

    /// <summary>Tagged message, 10 recipients over 3 domains, profiles at hand.</summary>
    /// <returns>The number of secure recipients.</returns>
    [Benchmark]
    public int TaggedMessageTenRecipients()
    {
        var request = RequestParser.Parse(taggedHeaders);
        var secure = 0;
        foreach (var recipient in recipients)
        {
            var domain = recipient.Substring(recipient.IndexOf('@', StringComparison.Ordinal) + 1);
            var decision = engine.Decide(request, recipient, profiles[domain], TimeSpan.Zero);
            if (decision.Kind == DecisionKind.Secure)
            {
                secure++;
            }
        }

        return secure;
    }
}
