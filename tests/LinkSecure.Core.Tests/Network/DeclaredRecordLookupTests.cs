using System;
using System.Linq;
using System.Threading.Tasks;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;
using LinkSecure.TestSupport.Network;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace LinkSecure.Core.Tests.Network;

/// <summary>The declared record <c>_linksecure.&lt;domain&gt;</c>: it counts only when DNSSEC-authenticated and bound to a
/// DNSSEC-secure MX RRset, and only then is it remembered for its max-age (docs/protocol.md §3).</summary>
[Collection(NetworkCollection.Name)]
public class DeclaredRecordLookupTests
{
    private readonly NetworkFixture fixture;

    public DeclaredRecordLookupTests(NetworkFixture fixture)
    {
        this.fixture = fixture;
    }

    [Fact]
    public async Task SignedRecord_WithASecureMxRRset_DeclaresItsLevel_AndPinsTheMxNames()
    {
        // Arrange
        var domain = fixture.NewDomain("declared");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.Dns.AddTxt("_linksecure." + domain, "v=LS1; level=2; max-age=86400");
        fixture.Dns.MarkSecure(domain);
        using var source = fixture.CreateSource(validating: true);

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.True(profile.Status == ProfileStatus.Ok, profile.FailureReason);
        Assert.Equal(LinkSecurityLevel.ReadSecure, profile.Level);
        Assert.Equal(new[] { "mx1." + domain }, profile.Tls.MxPatterns);
        Assert.Equal("the DNSSEC-secure MX RRset", profile.Tls.PatternSource);
        Assert.Contains(profile.Evidence, e => e.Source == EvidenceSource.DeclaredRecord && e.Authenticated && e.SupportsLevel == LinkSecurityLevel.ReadSecure && e.Expires is not null);
    }

    [Fact]
    public async Task Attack_ForgedUnsignedRecord_CreatesNoLevel()
    {
        // Arrange: the attacker forges an unsigned declaration of level 4 for an unsigned domain.
        var domain = fixture.NewDomain("forged");
        fixture.PublishMx(domain, "mx.attacker-" + domain);
        fixture.Dns.AddTxt("_linksecure." + domain, "v=LS1; level=4; max-age=31557600");
        using var source = fixture.CreateSource(validating: true);

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(LinkSecurityLevel.None, profile.Level);
        Assert.Equal(LinkSecurityLevel.None, profile.DeclaredLevel);
        Assert.False(profile.TransportEnforced);
        Assert.Contains("not DNSSEC-authenticated", profile.DescribeEvidence());
        Assert.Contains("not counted", profile.DescribeEvidence());
    }

    [Fact]
    public async Task SignedRecord_WithAnInsecureMxRRset_IsNotCounted()
    {
        // Arrange: only the _linksecure name validates; the MX RRset does not.
        var domain = fixture.NewDomain("insecuremx");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.Dns.AddTxt("_linksecure." + domain, "v=LS1; level=3; max-age=86400");
        fixture.Dns.MarkSecure("_linksecure." + domain);
        using var source = fixture.CreateSource(validating: true);

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(LinkSecurityLevel.None, profile.Level);
        Assert.Contains("binds to no authenticated MX set", profile.DescribeEvidence());
    }

    [Fact]
    public async Task WithoutAValidatingResolver_EvenASignedRecordIsNotCounted()
    {
        // Arrange: the AD bit of a server nobody named as a validator is never believed.
        var domain = fixture.NewDomain("noval");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.Dns.AddTxt("_linksecure." + domain, "v=LS1; level=2; max-age=86400");
        fixture.Dns.MarkSecure(domain);
        using var source = fixture.CreateSource(validating: false);

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(LinkSecurityLevel.None, profile.Level);
    }

    [Fact]
    public async Task AcceptUnauthenticatedDeclarations_OptIn_CountsThem_AndSaysSo()
    {
        // Arrange
        var domain = fixture.NewDomain("passive");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.Dns.AddTxt("_linksecure." + domain, "v=LS1; level=2; max-age=86400");
        using var source = fixture.CreateSource(extra: "\"acceptUnauthenticatedDeclarations\": true");

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(LinkSecurityLevel.ReadSecure, profile.Level);
        Assert.Equal(new[] { "mx1." + domain }, profile.Tls.MxPatterns);
        Assert.Contains("resolver.acceptUnauthenticatedDeclarations is on", profile.DescribeEvidence());
        Assert.DoesNotContain(profile.Evidence, e => e.Source == EvidenceSource.DeclaredRecord && e.Authenticated);
    }

    [Fact]
    public async Task RemovedSignedRecord_IsRememberedForItsMaxAge()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = fixture.NewDomain("remembered");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.Dns.AddTxt("_linksecure." + domain, "v=LS1; level=3; max-age=7200");
        fixture.Dns.MarkSecure(domain);
        using var source = fixture.CreateSource(time, validating: true);
        await source.GetProfileAsync(domain);
        fixture.Dns.Clear("_linksecure." + domain);

        // Act
        time.Advance(TimeSpan.FromHours(1.5));
        var within = await source.GetProfileAsync(domain);
        time.Advance(TimeSpan.FromHours(1));
        var after = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(LinkSecurityLevel.BounceInsecure, within.Level);
        Assert.Contains("is no longer published", within.DescribeEvidence());
        Assert.Equal(LinkSecurityLevel.None, after.Level);
    }

    [Fact]
    public async Task Attack_ForgedUnsignedRecord_IsNeverRemembered()
    {
        // Arrange: the attacker forges the record once, then stops.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = fixture.NewDomain("sticky");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.Dns.AddTxt("_linksecure." + domain, "v=LS1; level=4; max-age=31557600");
        using var source = fixture.CreateSource(time, validating: true);
        await source.GetProfileAsync(domain);
        fixture.Dns.Clear("_linksecure." + domain);
        fixture.Dns.MarkSecure(domain);

        // Act: even once the zone is signed, nothing of the forged record remains.
        time.Advance(TimeSpan.FromHours(2));
        var later = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(LinkSecurityLevel.None, later.Level);
        Assert.DoesNotContain("level=4", later.DescribeEvidence());
    }

    [Fact]
    public async Task SeveralRecords_AreIgnored()
    {
        // Arrange
        var domain = fixture.NewDomain("twodeclared");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.Dns.AddTxt("_linksecure." + domain, "v=LS1; level=2; max-age=86400");
        fixture.Dns.AddTxt("_linksecure." + domain, "v=LS1; level=4; max-age=86400");
        fixture.Dns.MarkSecure(domain);
        using var source = fixture.CreateSource(validating: true);

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(LinkSecurityLevel.None, profile.DeclaredLevel);
        Assert.Contains("exactly one is allowed", profile.DescribeEvidence());
    }

    [Fact]
    public async Task LookupFailure_WhereTheDeclarationWouldDecide_IsTemporaryFailure()
    {
        // Arrange: a DNSSEC-secure MX RRset and no MTA-STS or DANE: only the declaration could give a level.
        var domain = fixture.NewDomain("declfail");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.Dns.MarkSecure(domain);
        fixture.Dns.SetFault("_linksecure." + domain, DnsFault.ServFail);
        using var source = fixture.CreateSource(validating: true);

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.TemporaryFailure, profile.Status);
        Assert.Contains($"TXT lookup for _linksecure.{domain} returned SERVFAIL", profile.FailureReason);
    }

    [Fact]
    public async Task LookupFailure_WhereMtaStsSettlesTheLevel_IsEvidenceNotADeferral()
    {
        // Arrange
        var domain = fixture.NewDomain("declfailsts");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.PublishMtaSts(domain, "f1", PolicyResponse.Policy("enforce", 86400, "mx1." + domain));
        fixture.Dns.SetFault("_linksecure." + domain, DnsFault.ServFail);
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.True(profile.Status == ProfileStatus.Ok, profile.FailureReason);
        Assert.Equal(LinkSecurityLevel.TransportSecure, profile.Level);
        Assert.Contains("the level rests on MTA-STS or DANE alone", profile.DescribeEvidence());
    }

    [Fact]
    public async Task LookupFailure_OnAnUnsignedDomain_IsEvidenceNotADeferral()
    {
        // Arrange
        var domain = fixture.NewDomain("declfailplain");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.Dns.SetFault("_linksecure." + domain, DnsFault.ServFail);
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.Ok, profile.Status);
        Assert.Equal(LinkSecurityLevel.None, profile.Level);
    }
}
