using System.Linq;
using System.Threading.Tasks;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;
using LinkSecure.TestSupport.Network;
using Xunit;

namespace LinkSecure.Core.Tests.Network;

/// <summary>DANE (RFC 7672) through the loopback DNS server acting as the validating resolver: its AD bit is believed
/// because the settings list it under <c>validatingDnsServers</c>. The real validating resolver (unbound) is in
/// <see cref="UnboundValidationTests"/>.</summary>
[Collection(NetworkCollection.Name)]
public class DaneTests
{
    private const ushort Tlsa = 52;
    private static readonly byte[] Sha256 = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private readonly NetworkFixture fixture;

    public DaneTests(NetworkFixture fixture)
    {
        this.fixture = fixture;
    }

    private string SignedDomain(string label, params (byte Usage, byte Selector, byte Matching)[] records)
    {
        var domain = fixture.NewDomain(label);
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.Dns.MarkSecure(domain);
        foreach (var (usage, selector, matching) in records)
        {
            fixture.Dns.AddTlsa("_25._tcp.mx1." + domain, usage, selector, matching, Sha256);
        }

        return domain;
    }

    [Fact]
    public async Task WithoutValidatingResolver_DaneIsNotCheckedAndNoTlsaIsAsked()
    {
        // Arrange
        var domain = SignedDomain("noval", (3, 1, 1));
        using var source = fixture.CreateSource(validating: false);

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(TlsMode.None, profile.Tls.Mode);
        Assert.Equal(LinkSecurityLevel.None, profile.Level);
        Assert.Contains("DANE not checked: no trusted validating resolver", profile.DescribeEvidence());
        Assert.Equal(0, fixture.Dns.QueryCount("_25._tcp.mx1." + domain, Tlsa));
    }

    [Fact]
    public async Task SecureUsableTlsa_RequiresDane()
    {
        // Arrange
        var domain = SignedDomain("usable", (3, 1, 1), (0, 0, 1));
        using var source = fixture.CreateSource(validating: true);

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.True(profile.Status == ProfileStatus.Ok, profile.FailureReason);
        Assert.Equal(TlsMode.Dane, profile.Tls.Mode);
        Assert.True(profile.TransportEnforced);
        Assert.Equal(LinkSecurityLevel.TransportSecure, profile.Level);
        Assert.Contains("DANE authentication required", profile.DescribeEvidence());
        Assert.Contains("MX mx1." + domain + " (10) (DNSSEC-validated)", profile.DescribeEvidence());
    }

    [Fact]
    public async Task SecureTlsaAllUnusable_IsMandatoryUnauthenticatedTls()
    {
        // Arrange
        var domain = SignedDomain("unusable", (0, 0, 1), (1, 1, 1));
        using var source = fixture.CreateSource(validating: true);

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.True(profile.Tls.Mode == TlsMode.EncryptOnly, profile.FailureReason + " | " + profile.DescribeEvidence());
        Assert.False(profile.TransportEnforced);
        Assert.Equal(LinkSecurityLevel.None, profile.Level);
        Assert.Contains("none usable for SMTP", profile.DescribeEvidence());
    }

    [Fact]
    public async Task InsecureTlsa_IsIgnored()
    {
        // Arrange: records present, AD bit not set.
        var domain = fixture.NewDomain("insecure");
        fixture.PublishMx(domain, "mx1." + domain);
        fixture.Dns.AddTlsa("_25._tcp.mx1." + domain, 3, 1, 1, Sha256);
        using var source = fixture.CreateSource(validating: true);

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.True(profile.Status == ProfileStatus.Ok, profile.FailureReason);
        Assert.Equal(TlsMode.None, profile.Tls.Mode);
        Assert.Contains("is not DNSSEC-secure (RFC 7672 §2.2.1)", profile.DescribeEvidence());
        Assert.Equal(0, fixture.Dns.QueryCount("_25._tcp.mx1." + domain, Tlsa));
    }

    [Fact]
    public async Task Attack_InsecureMxRRsetPointingIntoASignedZoneWithMatchingTlsa_IsNotDane()
    {
        // Arrange: the victim's zone is unsigned; the attacker forges its MX to a host in the attacker's own signed
        // zone, which publishes valid TLSA records for the attacker's key (RFC 7672 §2.2.1).
        var victim = fixture.NewDomain("victim");
        var attackerZone = fixture.NewDomain("attacker");
        var attackerMx = "mx." + attackerZone;
        fixture.Dns.AddMx(victim, 10, attackerMx);
        fixture.Dns.AddA(attackerMx);
        fixture.Dns.AddTlsa("_25._tcp." + attackerMx, 3, 1, 1, Sha256);
        fixture.Dns.MarkSecure(attackerZone);
        using var source = fixture.CreateSource(validating: true);

        // Act
        var profile = await source.GetProfileAsync(victim);

        // Assert
        Assert.Equal(LinkSecurityLevel.None, profile.Level);
        Assert.False(profile.TransportEnforced);
        Assert.False(profile.Tls.DaneRequired);
        Assert.Contains("not DNSSEC-secure (RFC 7672 §2.2.1)", profile.DescribeEvidence());
        Assert.Equal(0, fixture.Dns.QueryCount("_25._tcp." + attackerMx, Tlsa));
    }

    [Fact]
    public async Task SecureDenialOfTlsa_MeansNoDane()
    {
        // Arrange
        var domain = SignedDomain("denial");
        using var source = fixture.CreateSource(validating: true);

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.True(profile.Status == ProfileStatus.Ok, profile.FailureReason);
        Assert.Equal(TlsMode.None, profile.Tls.Mode);
        Assert.Contains("DNSSEC-validated denial: no TLSA records", profile.DescribeEvidence());
    }

    [Fact]
    public async Task TlsaServFailInSignedZone_IsDnssecTemporaryFailure_NotADowngrade()
    {
        // Arrange
        var domain = SignedDomain("bogus", (3, 1, 1));
        fixture.Dns.SetFault("_25._tcp.mx1." + domain, DnsFault.ServFail);
        using var source = fixture.CreateSource(validating: true);

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(ProfileStatus.TemporaryFailure, profile.Status);
        Assert.Equal(TemporaryFailureKind.Dnssec, profile.FailureKind);
        Assert.Contains($"TLSA lookup for _25._tcp.mx1.{domain} returned SERVFAIL", profile.FailureReason);
    }

    [Fact]
    public async Task DaneAndMtaSts_KeepBothRequirements()
    {
        // Arrange
        var domain = SignedDomain("both", (3, 1, 1));
        fixture.PublishMtaSts(domain, "b1", PolicyResponse.Policy("enforce", 86400, "*." + domain));
        using var source = fixture.CreateSource(validating: true);

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert: DANE applies (RFC 8461 §2) and the MTA-STS names stay pinned for a route that cannot check TLSA.
        Assert.True(profile.Tls.DaneRequired);
        Assert.Equal(new[] { "*." + domain }, profile.Tls.MxPatterns);
        Assert.Contains(profile.Evidence, e => e.Source == EvidenceSource.MtaSts);
    }

    [Fact]
    public async Task OneMxWithoutDane_GivesNoDomainWideDane()
    {
        // Arrange
        var domain = SignedDomain("mixed", (3, 1, 1));
        fixture.Dns.AddMx(domain, 20, "backup.unsigned.test");
        fixture.Dns.AddA("backup.unsigned.test");
        using var source = fixture.CreateSource(validating: true);

        // Act
        var profile = await source.GetProfileAsync(domain);

        // Assert
        Assert.Equal(TlsMode.None, profile.Tls.Mode);
        Assert.False(profile.TransportEnforced);
        Assert.Contains("backup.unsigned.test: address records of backup.unsigned.test are not DNSSEC-validated", profile.DescribeEvidence());
    }
}
