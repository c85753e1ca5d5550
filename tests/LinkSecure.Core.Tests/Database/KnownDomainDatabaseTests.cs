using System;
using System.IO;
using System.Linq;
using System.Text;
using LinkSecure.Core.Database;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;
using LinkSecure.Core.Tests.Profiles;
using Xunit;

namespace LinkSecure.Core.Tests.Database;

public class KnownDomainDatabaseTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static KnownDomainDatabase Load(string json) =>
        KnownDomainDatabase.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)), "test.json");

    private static DocumentException LoadFails(string json) =>
        Assert.Throws<DocumentException>(() => Load(json));

    [Fact]
    public void Load_ValidFile_ExposesEntries()
    {
        // Arrange
        const string json = """
        {
          "version": 1,
          "description": "test",
          "expires": "2027-01-01T00:00:00Z",
          "domains": [
            { "domain": "Partner.Example.", "level": 3, "mx": ["*.mx.partner.example", "MX1.partner.example"], "source": "admin", "verified": "2026-11-01" },
            { "domain": "bücher.example", "level": 1, "source": "admin" },
            { "domain": "never.example", "level": 0, "source": "admin", "notes": "relays in plaintext" }
          ]
        }
        """;

        // Act
        var db = Load(json);

        // Assert
        Assert.Equal(3, db.Count);
        Assert.True(db.TryGet("PARTNER.example.", Now, out var partner));
        Assert.Equal("partner.example", partner!.Domain);
        Assert.Equal(LinkSecurityLevel.BounceInsecure, partner.Level);
        Assert.Equal(new[] { "*.mx.partner.example", "mx1.partner.example" }, partner.MxPatterns);
        Assert.True(db.TryGet("xn--bcher-kva.example", Now, out _));
        Assert.True(db.TryGet("BÜCHER.example", Now, out _));
        Assert.True(db.TryGet("never.example", Now, out var never));
        Assert.Equal(LinkSecurityLevel.None, never!.Level);
        Assert.False(db.TryGet("sub.partner.example", Now, out _));
    }

    [Fact]
    public void TryGet_ExpiredEntry_IsIgnored()
    {
        // Arrange
        var db = Load("""{ "version": 1, "domains": [ { "domain": "old.example", "level": 2, "expires": "2026-11-01" }, { "domain": "new.example", "level": 2, "expires": "2027-11-01" } ] }""");

        // Act & Assert
        Assert.False(db.TryGet("old.example", Now, out _));
        Assert.True(db.TryGet("new.example", Now, out _));
    }

    [Fact]
    public void TryGet_AfterFileExpiry_EveryEntryIsIgnored()
    {
        // Arrange
        var db = Load("""{ "version": 1, "expires": "2026-11-01T00:00:00Z", "domains": [ { "domain": "a.example", "level": 1 } ] }""");

        // Act & Assert
        Assert.False(db.TryGet("a.example", Now, out _));
        Assert.True(db.TryGet("a.example", Now.AddYears(-1), out _));
    }

    [Fact]
    public void UnverifiedEntry_CountsForLevelOneAtMost()
    {
        // Arrange
        var db = Load("""{ "version": 1, "domains": [ { "domain": "a.example", "level": 4, "unverified": true } ] }""");

        // Act
        db.TryGet("a.example", Now, out var entry);

        // Assert
        Assert.Equal(LinkSecurityLevel.ForwardSecure, entry!.Level);
        Assert.Equal(LinkSecurityLevel.TransportSecure, entry.EffectiveLevel);
    }

    [Fact]
    public void Load_ReportsEveryErrorWithItsPath()
    {
        // Arrange
        const string json = """
        {
          "version": 1,
          "domainz": [],
          "domains": [
            { "domain": "ok.example", "level": 1 },
            { "domain": "not a domain", "level": 1 },
            { "domain": "b.example", "level": 9 },
            { "domain": "c.example" },
            { "domain": "d.example", "level": 1, "mx": ["*.*.bad.example", "ok.mx.example"] },
            { "domain": "ok.example", "level": 2 },
            { "level": 1, "colour": "blue" },
            "just a string"
          ]
        }
        """;

        // Act
        var ex = LoadFails(json);

        // Assert
        var paths = ex.Errors.Select(e => e.Path).ToList();
        Assert.Contains("$.domainz", paths);
        Assert.Contains("$.domains[1].domain", paths);
        Assert.Contains("$.domains[2].level", paths);
        Assert.Contains("$.domains[3].level", paths);
        Assert.Contains("$.domains[4].mx[0]", paths);
        Assert.Contains("$.domains[5].domain", paths);
        Assert.Contains("$.domains[6].colour", paths);
        Assert.Contains("$.domains[6].domain", paths);
        Assert.Contains("$.domains[7]", paths);
        Assert.Contains("test.json", ex.Message);
    }

    [Theory]
    [InlineData("{ \"version\": 1, \"domains\": [ }")]
    [InlineData("not json at all")]
    [InlineData("")]
    public void Load_InvalidJson_ClearError(string json)
    {
        // Act
        var ex = LoadFails(json);

        // Assert
        Assert.Contains("not valid JSON", ex.Message);
    }

    [Fact]
    public void Load_WrongVersionOrShape_Rejected()
    {
        // Act
        var versionError = LoadFails("""{ "version": 2, "domains": [] }""");
        var shapeError = LoadFails("""[ 1, 2, 3 ]""");
        var missing = LoadFails("""{ "version": 1 }""");

        // Assert
        Assert.Contains(versionError.Errors, e => e.Path == "$.version");
        Assert.Contains(shapeError.Errors, e => e.Path == "$");
        Assert.Contains(missing.Errors, e => e.Path == "$.domains");
    }

    [Fact]
    public void Load_OversizedFile_RejectedBeforeParsing()
    {
        // Arrange
        var big = new MemoryStream(new byte[KnownDomainDatabase.MaxFileBytes + 1]);

        // Act
        var ex = Assert.Throws<DocumentException>(() => KnownDomainDatabase.Load(big, "huge.json"));

        // Assert
        Assert.Contains("larger than the limit", ex.Message);
    }

    [Fact]
    public void Embedded_LoadsAndEveryEntryIsUnverifiedLevelOne()
    {
        // Act
        var db = KnownDomainDatabase.LoadEmbedded();

        // Assert
        Assert.True(db.Count >= 10);
        Assert.All(db.Entries, e =>
        {
            Assert.True(e.Unverified);
            Assert.Equal(LinkSecurityLevel.TransportSecure, e.EffectiveLevel);
            Assert.False(string.IsNullOrWhiteSpace(e.Source));
        });
        Assert.True(db.TryGet("gmail.com", Now, out var gmail));
        Assert.Contains("*.gmail-smtp-in.l.google.com", gmail!.MxPatterns);
        Assert.False(db.TryGet("yahoo.com", Now, out _)); // MTA-STS testing only: not link-secure
    }

    [Fact]
    public void Embedded_EntriesWithPatterns_WhichArePinnable()
    {
        // Arrange
        var expected = new (string Domain, string? TlsDomain)[]
        {
            ("comcast.net", "*.comcast.net"),
            ("gmail.com", "*.l.google.com"),
            ("google.com", "*.google.com"),
            ("hotmail.com", "*.olc.protection.outlook.com"),
            ("microsoft.com", null), // *.f-v1.mx.microsoft and *.mail.protection.outlook.com: two registrable domains
            ("outlook.com", "*.olc.protection.outlook.com"),
            ("protonmail.com", "*.protonmail.ch"),
        };
        var db = KnownDomainDatabase.LoadEmbedded();

        // Act
        var actual = db.Entries
            .Where(e => e.MxPatterns.Count > 0)
            .Select(e =>
            {
                var ok = TlsDomainSelector.TrySelect(e.MxPatterns, out var tlsDomain, out var reason);
                Assert.False(string.IsNullOrWhiteSpace(reason));
                Assert.Equal(ok, tlsDomain is not null);
                if (ok)
                {
                    Assert.All(TlsDomainSelectorTests.PossibleHosts(e.MxPatterns), host => Assert.True(TlsDomainSelector.Covers(tlsDomain!, host), $"{e.Domain}: {tlsDomain} does not cover {host}"));
                }

                return (e.Domain, tlsDomain);
            })
            .ToArray();

        // Assert
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Embedded_EntriesWithoutPatterns_SayTheyCannotAuthenticate()
    {
        // Act
        var withoutPatterns = KnownDomainDatabase.LoadEmbedded().Entries.Where(e => e.MxPatterns.Count == 0).ToArray();

        // Assert
        Assert.Equal(new[] { "live.com", "mailbox.org", "posteo.de", "proton.me", "tutamail.com" }, withoutPatterns.Select(e => e.Domain));
        Assert.All(withoutPatterns, e => Assert.Contains("cannot give an authenticated route", e.Notes));
    }

    [Fact]
    public void Embedded_PublishedPatterns_AsTheSourcesGiveThem()
    {
        // Act
        var db = KnownDomainDatabase.LoadEmbedded();

        // Assert
        Assert.True(db.TryGet("microsoft.com", Now, out var microsoft));
        Assert.Equal(new[] { "*.f-v1.mx.microsoft", "*.mail.protection.outlook.com" }, microsoft!.MxPatterns);
        Assert.True(db.TryGet("protonmail.com", Now, out var proton));
        Assert.Equal(new[] { "mail.protonmail.ch", "mailsec.protonmail.ch" }, proton!.MxPatterns);
        Assert.True(db.TryGet("comcast.net", Now, out var comcast));
        Assert.Equal(6, comcast!.MxPatterns.Count);
        Assert.Contains("stale", comcast.Notes);
        foreach (var domain in new[] { "outlook.com", "hotmail.com" })
        {
            Assert.True(db.TryGet(domain, Now, out var entry));
            Assert.Equal(new[] { "*.olc.protection.outlook.com" }, entry!.MxPatterns);
            Assert.Contains("2020", entry.Notes);
            Assert.Contains(domain.Replace('.', '-') + ".olc.protection.outlook.com", entry.Notes);
            Assert.Contains("paranoidpenguin", entry.Source);
        }
    }

    [Fact]
    public void Merge_LaterDatabaseWins_AndFileExpiryStaysWithItsEntries()
    {
        // Arrange
        var first = Load("""{ "version": 1, "expires": "2026-12-01T00:00:00Z", "domains": [ { "domain": "a.example", "level": 1 }, { "domain": "b.example", "level": 1 } ] }""");
        var second = Load("""{ "version": 1, "domains": [ { "domain": "a.example", "level": 3 } ] }""");

        // Act
        var merged = KnownDomainDatabase.Merge(new[] { first, second });

        // Assert
        Assert.True(merged.TryGet("a.example", Now, out var a));
        Assert.Equal(LinkSecurityLevel.BounceInsecure, a!.Level);
        Assert.True(merged.TryGet("b.example", Now, out _));
        Assert.False(merged.TryGet("b.example", new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero), out _));
    }

    [Fact]
    public void WithWithoutAndWriteTo_RoundTrip()
    {
        // Arrange
        var db = KnownDomainDatabase.Empty
            .With(new KnownDomainEntry { Domain = "x.example", Level = LinkSecurityLevel.ReadSecure, MxPatterns = new[] { "*.mx.x.example" }, Source = "admin", Verified = Now })
            .With(new KnownDomainEntry { Domain = "y.example", Level = LinkSecurityLevel.TransportSecure, Source = "admin", Unverified = true, Notes = "n" });

        // Act
        var withoutY = db.Without("Y.EXAMPLE", out var removed);
        using var stream = new MemoryStream();
        withoutY.WriteTo(stream);
        stream.Position = 0;
        var reloaded = KnownDomainDatabase.Load(stream);

        // Assert
        Assert.True(removed);
        Assert.Equal(1, reloaded.Count);
        Assert.True(reloaded.TryGet("x.example", Now, out var x));
        Assert.Equal(LinkSecurityLevel.ReadSecure, x!.Level);
        Assert.Equal(new[] { "*.mx.x.example" }, x.MxPatterns);
        Assert.Equal("admin", x.Source);
    }
}
