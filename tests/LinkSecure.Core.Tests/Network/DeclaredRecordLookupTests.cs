using System;
using System.Threading.Tasks;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;
using LinkSecure.TestSupport.Network;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace LinkSecure.Core.Tests.Network;

/// <summary>The declared record <c>_linksecure.&lt;domain&gt;</c> looked up over DNS and remembered for its max-age.</summary>
[Collection(NetworkCollection.Name)]
public class DeclaredRecordLookupTests
{
    private readonly NetworkFixture fixture;

    public DeclaredRecordLookupTests(NetworkFixture fixture)
    {
        this.fixture = fixture;
    }

    [Fact]
    public async Task ValidRecord_DeclaresItsLevel()
    {
        // Arrange
        var domain = fixture.NewDomain("declared");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.Dns.AddTxt("_linksecure." + domain, "v=LS1; level=2; max-age=86400");
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(LinkSecurityLevel.ReadSecure, profile.DeclaredLevel);
        Assert.Equal(LinkSecurityLevel.ReadSecure, profile.Level);
        Assert.Contains(profile.Evidence, e => e.Source == EvidenceSource.DeclaredRecord && e.SupportsLevel == LinkSecurityLevel.ReadSecure && e.Expires is not null);
    }

    [Fact]
    public async Task RemovedRecord_IsRememberedForItsMaxAge()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var domain = fixture.NewDomain("remembered");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.Dns.AddTxt("_linksecure." + domain, "v=LS1; level=3; max-age=7200");
        using var source = fixture.CreateSource(time);
        await source.GetProfileAsync(domain);
        fixture.Dns.Clear("_linksecure." + domain);

        // Act
        time.Advance(TimeSpan.FromHours(1.5));
        var within = await source.GetProfileAsync(domain);
        time.Advance(TimeSpan.FromHours(1));
        var after = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(LinkSecurityLevel.BounceInsecure, within.DeclaredLevel);
        Assert.Contains("is no longer published", within.DescribeEvidence());
        Assert.Equal(LinkSecurityLevel.None, after.DeclaredLevel);
    }

    [Fact]
    public async Task SeveralRecords_AreIgnored()
    {
        // Arrange
        var domain = fixture.NewDomain("twodeclared");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.Dns.AddTxt("_linksecure." + domain, "v=LS1; level=2; max-age=86400");
        fixture.Dns.AddTxt("_linksecure." + domain, "v=LS1; level=4; max-age=86400");
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(LinkSecurityLevel.None, profile.DeclaredLevel);
        Assert.Contains("exactly one is allowed", profile.DescribeEvidence());
    }

    [Fact]
    public async Task LookupFailure_WithoutMemory_IsTemporaryFailure()
    {
        // Arrange
        var domain = fixture.NewDomain("declfail");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.Dns.SetFault("_linksecure." + domain, DnsFault.ServFail);
        using var source = fixture.CreateSource();

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.TemporaryFailure, profile.Status);
        Assert.Contains($"TXT lookup for _linksecure.{domain} returned SERVFAIL", profile.FailureReason);
    }
}
