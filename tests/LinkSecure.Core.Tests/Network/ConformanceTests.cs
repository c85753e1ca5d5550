using System;
using System.Collections.Generic;
using System.Linq;
using DnsClient;
using DnsClient.Protocol;
using LinkSecure.Core.Network;
using LinkSecure.Core.Profiles;
using Xunit;

namespace LinkSecure.Core.Tests.Network;

/// <summary>
/// The MTA-STS and DANE decision rules, one row per RFC rule, each row named by its RFC section. The rows call the
/// same functions the network source uses; the loopback tests show the rules wired to real servers.
/// </summary>
public class ConformanceTests
{
    private static readonly Dictionary<string, Func<string>> Rows = new()
    {
        // RFC 8461 §3.1: the TXT record.
        ["RFC 8461 §3.1: records not starting with v=STSv1; are discarded"] = () => Record("v=spf1 -all", "v=STSv1; id=abc"),
        ["RFC 8461 §3.1: no record means no policy"] = () => Record("v=spf1 -all"),
        ["RFC 8461 §3.1: more than one record means no policy"] = () => Record("v=STSv1; id=a1", "v=STSv1; id=a2"),
        ["RFC 8461 §3.1: id is 1-32 letters and digits"] = () => Record("v=STSv1; id=abc-def"),
        ["RFC 8461 §3.1: id longer than 32 is invalid"] = () => Record("v=STSv1; id=" + new string('a', 33)),
        ["RFC 8461 §3.1: id is required"] = () => Record("v=STSv1; ext=1"),
        ["RFC 8461 §3.1: extension fields are ignored"] = () => Record("v=STSv1; id=a1; ext=foo"),
        ["RFC 8461 §3.1: whitespace around ; is allowed"] = () => Record("v=STSv1 ;  id=a1 ;"),
        ["RFC 8461 §3.1: the version tag is case-sensitive"] = () => Record("V=STSV1; id=a1"),

        // RFC 8461 §3.2: the policy file.
        ["RFC 8461 §3.2: a complete policy parses"] = () => Policy("version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 86400\n"),
        ["RFC 8461 §3.2: CRLF line endings"] = () => Policy("version: STSv1\r\nmode: testing\r\nmx: mail.example.com\r\nmax_age: 600\r\n"),
        ["RFC 8461 §3.2: unknown keys are ignored"] = () => Policy("version: STSv1\nmode: enforce\nfoo: bar\nmx: mail.example.com\nmax_age: 600\n"),
        ["RFC 8461 §3.2: the first of a repeated non-mx key wins"] = () => Policy("version: STSv1\nmode: enforce\nmode: testing\nmx: a.example.com\nmax_age: 600\nmax_age: 5\n"),
        ["RFC 8461 §3.2: mx repeats"] = () => Policy("version: STSv1\nmode: enforce\nmx: a.example.com\nmx: *.example.net\nmax_age: 600\n"),
        ["RFC 8461 §3.2: max_age above 31557600 is capped to it"] = () => Policy("version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 31557601\n"),
        ["RFC 8461 §3.2: max_age of 31557600 is valid"] = () => Policy("version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 31557600\n"),
        ["RFC 8461 §3.2: max_age is a number"] = () => Policy("version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 1d\n"),
        ["RFC 8461 §3.2: mx is required with mode enforce"] = () => Policy("version: STSv1\nmode: enforce\nmax_age: 600\n"),
        ["RFC 8461 §3.2: mx is optional with mode none"] = () => Policy("version: STSv1\nmode: none\nmax_age: 600\n"),
        ["RFC 8461 §3.2: version must be STSv1"] = () => Policy("version: STSv2\nmode: enforce\nmx: a.example.com\nmax_age: 600\n"),
        ["RFC 8461 §3.2: mode must be enforce, testing or none"] = () => Policy("version: STSv1\nmode: strict\nmx: a.example.com\nmax_age: 600\n"),
        ["RFC 8461 §3.2: an mx pattern has at most one leading wildcard label"] = () => Policy("version: STSv1\nmode: enforce\nmx: *.*.example.com\nmax_age: 600\n"),

        // RFC 8461 §4.1: MX matching.
        ["RFC 8461 §4.1: *.example.com matches mail.example.com"] = () => Match("*.example.com", "mail.example.com"),
        ["RFC 8461 §4.1: *.example.com does not match example.com"] = () => Match("*.example.com", "example.com"),
        ["RFC 8461 §4.1: *.example.com does not match a.b.example.com"] = () => Match("*.example.com", "a.b.example.com"),
        ["RFC 8461 §4.1: exact names match case-insensitively, trailing dot ignored"] = () => Match("mail.example.com", "MAIL.Example.com."),

        // RFC 8461 §5: modes.
        ["RFC 8461 §5: enforce requires PKIX TLS to matching MX hosts"] = () => Sts("enforce", "mx1.example.com"),
        ["RFC 8461 §5: testing is not enforced"] = () => Sts("testing", "mx1.example.com"),
        ["RFC 8461 §5: none is as if there were no policy"] = () => Sts("none", "mx1.example.com"),
        ["RFC 8461 §4.1, §5: enforce with no matching MX is a temporary failure"] = () => Sts("enforce", "mx1.other.net"),

        // RFC 8461 §2: DANE applies before MTA-STS; the MTA-STS names stay pinned for a route that cannot check TLSA.
        ["RFC 8461 §2: DANE takes precedence over MTA-STS"] = () => DomainProfile.Combine("example.com", new[]
        {
            new DomainProfile("example.com") { TransportEnforced = true, Tls = new TlsRequirement(TlsMode.Pkix, new[] { "*.example.com" }) },
            new DomainProfile("example.com") { TransportEnforced = true, Tls = new TlsRequirement(TlsMode.Dane) },
        }).Tls.ToString(),

        // RFC 7672 §3.1: certificate usages.
        ["RFC 7672 §3.1.1: DANE-EE(3) is usable"] = () => Usable(3, 1, 1, 32),
        ["RFC 7672 §3.1.2: DANE-TA(2) is usable"] = () => Usable(2, 0, 1, 32),
        ["RFC 7672 §3.1.3: PKIX-TA(0) is unusable"] = () => Usable(0, 0, 1, 32),
        ["RFC 7672 §3.1.3: PKIX-EE(1) is unusable"] = () => Usable(1, 1, 1, 32),
        ["RFC 6698 §2.1.2: an unknown selector is unusable"] = () => Usable(3, 2, 1, 32),
        ["RFC 6698 §2.1.3: an unknown matching type is unusable"] = () => Usable(3, 1, 3, 32),
        ["RFC 6698 §2.1.3: a SHA-256 digest of the wrong length is unusable"] = () => Usable(3, 1, 1, 20),
        ["RFC 6698 §2.1.3: SHA-512 (matching type 2) is usable"] = () => Usable(3, 1, 2, 64),

        // RFC 7672 §2.1–2.2: DNSSEC status.
        ["RFC 7672 §2.2: secure TLSA with a usable record requires DANE"] = () => Host(Secure(), Tlsa(true, (3, 1, 1))),
        ["RFC 7672 §2.2: secure TLSA, all unusable, is mandatory unauthenticated TLS"] = () => Host(Secure(), Tlsa(true, (0, 0, 1), (1, 1, 1))),
        ["RFC 7672 §2.2: insecure TLSA records are ignored"] = () => Host(Secure(), Tlsa(false, (3, 1, 1))),
        ["RFC 7672 §2.2: an authenticated denial of TLSA means no DANE"] = () => Host(Secure(), Answer("TLSA", DnsOutcome.NxDomain, true)),
        ["RFC 7672 §2.2.3: TLSA does not count when the host's address records are insecure"] = () => Host(Answer("A", DnsOutcome.Records, false), Tlsa(true, (3, 1, 1))),
        ["RFC 7672 §2.1.1: SERVFAIL for TLSA in a signed zone is a temporary failure"] = () => Host(Secure(), Answer("TLSA", DnsOutcome.ServerFailure, false)),
        ["RFC 7672 §2.1.1: SERVFAIL for the address from the validating resolver is a temporary failure"] = () => Host(Answer("A", DnsOutcome.ServerFailure, false), Tlsa(true, (3, 1, 1))),
        ["RFC 7672 §2.1.1: a TLSA timeout in a signed zone is a temporary failure"] = () => Host(Secure(), Answer("TLSA", DnsOutcome.Timeout, false)),
        ["RFC 7672 §2.2: DANE for the domain needs usable TLSA at every MX"] = () => DaneEvaluator.ToProfile("example.com", new[]
        {
            new DaneHostResult("mx1.example.com", DaneHostStatus.Usable, "usable"),
            new DaneHostResult("mx2.example.com", DaneHostStatus.NotApplicable, "insecure"),
        }).Tls.Mode.ToString(),
        ["RFC 7672 §2.1.1: a temporary failure at one MX defers the domain"] = () => DaneEvaluator.ToProfile("example.com", new[]
        {
            new DaneHostResult("mx1.example.com", DaneHostStatus.Usable, "usable"),
            new DaneHostResult("mx2.example.com", DaneHostStatus.TemporaryFailure, "bogus", TemporaryFailureKind.Dnssec),
        }).FailureKind.ToString(),
    };

    private static readonly Dictionary<string, string> Expected = new()
    {
        ["RFC 8461 §3.1: records not starting with v=STSv1; are discarded"] = "id abc",
        ["RFC 8461 §3.1: no record means no policy"] = "none",
        ["RFC 8461 §3.1: more than one record means no policy"] = "invalid: 2 TXT records",
        ["RFC 8461 §3.1: id is 1-32 letters and digits"] = "invalid: id",
        ["RFC 8461 §3.1: id longer than 32 is invalid"] = "invalid: id",
        ["RFC 8461 §3.1: id is required"] = "invalid: the record has no id",
        ["RFC 8461 §3.1: extension fields are ignored"] = "id a1",
        ["RFC 8461 §3.1: whitespace around ; is allowed"] = "id a1",
        ["RFC 8461 §3.1: the version tag is case-sensitive"] = "none",
        ["RFC 8461 §3.2: a complete policy parses"] = "mode enforce, max_age 86400, mx mail.example.com",
        ["RFC 8461 §3.2: CRLF line endings"] = "mode testing, max_age 600, mx mail.example.com",
        ["RFC 8461 §3.2: unknown keys are ignored"] = "mode enforce, max_age 600, mx mail.example.com",
        ["RFC 8461 §3.2: the first of a repeated non-mx key wins"] = "mode enforce, max_age 600, mx a.example.com",
        ["RFC 8461 §3.2: mx repeats"] = "mode enforce, max_age 600, mx a.example.com, *.example.net",
        ["RFC 8461 §3.2: max_age above 31557600 is capped to it"] = "mode enforce, max_age 31557600, mx a.example.com",
        ["RFC 8461 §3.2: max_age of 31557600 is valid"] = "mode enforce, max_age 31557600, mx a.example.com",
        ["RFC 8461 §3.2: max_age is a number"] = "invalid: max_age",
        ["RFC 8461 §3.2: mx is required with mode enforce"] = "invalid: the policy has no mx line",
        ["RFC 8461 §3.2: mx is optional with mode none"] = "mode none, max_age 600, mx (none)",
        ["RFC 8461 §3.2: version must be STSv1"] = "invalid: version",
        ["RFC 8461 §3.2: mode must be enforce, testing or none"] = "invalid: mode",
        ["RFC 8461 §3.2: an mx pattern has at most one leading wildcard label"] = "invalid: mx",
        ["RFC 8461 §4.1: *.example.com matches mail.example.com"] = "match",
        ["RFC 8461 §4.1: *.example.com does not match example.com"] = "no match",
        ["RFC 8461 §4.1: *.example.com does not match a.b.example.com"] = "no match",
        ["RFC 8461 §4.1: exact names match case-insensitively, trailing dot ignored"] = "match",
        ["RFC 8461 §5: enforce requires PKIX TLS to matching MX hosts"] = "Ok enforced Pkix",
        ["RFC 8461 §5: testing is not enforced"] = "Ok not enforced None",
        ["RFC 8461 §5: none is as if there were no policy"] = "Ok not enforced None",
        ["RFC 8461 §4.1, §5: enforce with no matching MX is a temporary failure"] = "TemporaryFailure not enforced None",
        ["RFC 8461 §2: DANE takes precedence over MTA-STS"] = "Pkix (*.example.com) + DANE",
        ["RFC 7672 §3.1.1: DANE-EE(3) is usable"] = "usable",
        ["RFC 7672 §3.1.2: DANE-TA(2) is usable"] = "usable",
        ["RFC 7672 §3.1.3: PKIX-TA(0) is unusable"] = "unusable",
        ["RFC 7672 §3.1.3: PKIX-EE(1) is unusable"] = "unusable",
        ["RFC 6698 §2.1.2: an unknown selector is unusable"] = "unusable",
        ["RFC 6698 §2.1.3: an unknown matching type is unusable"] = "unusable",
        ["RFC 6698 §2.1.3: a SHA-256 digest of the wrong length is unusable"] = "unusable",
        ["RFC 6698 §2.1.3: SHA-512 (matching type 2) is usable"] = "usable",
        ["RFC 7672 §2.2: secure TLSA with a usable record requires DANE"] = "Usable",
        ["RFC 7672 §2.2: secure TLSA, all unusable, is mandatory unauthenticated TLS"] = "AllUnusable",
        ["RFC 7672 §2.2: insecure TLSA records are ignored"] = "NotApplicable",
        ["RFC 7672 §2.2: an authenticated denial of TLSA means no DANE"] = "NotApplicable",
        ["RFC 7672 §2.2.3: TLSA does not count when the host's address records are insecure"] = "NotApplicable",
        ["RFC 7672 §2.1.1: SERVFAIL for TLSA in a signed zone is a temporary failure"] = "TemporaryFailure Dnssec",
        ["RFC 7672 §2.1.1: SERVFAIL for the address from the validating resolver is a temporary failure"] = "TemporaryFailure Dnssec",
        ["RFC 7672 §2.1.1: a TLSA timeout in a signed zone is a temporary failure"] = "TemporaryFailure Dnssec",
        ["RFC 7672 §2.2: DANE for the domain needs usable TLSA at every MX"] = "None",
        ["RFC 7672 §2.1.1: a temporary failure at one MX defers the domain"] = "Dnssec",
    };

    public static IEnumerable<object[]> Rules => Rows.Keys.Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(Rules))]
    public void Rule(string rule)
    {
        // Arrange
        var expected = Expected[rule];

        // Act
        var actual = Rows[rule]();

        // Assert
        Assert.StartsWith(expected, actual, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryRowHasAnExpectation()
    {
        Assert.Equal(Rows.Keys.OrderBy(k => k), Expected.Keys.OrderBy(k => k));
    }

    private static string Record(params string[] txt) =>
        MtaStsRecord.TrySelect(txt, out var record, out var problem) ? "id " + record!.Id : problem is null ? "none" : "invalid: " + problem;

    private static string Policy(string body) =>
        MtaStsPolicy.TryParse(body, out var policy, out var problem) ? policy!.ToString() : "invalid: " + problem;

    private static string Match(string pattern, string host) => TlsRequirement.MatchesPattern(pattern, host) ? "match" : "no match";

    private static string Sts(string mode, string mx)
    {
        Assert.True(MtaStsPolicy.TryParse($"version: STSv1\nmode: {mode}\nmx: *.example.com\nmax_age: 600\n", out var policy, out _));
        var profile = ProfileBuilder.StsPart("example.com", new MtaStsResult { Policy = policy }, new List<string> { mx });
        return $"{profile.Status} {(profile.TransportEnforced ? "enforced" : "not enforced")} {profile.Tls.Mode}";
    }

    private static string Usable(byte usage, byte selector, byte matching, int length) =>
        DaneEvaluator.IsUsable(usage, selector, matching, length) ? "usable" : "unusable";

    private static string Host(DnsAnswer address, DnsAnswer tlsa)
    {
        var result = DaneEvaluator.EvaluateHost("mx1.example.com", address, tlsa);
        return result.Status == DaneHostStatus.TemporaryFailure ? "TemporaryFailure " + result.FailureKind : result.Status.ToString();
    }

    private static DnsAnswer Secure() => Answer("A", DnsOutcome.Records, true);

    private static DnsAnswer Answer(string type, DnsOutcome outcome, bool authenticated) =>
        new(type == "A" ? "mx1.example.com" : "_25._tcp.mx1.example.com", type, outcome, Array.Empty<DnsResourceRecord>(), authenticated, TimeSpan.FromMinutes(5), "127.0.0.1", outcome == DnsOutcome.ServerFailure ? "SERVFAIL" : null);

    private static DnsAnswer Tlsa(bool authenticated, params (byte Usage, byte Selector, byte Matching)[] records)
    {
        var list = records.Select(r => (DnsResourceRecord)new TlsaRecord(
            new ResourceRecordInfo("_25._tcp.mx1.example.com", ResourceRecordType.TLSA, QueryClass.IN, 300, 35),
            r.Usage,
            r.Selector,
            r.Matching,
            new byte[32])).ToArray();
        return new DnsAnswer("_25._tcp.mx1.example.com", "TLSA", DnsOutcome.Records, list, authenticated, TimeSpan.FromMinutes(5), "127.0.0.1", null);
    }
}
