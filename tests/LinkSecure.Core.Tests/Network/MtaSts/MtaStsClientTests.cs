using System;
using System.Linq;
using System.Threading.Tasks;
using LinkSecure.Core.Network;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;
using LinkSecure.TestSupport.Network;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace LinkSecure.Core.Tests.Network;

/// <summary>The MTA-STS client (RFC 8461) against the loopback DNS server and a real Kestrel HTTPS server whose
/// certificates come from a test CA trusted through <c>resolver.caFiles</c>.</summary>
[Collection(NetworkCollection.Name)]
public class MtaStsClientTests
{
    private readonly NetworkFixture fixture;

    public MtaStsClientTests(NetworkFixture fixture)
    {
        this.fixture = fixture;
    }

    private string DomainWithMx(string label)
    {
        var domain = fixture.NewDomain(label);
        fixture.PublishMx(domain, "mx1." + domain, "mx2." + domain);
        return domain;
    }

    [Fact]
    public async Task EnforcePolicy_GivesLevelOneWithPkixAndPatterns()
    {
        // Arrange
        var domain = DomainWithMx("enforce");
        fixture.PublishMtaSts(domain, "2024a", PolicyResponse.Policy("enforce", 86400, "*." + domain));
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.Ok, profile.Status);
        Assert.True(profile.TransportEnforced);
        Assert.Equal(LinkSecurityLevel.TransportSecure, profile.Level);
        Assert.Equal(TlsMode.Pkix, profile.Tls.Mode);
        Assert.Equal(new[] { "*." + domain }, profile.Tls.MxPatterns);
        Assert.Contains(profile.Evidence, e => e.Source == EvidenceSource.MtaSts && e.Detail.StartsWith("policy id 2024a (fetched now): mode enforce, max_age 86400", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TestingPolicy_IsNotEnforced()
    {
        // Arrange
        var domain = DomainWithMx("testing");
        fixture.PublishMtaSts(domain, "t1", PolicyResponse.Policy("testing", 86400, "*." + domain));
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.False(profile.TransportEnforced);
        Assert.Equal(TlsMode.None, profile.Tls.Mode);
        Assert.Contains("mode testing is not enforced (RFC 8461 §5)", profile.DescribeEvidence());
    }

    [Fact]
    public async Task EnforcePolicy_MatchingNoMx_IsTemporaryFailure()
    {
        // Arrange
        var domain = DomainWithMx("nomatch");
        fixture.PublishMtaSts(domain, "n1", PolicyResponse.Policy("enforce", 86400, "mail.elsewhere.test"));
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.TemporaryFailure, profile.Status);
        Assert.Contains("matches its MTA-STS policy", profile.FailureReason);
    }

    [Fact]
    public async Task EnforcePolicy_SomeMxNotMatching_IsNotedAsUnusable()
    {
        // Arrange
        var domain = fixture.NewDomain("partial");
        fixture.PublishMx(domain, "mx1." + domain, "backup.other.test");
        fixture.PublishMtaSts(domain, "p1", PolicyResponse.Policy("enforce", 86400, "mx1." + domain));
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.True(profile.TransportEnforced);
        Assert.Contains("backup.other.test does not match the policy's mx patterns", profile.DescribeEvidence());
    }

    [Fact]
    public async Task SeveralStsRecords_MeanNoPolicy()
    {
        // Arrange
        var domain = DomainWithMx("several");
        fixture.PublishMtaSts(domain, "a1", PolicyResponse.Policy("enforce", 86400, "*." + domain));
        fixture.Dns.AddTxt("_mta-sts." + domain, "v=STSv1; id=a2;");
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.Ok, profile.Status);
        Assert.False(profile.TransportEnforced);
        Assert.Contains("2 TXT records start with 'v=STSv1;'", profile.DescribeEvidence());
        Assert.Equal(0, fixture.Https.RequestCount("mta-sts." + domain));
    }

    [Fact]
    public async Task OversizedTxt_ComesOverTcp_AndAnInvalidIdMeansNoPolicy()
    {
        // Arrange: 6,000 bytes of TXT cannot come over UDP with a 4,096-byte EDNS buffer.
        var domain = DomainWithMx("bigtxt");
        fixture.Dns.AddTxt("_mta-sts." + domain, "v=STSv1; id=" + new string('x', 6000));
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.Ok, profile.Status);
        Assert.Contains("is not 1 to 32 letters and digits", profile.DescribeEvidence());
        Assert.Equal(1, fixture.Dns.TcpQueryCount("_mta-sts." + domain, 16));
    }

    [Fact]
    public async Task MultiStringTxt_IsJoinedWithoutSpaces()
    {
        // Arrange
        var domain = DomainWithMx("multistring");
        fixture.PublishMtaSts(domain, "ignored", PolicyResponse.Policy("enforce", 86400, "*." + domain));
        fixture.Dns.Clear("_mta-sts." + domain);
        fixture.Dns.AddTxt("_mta-sts." + domain, "v=STSv1; id=ab", "cd;");
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Contains("policy id abcd", profile.DescribeEvidence());
    }

    [Theory]
    [InlineData(301, "redirects are not followed (RFC 8461 §3.3)")]
    [InlineData(302, "redirects are not followed (RFC 8461 §3.3)")]
    [InlineData(404, "answered HTTP 404")]
    public async Task RedirectOrNotFound_MeansNoPolicy(int status, string expected)
    {
        // Arrange
        var domain = DomainWithMx("http" + status);
        fixture.PublishMtaSts(domain, "r1", new PolicyResponse { Status = status, Location = "https://elsewhere.test/policy.txt", Body = "moved" });
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.Ok, profile.Status);
        Assert.False(profile.TransportEnforced);
        Assert.Contains(expected, profile.DescribeEvidence());
        Assert.Contains("treated as no MTA-STS policy", profile.DescribeEvidence());
    }

    [Fact]
    public async Task ServerError_IsTemporaryFailure()
    {
        // Arrange
        var domain = DomainWithMx("http500");
        fixture.PublishMtaSts(domain, "e1", new PolicyResponse { Status = 500, Body = "oops" });
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.TemporaryFailure, profile.Status);
        Assert.Contains($"https://mta-sts.{domain}/.well-known/mta-sts.txt answered HTTP 500", profile.FailureReason);
    }

    [Fact]
    public async Task WrongContentType_MeansNoPolicy()
    {
        // Arrange
        var domain = DomainWithMx("ctype");
        var policy = PolicyResponse.Policy("enforce", 86400, "*." + domain);
        fixture.PublishMtaSts(domain, "c1", new PolicyResponse { Body = policy.Body, ContentType = "text/html" });
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.False(profile.TransportEnforced);
        Assert.Contains("has content type 'text/html', not text/plain", profile.DescribeEvidence());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task BodyOver64KiB_MeansNoPolicy(bool chunked)
    {
        // Arrange
        var domain = DomainWithMx(chunked ? "bigchunked" : "bigbody");
        var policy = PolicyResponse.Policy("enforce", 86400, "*." + domain);
        fixture.PublishMtaSts(domain, "b1", new PolicyResponse { Body = policy.Body + "# " + new string('x', 70_000) + "\n", Chunked = chunked });
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.False(profile.TransportEnforced);
        Assert.Contains("is larger than 64 KiB", profile.DescribeEvidence());
    }

    [Fact]
    public async Task ChunkedBodyUnderTheCap_IsAccepted()
    {
        // Arrange
        var domain = DomainWithMx("chunked");
        var policy = PolicyResponse.Policy("enforce", 86400, "*." + domain);
        fixture.PublishMtaSts(domain, "k1", new PolicyResponse { Body = policy.Body, Chunked = true });
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.True(profile.TransportEnforced);
    }

    [Fact]
    public async Task BodyThatTrickles_TimesOutAsTemporaryFailure()
    {
        // Arrange
        var domain = DomainWithMx("trickle");
        var policy = PolicyResponse.Policy("enforce", 86400, "*." + domain);
        fixture.PublishMtaSts(domain, "s1", new PolicyResponse { Body = policy.Body, TrickleDelay = TimeSpan.FromMilliseconds(100) });
        using var source = fixture.CreateSource(extra: "\"httpsTimeoutMilliseconds\": 600");

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.TemporaryFailure, profile.Status);
        Assert.Contains("did not complete within 0.6 s (resolver.httpsTimeoutMilliseconds)", profile.FailureReason);
    }

    [Fact]
    public async Task CertificateForWrongName_IsTemporaryFailure()
    {
        // Arrange
        var domain = DomainWithMx("wrongname");
        fixture.PublishMtaSts(domain, "w1", PolicyResponse.Policy("enforce", 86400, "*." + domain));
        fixture.Https.UseCertificate("mta-sts." + domain, fixture.Ca.Issue("www." + domain));
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.TemporaryFailure, profile.Status);
        Assert.Contains($"mta-sts.{domain} certificate is not valid for that name (it names www.{domain}", profile.FailureReason);
    }

    [Fact]
    public async Task ExpiredCertificate_IsTemporaryFailureWithTheDate()
    {
        // Arrange
        var domain = DomainWithMx("expired");
        fixture.PublishMtaSts(domain, "x1", PolicyResponse.Policy("enforce", 86400, "*." + domain));
        var notAfter = new DateTimeOffset(DateTimeOffset.UtcNow.Date.AddDays(-3), TimeSpan.Zero);
        fixture.Https.UseCertificate("mta-sts." + domain, fixture.Ca.Issue("mta-sts." + domain, notAfter.AddDays(-30), notAfter));

        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.TemporaryFailure, profile.Status);
        Assert.Contains($"mta-sts.{domain} certificate expired {notAfter:yyyy-MM-dd}", profile.FailureReason);
    }

    [Fact]
    public async Task CertificateFromUntrustedCa_IsTemporaryFailure()
    {
        // Arrange
        var domain = DomainWithMx("untrusted");
        fixture.PublishMtaSts(domain, "u1", PolicyResponse.Policy("enforce", 86400, "*." + domain));
        using var source = fixture.CreateSource(trustCa: false);

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.TemporaryFailure, profile.Status);
        Assert.Contains("does not chain to a trusted root", profile.FailureReason);
        Assert.Contains("resolver.caFiles", profile.FailureReason);
    }

    [Fact]
    public async Task SameId_AfterProfileExpiry_DoesNotRefetch()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = DomainWithMx("sameid");
        fixture.PublishMtaSts(domain, "same1", PolicyResponse.Policy("enforce", 86400, "*." + domain));
        using var source = fixture.CreateSource(time);
        await source.GetProfileAsync(domain);

        // Act
        time.Advance(TimeSpan.FromHours(2));
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.True(profile.TransportEnforced);
        Assert.Equal(2, source.LookupCount);
        Assert.Equal(1, fixture.Https.RequestCount("mta-sts." + domain));
        Assert.Contains("policy id same1 (cached since", profile.DescribeEvidence());
    }

    [Fact]
    public async Task IdChange_RefetchesAndAppliesTheNewPolicy()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = DomainWithMx("idchange");
        fixture.PublishMtaSts(domain, "old1", PolicyResponse.Policy("enforce", 86400, "*." + domain));
        using var source = fixture.CreateSource(time);
        await source.GetProfileAsync(domain);

        // Act: the domain publishes mode none and a new id (RFC 8461 §8.3), then the profile expires.
        fixture.PublishMtaSts(domain, "new2", PolicyResponse.Policy("none", 600));
        time.Advance(TimeSpan.FromHours(2));
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(2, fixture.Https.RequestCount("mta-sts." + domain));
        Assert.False(profile.TransportEnforced);
        Assert.Contains("policy id new2 (fetched now): mode none", profile.DescribeEvidence());
    }

    [Fact]
    public async Task MaxAgeExpiry_RefetchesWithTheSameId()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = DomainWithMx("maxage");
        fixture.PublishMtaSts(domain, "m1", PolicyResponse.Policy("enforce", 3600, "*." + domain));
        using var source = fixture.CreateSource(time);
        await source.GetProfileAsync(domain);

        // Act
        time.Advance(TimeSpan.FromSeconds(3601));
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(2, fixture.Https.RequestCount("mta-sts." + domain));
        Assert.True(profile.TransportEnforced);
    }

    [Fact]
    public async Task CachedPolicy_KeepsApplyingWhenDnsFails()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = DomainWithMx("dnsfail");
        fixture.PublishMtaSts(domain, "d1", PolicyResponse.Policy("enforce", 86400, "*." + domain));
        using var source = fixture.CreateSource(time, extra: "\"staleIfErrorSeconds\": 0");
        await source.GetProfileAsync(domain);

        // Act
        fixture.Dns.SetFault("_mta-sts." + domain, DnsFault.ServFail);
        time.Advance(TimeSpan.FromHours(2));
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.Ok, profile.Status);
        Assert.True(profile.TransportEnforced);
        Assert.Contains($"TXT lookup for _mta-sts.{domain} returned SERVFAIL", profile.DescribeEvidence());
        Assert.Contains("the cached policy still applies (RFC 8461 §3.3)", profile.DescribeEvidence());
    }

    [Fact]
    public async Task CachedPolicy_KeepsApplyingWhenTheRecordDisappears()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = DomainWithMx("removed");
        fixture.PublishMtaSts(domain, "g1", PolicyResponse.Policy("enforce", 86400, "*." + domain));
        using var source = fixture.CreateSource(time);
        await source.GetProfileAsync(domain);

        // Act
        fixture.Dns.Clear("_mta-sts." + domain);
        time.Advance(TimeSpan.FromHours(2));
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.True(profile.TransportEnforced);
        Assert.Contains("the cached policy still applies until it expires", profile.DescribeEvidence());
    }

    [Fact]
    public async Task CachedPolicy_KeepsApplyingWhenTheNewIdCannotBeFetched_AndFailedFetchesWaitFiveMinutes()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = DomainWithMx("backoff");
        var host = "mta-sts." + domain;
        fixture.PublishMtaSts(domain, "v1", PolicyResponse.Policy("enforce", 86400, "*." + domain));
        using var source = fixture.CreateSource(time, extra: "\"minTtlSeconds\": 60, \"maxTtlSeconds\": 60");
        await source.GetProfileAsync(domain);
        fixture.PublishMtaSts(domain, "v2", new PolicyResponse { Status = 503 });

        // Act
        time.Advance(TimeSpan.FromSeconds(61));
        var first = await source.GetProfileAsync(domain);
        time.Advance(TimeSpan.FromSeconds(61));
        await source.GetProfileAsync(domain);
        var requestsWithinBackoff = fixture.Https.RequestCount(host);
        time.Advance(TimeSpan.FromMinutes(5));
        await source.GetProfileAsync(domain);

        // Assert
        Assert.True(first.TransportEnforced);
        Assert.Contains("policy id v2: https://" + host + "/.well-known/mta-sts.txt answered HTTP 503; the cached policy still applies", first.DescribeEvidence());
        Assert.Equal(2, requestsWithinBackoff);
        Assert.Equal(3, fixture.Https.RequestCount(host));
    }

    [Fact]
    public async Task StsTxtServFail_WithoutCache_IsTemporaryFailure()
    {
        // Arrange
        var domain = DomainWithMx("txtfail");
        fixture.Dns.SetFault("_mta-sts." + domain, DnsFault.ServFail);
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.TemporaryFailure, profile.Status);
        Assert.Contains($"TXT lookup for _mta-sts.{domain} returned SERVFAIL", profile.FailureReason);
    }

    [Fact]
    public async Task Subdomain_DoesNotFallBackToTheParentPolicy()
    {
        // Arrange
        var parent = DomainWithMx("parent");
        fixture.PublishMtaSts(parent, "p1", PolicyResponse.Policy("enforce", 86400, "*." + parent));
        var child = "mail." + parent;
        fixture.PublishMx(child, "mx1." + parent);
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(child);

        // Assert
        Assert.False(profile.TransportEnforced);
        Assert.Equal(0, fixture.Dns.QueryCount("_mta-sts." + parent, 16));
        Assert.Equal(0, fixture.Https.RequestCount("mta-sts." + parent));
    }

    [Fact]
    public async Task PolicyHostWithoutAddress_WithNothingCached_IsTemporaryFailure()
    {
        // Arrange: a published record, but NXDOMAIN for the policy host: forgeable, so not "no policy" (F14).
        var domain = DomainWithMx("nohost");
        fixture.Dns.AddTxt("_mta-sts." + domain, "v=STSv1; id=h1;");
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.TemporaryFailure, profile.Status);
        Assert.Equal(TemporaryFailureKind.Lookup, profile.FailureKind);
        Assert.Contains($"{domain} published an MTA-STS record but mta-sts.{domain} has no address", profile.FailureReason);
        Assert.Contains("on first contact this is what an attacker would cause, so delivery waits (RFC 8461 §3.3, §10)", profile.FailureReason);
    }

    [Fact]
    public async Task PolicyHostWithoutAddress_WithACachedPolicy_TheCachedPolicyApplies()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = DomainWithMx("nohostcached");
        fixture.PublishMtaSts(domain, "c1", PolicyResponse.Policy("enforce", 86400, "*." + domain));
        var path = NewCachePath();
        await EvaluateAsync(Client(time, path), domain);

        // Act: a new id, and the policy host's address gone; a new client over the same file (a restart).
        fixture.Dns.Clear("_mta-sts." + domain);
        fixture.Dns.AddTxt("_mta-sts." + domain, "v=STSv1; id=c2;");
        fixture.Dns.Clear("mta-sts." + domain);
        var result = await EvaluateAsync(Client(time, path), domain);

        // Assert
        Assert.Null(result.TemporaryFailure);
        Assert.Equal("c1", result.PolicyId);
        Assert.Equal(MtaStsMode.Enforce, result.Policy!.Mode);
        var evidence = string.Join(" | ", result.Evidence.Select(e => e.Detail));
        Assert.Contains($"policy id c2: {domain} published an MTA-STS record but mta-sts.{domain} has no address (no A or AAAA record); the cached policy still applies (RFC 8461 §3.3)", evidence);
        Assert.Equal(1, fixture.Https.RequestCount("mta-sts." + domain));
    }

    [Fact]
    public async Task TwoClientsOverOneFile_TheSecondUsesTheFirstsPolicyWithoutFetching()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = DomainWithMx("shared");
        fixture.PublishMtaSts(domain, "s1", PolicyResponse.Policy("enforce", 86400, "*." + domain));
        var path = NewCachePath();
        var first = Client(time, path);
        await EvaluateAsync(first, domain);

        // Act
        var second = Client(time, path);
        var cachedBefore = second.HasCachedPolicy(domain);
        var result = await EvaluateAsync(second, domain);

        // Assert
        Assert.True(cachedBefore);
        Assert.Equal("s1", result.PolicyId);
        Assert.Equal(1, fixture.Https.RequestCount("mta-sts." + domain));
        Assert.Contains(result.Evidence, e => e.Detail.StartsWith("policy id s1 (cached since", StringComparison.Ordinal));
        Assert.Null(second.Store.LastLoadError);
    }

    [Fact]
    public async Task DurablePolicy_KeepsApplyingAfterARestart_WhenTheRecordIsForgedAway()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = DomainWithMx("restart");
        fixture.PublishMtaSts(domain, "r1", PolicyResponse.Policy("enforce", 86400, "*." + domain));
        var path = NewCachePath();
        await EvaluateAsync(Client(time, path), domain);

        // Act: an attacker removes _mta-sts after a restart (RFC 8461 §10).
        fixture.Dns.Clear("_mta-sts." + domain);
        time.Advance(TimeSpan.FromHours(3));
        var result = await EvaluateAsync(Client(time, path), domain);

        // Assert
        Assert.Equal("r1", result.PolicyId);
        Assert.Contains(result.Evidence, e => e.Detail.Contains("the cached policy still applies until it expires", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Forget_KeepsTheDurablePolicy()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = DomainWithMx("forget");
        fixture.PublishMtaSts(domain, "f1", PolicyResponse.Policy("enforce", 86400, "*." + domain));
        var client = Client(time, NewCachePath());
        await EvaluateAsync(client, domain);

        // Act
        client.Forget(domain);

        // Assert
        Assert.True(client.HasCachedPolicy(domain));
    }

    [Fact]
    public async Task EnforcePolicies_SurviveACapacityOf16With100Domains()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domains = Enumerable.Range(0, 100).Select(i => DomainWithMx("many" + i)).ToList();
        foreach (var domain in domains)
        {
            fixture.PublishMtaSts(domain, "m1", PolicyResponse.Policy("enforce", 86400, "*." + domain));
        }

        var path = NewCachePath();
        var client = Client(time, path, capacity: 16);
        foreach (var domain in domains)
        {
            await EvaluateAsync(client, domain);
        }

        // Act: the same client again, and a restarted one.
        var again = new System.Collections.Generic.List<MtaStsResult>();
        foreach (var domain in domains)
        {
            again.Add(await EvaluateAsync(client, domain));
        }

        var restarted = Client(time, path, capacity: 16);
        var afterRestart = domains.Count(restarted.HasCachedPolicy);

        // Assert
        Assert.All(again, r => Assert.Equal(MtaStsMode.Enforce, r.Policy!.Mode));
        Assert.All(domains, d => Assert.Equal(1, fixture.Https.RequestCount("mta-sts." + d)));
        Assert.Equal(100, afterRestart);
    }

    [Fact]
    public async Task LinkSecureKey_AppearsInTheEvidence_AndIsPersisted()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = DomainWithMx("lskey");
        var policy = PolicyResponse.Policy("enforce", 86400, "*." + domain);
        fixture.PublishMtaSts(domain, "l1", new PolicyResponse { Body = policy.Body + "linksecure: 3\r\n" });
        var path = NewCachePath();

        // Act
        var fetched = await EvaluateAsync(Client(time, path), domain);
        var cached = await EvaluateAsync(Client(time, path), domain);

        // Assert
        Assert.Equal(LinkSecurityLevel.BounceInsecure, fetched.Policy!.DeclaredLevel);
        Assert.Contains(fetched.Evidence, e => e.Detail.StartsWith($"policy id l1 (fetched now): mode enforce, max_age 86400, mx *.{domain}; linksecure 3", StringComparison.Ordinal));
        Assert.Equal(LinkSecurityLevel.BounceInsecure, cached.Policy!.DeclaredLevel);
        Assert.Contains(cached.Evidence, e => e.Detail.Contains("; linksecure 3", StringComparison.Ordinal));
    }

    [Fact]
    public async Task InvalidLinkSecureValue_IsNotedAndThePolicyApplies()
    {
        // Arrange
        var domain = DomainWithMx("lsbad");
        var policy = PolicyResponse.Policy("enforce", 86400, "*." + domain);
        fixture.PublishMtaSts(domain, "l2", new PolicyResponse { Body = policy.Body + "linksecure: 7\r\n" });
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.True(profile.TransportEnforced);
        Assert.Contains("linksecure '7' is not a level from 1 to 4 and was ignored", profile.DescribeEvidence());
    }

    [Fact]
    public async Task MaxAgeAboveOneYear_IsCappedAndThePolicyApplies()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = DomainWithMx("longmaxage");
        fixture.PublishMtaSts(domain, "y1", PolicyResponse.Policy("enforce", 40_000_000, "*." + domain));

        // Act
        var result = await EvaluateAsync(Client(time, null), domain);

        // Assert
        Assert.Equal(MtaStsMode.Enforce, result.Policy!.Mode);
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(MtaStsPolicy.MaxMaxAgeSeconds), result.PolicyExpires);
        Assert.Contains(result.Evidence, e => e.Detail == "max_age 40000000 is above the maximum of 31557600 seconds and was capped to it (RFC 8461 §3.2)");
    }

    private string NewCachePath() => System.IO.Path.Combine(fixture.Directory, "mta-sts-" + Guid.NewGuid().ToString("N") + ".json");

    private MtaStsClient Client(TimeProvider time, string? cachePath, int capacity = 1000)
    {
        var fetcher = new PolicyFetcher(fixture.Https.Port, TimeSpan.FromSeconds(5), PolicyFetcher.LoadTrustAnchors(new[] { fixture.CaFile }));
        return new MtaStsClient(fetcher, time, capacity, MtaStsPolicyStore.Open(cachePath, time));
    }

    private async Task<MtaStsResult> EvaluateAsync(MtaStsClient client, string domain)
    {
        var dns = new DnsLookup(new[] { System.Net.IPEndPoint.Parse(fixture.Dns.Address) }, fixture.Settings().Resolver, validating: false);
        var txt = dns.QueryAsync(MtaStsClient.RecordName(domain), DnsClient.QueryType.TXT, default);
        return await client.EvaluateAsync(domain, txt, async () =>
        {
            var a = await dns.QueryAsync(MtaStsClient.PolicyHost(domain), DnsClient.QueryType.A, default);
            var addresses = a.Of<DnsClient.Protocol.ARecord>().Select(r => r.Address).ToList();
            return new HostAddresses(addresses, a.IsFailure ? a.Describe() : null, addresses.Count == 0 && !a.IsFailure, a.Ttl);
        }, default);
    }
}
