using System;
using System.Collections.Generic;
using System.Linq;
using LinkSecure.Core.Profiles;
using Xunit;

namespace LinkSecure.Core.Tests.Profiles;

public class TlsDomainSelectorTests
{
    public static TheoryData<string[], string> Pinnable => new()
    {
        // One exact name / one wildcard, kept as Exchange writes it.
        { new[] { "mx1.example.com" }, "mx1.example.com" },
        { new[] { "*.mail.example.com" }, "*.mail.example.com" },
        { new[] { "example.com" }, "example.com" },
        { new[] { "MX1.Example.COM.", " mx1.example.com " }, "mx1.example.com" }, // normalised, duplicates ignored
        // Several patterns: *.<longest common suffix>.
        { new[] { "smtp.google.com", "aspmx.l.google.com", "*.aspmx.l.google.com" }, "*.google.com" },
        { new[] { "mail.protonmail.ch", "mailsec.protonmail.ch" }, "*.protonmail.ch" },
        {
            new[] { "mx2c1.comcast.net", "mx2h1.comcast.net", "mx1a1.comcast.net", "mx1h1.comcast.net", "mx1c1.comcast.net", "mx2a1.comcast.net" },
            "*.comcast.net"
        },
        { new[] { "*.mx.partner.example", "backup.partner.example" }, "*.partner.example" }, // docs/known-domains.md example
        { new[] { "*.a.example.com", "*.b.example.com" }, "*.example.com" },
        { new[] { "*.mx.example.com", "*.mx.example.com", "*.MX.example.com" }, "*.mx.example.com" },
        { new[] { "*.example.co.uk", "mx.example.co.uk" }, "*.example.co.uk" },
        // {S, *.S}: one label up, still inside the registrable domain.
        { new[] { "gmail-smtp-in.l.google.com", "*.gmail-smtp-in.l.google.com" }, "*.l.google.com" },
        { new[] { "mail.example.com", "mx1.mail.example.com" }, "*.example.com" },
        // Private suffixes are boundaries: a name below blogspot.com is registrable there.
        { new[] { "a.site.blogspot.com", "b.site.blogspot.com" }, "*.site.blogspot.com" },
    };

    public static TheoryData<string[], string> Refused => new()
    {
        { Array.Empty<string>(), "no MX names are pinned" },
        { new[] { " ", "" }, "no MX names are pinned" },
        // Different registrable domains (microsoft.com's policy).
        { new[] { "*.f-v1.mx.microsoft", "*.mail.protection.outlook.com" }, "no single TLS domain covers" },
        { new[] { "mx1.example.com", "backup.isp.net" }, "different registrable domains" },
        { new[] { "mx.a.co.uk", "mx.b.co.uk" }, "different registrable domains" },
        // Public suffixes are never pinned.
        { new[] { "*.com" }, "public suffix" },
        { new[] { "*.co.uk" }, "public suffix" },
        { new[] { "co.uk" }, "public suffix" },
        { new[] { "*.blogspot.com" }, "public suffix" },
        { new[] { "*.example.com", "*.com" }, "public suffix" },
        { new[] { "localhost" }, "public suffix" },
        // The exact name is the registrable domain itself: *.S does not cover it, its parent is a public suffix.
        { new[] { "example.com", "mx.example.com" }, "would not cover" },
        { new[] { "example.com", "*.example.com" }, "would not cover" },
        // Not patterns.
        { new[] { "*.*.example.com" }, "not an RFC 8461" },
        { new[] { "mx.*.example.com" }, "not an RFC 8461" },
        { new[] { "mx_1.example.com" }, "not an RFC 8461" },
        { new[] { "-mx.example.com" }, "not an RFC 8461" },
        { new[] { "a..example.com" }, "not an RFC 8461" },
        { new[] { "*." }, "not an RFC 8461" },
    };

    [Theory]
    [MemberData(nameof(Pinnable))]
    public void TrySelect_Pinnable_GivesTheTlsDomainAndItCoversEveryPattern(string[] patterns, string expected)
    {
        // Act
        var ok = TlsDomainSelector.TrySelect(patterns, out var tlsDomain, out var reason);

        // Assert
        Assert.True(ok, reason);
        Assert.Equal(expected, tlsDomain);
        Assert.False(string.IsNullOrWhiteSpace(reason));
        Assert.Contains(expected, reason);
        foreach (var host in PossibleHosts(patterns))
        {
            Assert.True(TlsDomainSelector.Covers(tlsDomain!, host), $"{tlsDomain} does not cover {host}");
        }
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void TrySelect_Refused_NoTlsDomainAndAReason(string[] patterns, string reasonPart)
    {
        // Act
        var ok = TlsDomainSelector.TrySelect(patterns, out var tlsDomain, out var reason);

        // Assert
        Assert.False(ok);
        Assert.Null(tlsDomain);
        Assert.Contains(reasonPart, reason);
    }

    [Fact]
    public void TrySelect_GmailSet_IsNotFoldedIntoTheWildcardOfTheExactName()
    {
        // Act
        TlsDomainSelector.TrySelect(new[] { "gmail-smtp-in.l.google.com", "*.gmail-smtp-in.l.google.com" }, out var tlsDomain, out var reason);

        // Assert: *.gmail-smtp-in.l.google.com would not cover gmail-smtp-in.l.google.com itself.
        Assert.Equal("*.l.google.com", tlsDomain);
        Assert.False(TlsDomainSelector.Covers("*.gmail-smtp-in.l.google.com", "gmail-smtp-in.l.google.com"));
        Assert.True(TlsDomainSelector.Covers(tlsDomain!, "gmail-smtp-in.l.google.com"));
        Assert.True(TlsDomainSelector.Covers(tlsDomain!, "alt1.gmail-smtp-in.l.google.com"));
        Assert.Contains("google.com", reason);
    }

    [Fact]
    public void TrySelect_SelectedDomain_StaysInsideTheRegistrableDomain()
    {
        // Act
        TlsDomainSelector.TrySelect(new[] { "smtp.google.com", "aspmx.l.google.com", "*.aspmx.l.google.com" }, out var tlsDomain, out _);

        // Assert: nothing outside google.com is accepted.
        Assert.False(TlsDomainSelector.Covers(tlsDomain!, "google.com.evil.example"));
        Assert.False(TlsDomainSelector.Covers(tlsDomain!, "evilgoogle.com"));
        Assert.False(TlsDomainSelector.Covers(tlsDomain!, "google.com"));
        Assert.False(TlsDomainSelector.Covers(tlsDomain!, "com"));
    }

    [Fact]
    public void TrySelect_NullList_Throws()
    {
        // Act & Assert
        Assert.Throws<ArgumentNullException>(() => TlsDomainSelector.TrySelect(null!, out _, out _));
    }

    [Theory]
    [InlineData("mx1.example.com", "mx1.example.com", true)]
    [InlineData("mx1.example.com", "MX1.Example.com.", true)]
    [InlineData("mx1.example.com", "mx2.example.com", false)]
    [InlineData("mx1.example.com", "a.mx1.example.com", false)]
    [InlineData("*.example.com", "mx.example.com", true)]
    [InlineData("*.example.com", "a.b.mx.example.com", true)] // any depth: the assumption V2
    [InlineData("*.example.com", "*.mx.example.com", true)] // a certificate's own wildcard name below S
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "badexample.com", false)]
    [InlineData("*.example.com", "example.com.evil.example", false)]
    [InlineData("*.", "example.com", false)]
    [InlineData("", "example.com", false)]
    [InlineData("example.com", "", false)]
    public void Covers_ExactOrAnyDepthBelowTheWildcard(string tlsDomain, string host, bool expected)
    {
        // Act & Assert
        Assert.Equal(expected, TlsDomainSelector.Covers(tlsDomain, host));
    }

    /// <summary>Hosts each pattern admits under RFC 8461 §4.1: the exact name, or names with one more label.</summary>
    internal static IEnumerable<string> PossibleHosts(IEnumerable<string> patterns) =>
        patterns
            .Where(p => !string.IsNullOrWhiteSpace(p))
            .Select(p => p.Trim().TrimEnd('.').ToLowerInvariant())
            .SelectMany(p => p.StartsWith("*.", StringComparison.Ordinal)
                ? new[] { "mx1" + p.Substring(1), "alt4" + p.Substring(1) }
                : new[] { p });
}
