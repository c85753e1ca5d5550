using System;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;
using Xunit;

namespace LinkSecure.Core.Tests.Profiles;

public class DomainProfileTests
{
    public static TheoryData<LinkSecurityLevel, bool, bool, LinkSecurityLevel> LevelRules => new()
    {
        // declared, transport enforced, REQUIRETLS on every MX, expected level
        { LinkSecurityLevel.None, false, false, LinkSecurityLevel.None },
        { LinkSecurityLevel.None, false, true, LinkSecurityLevel.None },
        { LinkSecurityLevel.None, true, false, LinkSecurityLevel.TransportSecure },
        { LinkSecurityLevel.None, true, true, LinkSecurityLevel.TransportSecure }, // REQUIRETLS alone does not give level 2
        // A declaration without authenticated transport evidence gives no level at all (docs/protocol.md §3).
        { LinkSecurityLevel.TransportSecure, false, false, LinkSecurityLevel.None },
        { LinkSecurityLevel.ReadSecure, false, false, LinkSecurityLevel.None },
        { LinkSecurityLevel.BounceInsecure, false, false, LinkSecurityLevel.None },
        { LinkSecurityLevel.ForwardSecure, false, false, LinkSecurityLevel.None },
        // REQUIRETLS does not count toward level 3: no route sends the REQUIRETLS parameter (RFC 8689 §4).
        { LinkSecurityLevel.ReadSecure, true, true, LinkSecurityLevel.ReadSecure },
        { LinkSecurityLevel.BounceInsecure, true, false, LinkSecurityLevel.BounceInsecure },
        { LinkSecurityLevel.ForwardSecure, true, true, LinkSecurityLevel.ForwardSecure },
    };

    [Theory]
    [MemberData(nameof(LevelRules))]
    public void Level_IsHighestFullyEvidencedLevel(LinkSecurityLevel declared, bool enforced, bool requireTls, LinkSecurityLevel expected)
    {
        // Arrange
        var profile = new DomainProfile("example.com") { DeclaredLevel = declared, TransportEnforced = enforced, RequireTlsOnEveryMx = requireTls };

        // Act
        var level = profile.Level;

        // Assert
        Assert.Equal(expected, level);
    }

    [Fact]
    public void ObservedTlsFailure_DefeatsEveryLevel()
    {
        // Arrange
        var profile = new DomainProfile("example.com") { DeclaredLevel = LinkSecurityLevel.ForwardSecure, TransportEnforced = true, TlsFailure = "mx1.example.com offers no STARTTLS" };

        // Act & Assert
        Assert.Equal(LinkSecurityLevel.None, profile.Level);
    }

    [Fact]
    public void TemporaryFailure_HasNoLevel()
    {
        // Arrange
        var profile = DomainProfile.TemporaryFailure("example.com", TemporaryFailureKind.Dnssec, "TLSA lookup for mx1.example.com returned SERVFAIL");

        // Act & Assert
        Assert.Equal(LinkSecurityLevel.None, profile.Level);
        Assert.Equal(ProfileStatus.TemporaryFailure, profile.Status);
        Assert.Equal(TemporaryFailureKind.Dnssec, profile.FailureKind);
    }

    [Fact]
    public void ForcedLevel_ReplacesTheRule()
    {
        // Arrange
        var forcedUp = new DomainProfile("a.example") { ForcedLevel = LinkSecurityLevel.BounceInsecure };
        var forcedNever = new DomainProfile("b.example") { ForcedLevel = LinkSecurityLevel.None, DeclaredLevel = LinkSecurityLevel.ForwardSecure, TransportEnforced = true };

        // Act & Assert
        Assert.Equal(LinkSecurityLevel.BounceInsecure, forcedUp.Level);
        Assert.Equal(LinkSecurityLevel.None, forcedNever.Level);
    }

    [Fact]
    public void Combine_KeepsDaneAndTheMtaStsNames_DeclarationsTakeMax_EvidenceConcatenated()
    {
        // Arrange
        var expirySoon = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        var mtaSts = new DomainProfile("example.com")
        {
            TransportEnforced = true,
            Tls = new TlsRequirement(TlsMode.Pkix, new[] { "*.mx.example.com" }),
            Evidence = new[] { new Evidence(EvidenceSource.MtaSts, "mode enforce", LinkSecurityLevel.TransportSecure) },
            Expires = expirySoon.AddDays(5),
        };
        var dane = new DomainProfile("example.com")
        {
            TransportEnforced = true,
            Tls = new TlsRequirement(TlsMode.Dane),
            Evidence = new[] { new Evidence(EvidenceSource.Dane, "TLSA 3 1 1 at every MX", LinkSecurityLevel.TransportSecure) },
            Expires = expirySoon,
        };
        var declared = new DomainProfile("example.com") { DeclaredLevel = LinkSecurityLevel.ReadSecure, Evidence = new[] { new Evidence(EvidenceSource.DeclaredRecord, "v=LS1; level=2") } };

        // Act
        var combined = DomainProfile.Combine("example.com", new[] { mtaSts, dane, declared });

        // Assert: DANE does not replace the name-checked requirement (docs/protocol.md §5).
        Assert.True(combined.Tls.DaneRequired);
        Assert.Equal(TlsMode.Pkix, combined.Tls.Mode);
        Assert.Equal(new[] { "*.mx.example.com" }, combined.Tls.MxPatterns);
        Assert.Equal(LinkSecurityLevel.ReadSecure, combined.Level);
        Assert.Equal(3, combined.Evidence.Count);
        Assert.Equal(expirySoon, combined.Expires);
        Assert.Equal(ProfileStatus.Ok, combined.Status);
    }

    [Fact]
    public void Combine_ADnssecFailureDecidesTheKind_OverATimeout()
    {
        // Arrange: a bogus TLSA plus an induced timeout must still read as a DNSSEC failure (no stale-if-error).
        var bogus = DomainProfile.TemporaryFailure("example.com", TemporaryFailureKind.Dnssec, "TLSA bogus");
        var timeout = DomainProfile.TemporaryFailure("example.com", TemporaryFailureKind.Timeout, "MTA-STS timed out");

        // Act
        var combined = DomainProfile.Combine("example.com", new[] { timeout, bogus });

        // Assert
        Assert.Equal(TemporaryFailureKind.Dnssec, combined.FailureKind);
    }

    [Fact]
    public void Combine_AnyTemporaryFailureMakesTheWholeProfileTemporary()
    {
        // Arrange
        var good = new DomainProfile("example.com") { DeclaredLevel = LinkSecurityLevel.ForwardSecure };
        var failed = DomainProfile.TemporaryFailure("example.com", TemporaryFailureKind.Lookup, "MX lookup timed out");

        // Act
        var combined = DomainProfile.Combine("example.com", new[] { good, failed });

        // Assert
        Assert.Equal(ProfileStatus.TemporaryFailure, combined.Status);
        Assert.Equal(LinkSecurityLevel.None, combined.Level);
        Assert.Equal("MX lookup timed out", combined.FailureReason);
    }

    [Theory]
    [InlineData("mx.example.com", "mx.example.com", true)]
    [InlineData("MX.Example.COM.", "mx.example.com", true)]
    [InlineData("*.example.com", "mx1.example.com", true)]
    [InlineData("*.example.com", "a.b.example.com", false)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.mx.microsoft", "tenant.h-v1.mx.microsoft", false)]
    [InlineData("*.h-v1.mx.microsoft", "tenant.h-v1.mx.microsoft", true)]
    [InlineData("mx.example.com", "mx.example.com.evil.net", false)]
    public void MatchesPattern_Rfc8461Section4_1(string pattern, string host, bool expected)
    {
        // Act & Assert
        Assert.Equal(expected, TlsRequirement.MatchesPattern(pattern, host));
    }
}
