using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Network;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Relay;
using LinkSecure.Core.Tests.Handling;
using Xunit;

namespace LinkSecure.Core.Tests.Relay;

public class TlsPolicyMapTests
{
    private static DomainProfile Profile(TlsRequirement tls) => new("example.net") { Tls = tls };

    [Fact]
    public void Dane_IsDaneOnly_InBothMaps_EvenWithMtaSts()
    {
        // Arrange: DANE at a DNSSEC-secure MX set together with an MTA-STS policy (RFC 8461 §2: DANE first).
        var both = Profile(new TlsRequirement(TlsMode.Pkix, new[] { "mx.example.net" }, "the MTA-STS policy", daneRequired: true));

        // Act / Assert
        Assert.Equal("OK dane-only", TlsPolicyMap.StrictAnswer(both).Text);
        Assert.Equal("OK dane-only", TlsPolicyMap.CompatibleAnswer(both).Text);
        Assert.Equal("OK dane-only", TlsPolicyMap.StrictAnswer(Profile(new TlsRequirement(TlsMode.Dane))).Text);
    }

    [Fact]
    public void MtaStsEnforce_IsSecureWithTheNamesInPostfixSyntax_AndSni()
    {
        // Arrange
        var sts = Profile(new TlsRequirement(TlsMode.Pkix, new[] { "mx1.example.net", "*.mx.example.net" }, "the MTA-STS policy"));

        // Act
        var strict = TlsPolicyMap.StrictAnswer(sts).Text;
        var compatible = TlsPolicyMap.CompatibleAnswer(sts).Text;

        // Assert
        Assert.Equal("OK secure match=mx1.example.net:.mx.example.net servername=hostname", strict);
        Assert.Equal(strict, compatible);
    }

    [Fact]
    public void NoAuthenticatedEvidence_StrictIsSecureForTheRecipientDomain_CompatibleIsNotFound()
    {
        // Arrange: nothing, an unusable-TLSA domain, and names from an MX RRset an attacker could forge.
        var nothing = Profile(TlsRequirement.None);
        var unusableTlsa = Profile(new TlsRequirement(TlsMode.EncryptOnly));
        var forgeable = Profile(new TlsRequirement(TlsMode.Pkix, new[] { "mx.attacker.example" }, ProfileBuilder.UnauthenticatedMxSource));

        // Act / Assert
        foreach (var profile in new[] { nothing, unusableTlsa, forgeable })
        {
            Assert.Equal("OK secure", TlsPolicyMap.StrictAnswer(profile).Text);
            Assert.Equal("NOTFOUND ", TlsPolicyMap.CompatibleAnswer(profile).Text);
        }
    }

    [Fact]
    public void TemporaryFailure_StrictDefers_CompatibleIsNotFound_AsThePeerDoes()
    {
        // Arrange
        var failed = DomainProfile.TemporaryFailure("example.net", TemporaryFailureKind.Lookup, "SERVFAIL for _mta-sts.example.net\r\nsecond line");

        // Act
        var strict = TlsPolicyMap.StrictAnswer(failed).Text;

        // Assert
        Assert.StartsWith("TEMP ", strict);
        Assert.DoesNotContain("\n", strict, StringComparison.Ordinal);
        Assert.Equal("NOTFOUND ", TlsPolicyMap.CompatibleAnswer(failed).Text);
    }

    [Fact]
    public void StrictMap_NeverAnswersAWeakLevel_ForAnyRequirement()
    {
        // Arrange
        var requirements = new[]
        {
            TlsRequirement.None,
            new TlsRequirement(TlsMode.EncryptOnly),
            new TlsRequirement(TlsMode.Pkix),
            new TlsRequirement(TlsMode.Pkix, new[] { "a.example" }, "the known-domain database"),
            new TlsRequirement(TlsMode.Dane),
        };

        // Act
        var answers = requirements.Select(r => TlsPolicyMap.StrictAnswer(Profile(r)).Text).ToArray();

        // Assert
        Assert.All(answers, a => Assert.Matches("^OK (secure|dane-only)( |$)", a));
    }

    [Fact]
    public async Task Map_UnknownMapBadKeyAndNextHopKeys()
    {
        // Arrange
        var map = new TlsPolicyMap(HandlingTestKit.Stack(new ScriptedProfileSource()));

        // Act / Assert
        Assert.StartsWith("PERM", (await map.AnswerAsync("other", "example.net", CancellationToken.None)).Text);
        Assert.StartsWith("PERM", (await map.AnswerAsync(TlsPolicyMap.StrictMap, "not a domain!", CancellationToken.None)).Text);
        Assert.Equal("OK secure", (await map.AnswerAsync(TlsPolicyMap.StrictMap, "[relay.example.net]:25", CancellationToken.None)).Text);
        Assert.Equal("NOTFOUND ", (await map.AnswerAsync(TlsPolicyMap.CompatibleMap, ".example.net", CancellationToken.None)).Text);
        Assert.True(map.ServesMap("linksecure") && map.ServesMap("postfix") && !map.ServesMap("other"));
    }

    [Fact]
    public async Task Map_AMissStormResolvesEachDomainOnce_ThenAnswersFromTheCache()
    {
        // Arrange: the lookup waits on a gate, so every concurrent request meets the same miss.
        var gate = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        ScriptedProfileSource? source = null;
        source = new ScriptedProfileSource(async (domain, _) =>
        {
            await gate.Task.ConfigureAwait(false);
            var profile = ScriptedProfileSource.Secure(domain);
            source!.Cache[domain] = profile;
            return profile;
        });
        var map = new TlsPolicyMap(HandlingTestKit.Stack(source));

        // Act
        var storm = Enumerable.Range(0, 200).Select(_ => map.AnswerAsync(TlsPolicyMap.StrictMap, "storm.example", CancellationToken.None).AsTask()).ToArray();
        gate.SetResult(true);
        var replies = await HandlingTestKit.Completed(Task.WhenAll(storm));
        var warm = await map.AnswerAsync(TlsPolicyMap.StrictMap, "storm.example", CancellationToken.None);

        // Assert
        Assert.Single(source.Asked);
        Assert.All(replies, r => Assert.Equal("OK secure match=.mx.storm.example servername=hostname", r.Text));
        Assert.Equal("OK secure match=.mx.storm.example servername=hostname", warm.Text);
        Assert.Equal(201, map.Lookups);
        Assert.Equal(1, map.Hits);
    }

    [Fact]
    public async Task Map_AFailingLookupIsATemporaryFailure_AndTheNextMissTriesAgain()
    {
        // Arrange
        var calls = 0;
        var source = new ScriptedProfileSource((domain, _) => Interlocked.Increment(ref calls) == 1
            ? throw new InvalidOperationException("resolver down")
            : new ValueTask<DomainProfile>(ScriptedProfileSource.Secure(domain)));
        var map = new TlsPolicyMap(HandlingTestKit.Stack(source));

        // Act
        var first = await map.AnswerAsync(TlsPolicyMap.StrictMap, "flaky.example", CancellationToken.None);
        var second = await map.AnswerAsync(TlsPolicyMap.StrictMap, "flaky.example", CancellationToken.None);

        // Assert
        Assert.StartsWith("TEMP ", first.Text);
        Assert.Equal("OK secure match=.mx.flaky.example servername=hostname", second.Text);
        Assert.Equal(1, map.Failures);
    }

    [Fact]
    public async Task Map_TheRememberedAnswerNeverOutlivesItsCachedProfile()
    {
        // Arrange: the domain's profile is cached; then it expires and the next lookup brings a different one (DANE).
        var dane = new DomainProfile("change.example") { Tls = new TlsRequirement(TlsMode.Dane) };
        var source = new ScriptedProfileSource((domain, _) => new ValueTask<DomainProfile>(dane));
        source.Cache["change.example"] = ScriptedProfileSource.Secure("change.example");
        var map = new TlsPolicyMap(HandlingTestKit.Stack(source));
        var before = await map.AnswerAsync(TlsPolicyMap.StrictMap, "change.example", CancellationToken.None);

        // Act: expiry (the source drops the entry), then a replaced entry.
        source.Cache.TryRemove("change.example", out _);
        var afterExpiry = await map.AnswerAsync(TlsPolicyMap.StrictMap, "change.example", CancellationToken.None);
        source.Cache["change.example"] = new DomainProfile("change.example") { Tls = new TlsRequirement(TlsMode.Pkix, new[] { "mx.change.example" }, "the MTA-STS policy") };
        var afterReplacement = await map.AnswerAsync(TlsPolicyMap.StrictMap, "change.example", CancellationToken.None);

        // Assert
        Assert.Equal("OK secure match=.mx.change.example servername=hostname", before.Text);
        Assert.Equal("OK dane-only", afterExpiry.Text);
        Assert.Single(source.Asked);
        Assert.Equal("OK secure match=mx.change.example servername=hostname", afterReplacement.Text);
        Assert.Equal(Netstring.Encode(afterReplacement.Text), afterReplacement.Encoded.ToArray());
    }
}
