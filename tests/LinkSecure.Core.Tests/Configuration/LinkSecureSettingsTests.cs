using System;
using System.IO;
using System.Linq;
using System.Text;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Database;
using LinkSecure.Core.Protocol;
using Xunit;

namespace LinkSecure.Core.Tests.Configuration;

public class LinkSecureSettingsTests
{
    private static LinkSecureSettings Load(string json) =>
        LinkSecureSettings.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)), "LinkSecure.config.json");

    private static DocumentException LoadFails(string json) => Assert.Throws<DocumentException>(() => Load(json));

    [Fact]
    public void Default_HasDocumentedValues()
    {
        // Act
        var s = LinkSecureSettings.Default;

        // Assert
        Assert.False(s.EnforceForAllMail);
        Assert.True(s.UseEmbeddedDatabase);
        Assert.Empty(s.Overrides);
        Assert.Equal(TimeSpan.FromMinutes(15), s.Defer.RetryAfter);
        Assert.Equal(TimeSpan.FromHours(4), s.Defer.MaxDefer);
        Assert.Equal(RoutingMode.Connector, s.Routing.Mode);
        Assert.Equal("linksecure-dv.invalid", s.Routing.DomainValidationDomain);
        Assert.Equal(TimeSpan.FromSeconds(3), s.Agent.LookupBudget);
        Assert.Equal(TimeSpan.FromSeconds(30), s.Agent.RewriteBudget);
        Assert.Empty(s.InternalDomains);
    }

    [Fact]
    public void EmptyObject_EqualsDefaults()
    {
        // Act
        var s = Load("{}");

        // Assert
        Assert.Equal(LinkSecureSettings.Default.Routing.EncryptionOnlyDomain, s.Routing.EncryptionOnlyDomain);
        Assert.Equal(LinkSecureSettings.Default.Defer.MaxDefer, s.Defer.MaxDefer);
    }

    [Fact]
    public void FullDocument_IsRead()
    {
        // Arrange
        const string json = """
        {
          // comments are allowed
          "enforceForAllMail": true,
          "internalDomains": [ "Contoso.com", "*.Contoso.com", "fabrikam.example" ],
          "knownDomains": { "useEmbedded": false, "files": [ "partners.json" ] },
          "overrides": [
            { "domain": "partner.example", "level": 3, "comment": "contract 42" },
            { "domain": "legacy.example", "never": true }
          ],
          "defer": { "retryMinutes": 5, "maxDeferMinutes": 60 },
          "routing": { "mode": "smartHost", "smartHosts": [ "relay1.contoso.com" ], "smartHostDomain": "relay.contoso.invalid", "smartHostTlsAuthLevel": "CertificateValidation" },
          "agent": { "lookupBudgetMilliseconds": 1500, "rewriteBudgetMilliseconds": 60000 },
          "resolver": { "dnsServers": [ "10.0.0.53" ], "timeoutMilliseconds": 800 },
          "downgrade": { "extraKeepHeaders": [ "X-Contoso-Ticket" ] },
        }
        """;

        // Act
        var s = Load(json);

        // Assert
        Assert.True(s.EnforceForAllMail);
        Assert.True(s.IsInternalDomain("contoso.com"));
        Assert.True(s.IsInternalDomain("eu.contoso.com"));
        Assert.False(s.IsInternalDomain("eu.fabrikam.example"));
        Assert.False(s.IsInternalDomain("contoso.com.evil.example"));
        Assert.False(s.UseEmbeddedDatabase);
        Assert.Equal(new[] { "partners.json" }, s.DatabaseFiles);
        Assert.True(s.TryGetOverride("partner.example", out var partner));
        Assert.Equal(LinkSecurityLevel.BounceInsecure, partner!.Level);
        Assert.True(s.TryGetOverride("legacy.example", out var legacy));
        Assert.True(legacy!.Never);
        Assert.Equal(TimeSpan.FromMinutes(5), s.Defer.RetryAfter);
        Assert.Equal(TimeSpan.FromHours(1), s.Defer.MaxDefer);
        Assert.Equal(RoutingMode.SmartHost, s.Routing.Mode);
        Assert.Equal("relay.contoso.invalid", s.Routing.SmartHostDomain);
        Assert.Equal("CertificateValidation", s.Routing.SmartHostTlsAuthLevel);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), s.Agent.LookupBudget);
        Assert.Equal(TimeSpan.FromMinutes(1), s.Agent.RewriteBudget);
        Assert.Equal(new[] { "*.contoso.com", "contoso.com", "fabrikam.example" }, s.InternalDomains.OrderBy(d => d, StringComparer.Ordinal));
        Assert.Equal(new[] { "10.0.0.53" }, s.Resolver.DnsServers);
        Assert.Equal(new[] { "X-Contoso-Ticket" }, s.Downgrade.ExtraKeepHeaders);
    }

    [Fact]
    public void InvalidDocument_ReportsEveryErrorWithItsJsonPath()
    {
        // Arrange
        const string json = """
        {
          "enforceForAllMail": "yes",
          "internalDomain": [ "typo.example" ],
          "internalDomains": [ "ok.example", "not a domain", 7 ],
          "overrides": [
            { "domain": "a.example", "level": 7 },
            { "domain": "b.example" },
            { "domain": "c.example", "level": 2, "never": true },
            { "domain": "a.example", "level": 1 },
            { "level": 1 }
          ],
          "defer": { "retryMinutes": 0, "maxDeferMinutes": "four hours" },
          "routing": { "mode": "carrier-pigeon", "domainValidationDomain": "not valid!", "tlsAuthLevel": "x" },
          "agent": { "lookupBudgetMilliseconds": 5 }
        }
        """;

        // Act
        var ex = LoadFails(json);

        // Assert
        var paths = ex.Errors.Select(e => e.Path).ToArray();
        Assert.Contains("$.enforceForAllMail", paths);
        Assert.Contains("$.internalDomain", paths);
        Assert.Contains("$.internalDomains[1]", paths);
        Assert.Contains("$.internalDomains[2]", paths);
        Assert.Contains("$.overrides[0].level", paths);
        Assert.Contains("$.overrides[1]", paths);
        Assert.Contains("$.overrides[2]", paths);
        Assert.Contains("$.overrides[3].domain", paths);
        Assert.Contains("$.overrides[4].domain", paths);
        Assert.Contains("$.defer.retryMinutes", paths);
        Assert.Contains("$.defer.maxDeferMinutes", paths);
        Assert.Contains("$.routing.mode", paths);
        Assert.Contains("$.routing.domainValidationDomain", paths);
        Assert.Contains("$.routing.tlsAuthLevel", paths);
        Assert.Contains("$.agent.lookupBudgetMilliseconds", paths);
        Assert.Contains("LinkSecure.config.json is invalid", ex.Message);
    }

    [Fact]
    public void UnknownSetting_NamesTheExpectedOnes()
    {
        // Act
        var ex = LoadFails("""{ "enforceForAllMails": true }""");

        // Assert
        var error = Assert.Single(ex.Errors);
        Assert.Equal("$.enforceForAllMails", error.Path);
        Assert.Contains("enforceForAllMail", error.Message);
    }

    [Fact]
    public void SmartHostModeWithoutHosts_IsAnError()
    {
        // Act
        var ex = LoadFails("""{ "routing": { "mode": "smartHost" } }""");

        // Assert
        Assert.Contains(ex.Errors, e => e.Path == "$.routing.smartHosts");
    }

    [Fact]
    public void DuplicateRoutingDomains_AreAnError()
    {
        // Act
        var ex = LoadFails("""{ "routing": { "domainValidationDomain": "same.invalid", "encryptionOnlyDomain": "same.invalid" } }""");

        // Assert
        Assert.Contains(ex.Errors, e => e.Path == "$.routing" && e.Message.Contains("same.invalid"));
    }

    [Fact]
    public void NotJsonOrTooLarge_ClearErrors()
    {
        // Act
        var notJson = LoadFails("{ enforceForAllMail: true");
        var tooLarge = Assert.Throws<DocumentException>(() => LinkSecureSettings.Load(new MemoryStream(new byte[LinkSecureSettings.MaxFileBytes + 10]), "big.json"));

        // Assert
        Assert.Contains("not valid JSON", notJson.Message);
        Assert.Contains("line 1", notJson.Message);
        Assert.Contains("larger than the limit", tooLarge.Message);
    }

    [Fact]
    public void Validate_ReturnsErrorsWithoutThrowing()
    {
        // Act
        var errors = LinkSecureSettings.Validate(new MemoryStream(Encoding.UTF8.GetBytes("""{ "defer": { "retryMinutes": -1 } }""")));
        var none = LinkSecureSettings.Validate(new MemoryStream(Encoding.UTF8.GetBytes("{}")));

        // Assert
        Assert.Single(errors);
        Assert.Empty(none);
    }

    [Fact]
    public void WithInternalDomains_AddsHostDomainsWithoutChangingOriginal()
    {
        // Arrange
        var original = Load("""{ "internalDomains": [ "a.example" ] }""");

        // Act
        var copy = original.WithInternalDomains(new[] { "B.Example", "not a domain", "*.C.Example", "*.com" });

        // Assert
        Assert.True(copy.IsInternalDomain("b.example"));
        Assert.False(copy.IsInternalDomain("sub.b.example"));
        Assert.True(copy.IsInternalDomain("a.example"));
        Assert.True(copy.IsInternalDomain("x.c.example"));
        Assert.False(copy.IsInternalDomain("c.example"));
        Assert.False(copy.IsInternalDomain("anything.com"));
        Assert.False(original.IsInternalDomain("b.example"));
        Assert.False(original.IsInternalDomain("x.c.example"));
    }

    [Theory]
    [InlineData("contoso.com", "contoso.com", true)]
    [InlineData("contoso.com", "eu.contoso.com", false)]
    [InlineData("contoso.com", "contoso.com.evil.example", false)]
    [InlineData("contoso.com", "notcontoso.com", false)]
    [InlineData("*.contoso.com", "eu.contoso.com", true)]
    [InlineData("*.contoso.com", "a.b.eu.contoso.com", true)]
    [InlineData("*.contoso.com", "contoso.com", false)]
    [InlineData("*.contoso.com", "notcontoso.com", false)]
    [InlineData("*.contoso.com", "eu.contoso.com.evil.example", false)]
    [InlineData("Bücher.example", "xn--bcher-kva.example", true)]
    public void InternalDomains_AreStrict_ExactEntryThatDomainOnly_WildcardSubdomainsOnly(string entry, string domain, bool expected)
    {
        // Arrange
        var settings = Load("{ \"internalDomains\": [ \"" + entry + "\" ] }");

        // Act
        var isInternal = settings.IsInternalDomain(domain);

        // Assert
        Assert.Equal(expected, isInternal);
    }

    [Theory]
    [InlineData("*.com", "public suffix com")]
    [InlineData("*.co.uk", "public suffix co.uk")]
    [InlineData("*", "is not a domain name")]
    [InlineData("*.", "is not a domain name")]
    [InlineData("a.*.contoso.com", "is not a domain name")]
    [InlineData("*.*.contoso.com", "is not a domain name")]
    [InlineData("**.contoso.com", "is not a domain name")]
    public void InternalDomains_InvalidEntries_AreErrorsAtTheirPath(string entry, string message)
    {
        // Act
        var ex = LoadFails("{ \"internalDomains\": [ \"ok.example\", \"" + entry + "\" ] }");

        // Assert
        var error = Assert.Single(ex.Errors);
        Assert.Equal("$.internalDomains[1]", error.Path);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void LookupBudget_AboveTenSeconds_IsAConfigurationErrorThatSaysWhy()
    {
        // Act
        var ex = LoadFails("""{ "agent": { "lookupBudgetMilliseconds": 10001 } }""");
        var atLimit = Load("""{ "agent": { "lookupBudgetMilliseconds": 10000 } }""");

        // Assert
        var error = Assert.Single(ex.Errors);
        Assert.Equal("$.agent.lookupBudgetMilliseconds", error.Path);
        Assert.Contains("10001 is too long; at most 10000", error.Message);
        Assert.Contains("deferred", error.Message);
        Assert.Equal(TimeSpan.FromSeconds(10), atLimit.Agent.LookupBudget);
    }

    [Theory]
    [InlineData(999)]
    [InlineData(120_001)]
    public void RewriteBudget_OutOfRange_IsAnError(int milliseconds)
    {
        // Act
        var ex = LoadFails("{ \"agent\": { \"rewriteBudgetMilliseconds\": " + milliseconds + " } }");

        // Assert
        var error = Assert.Single(ex.Errors);
        Assert.Equal("$.agent.rewriteBudgetMilliseconds", error.Path);
        Assert.Contains("expected 1000 to 120000", error.Message);
    }

    [Fact]
    public void LoadFile_ResolvesRelativeDatabasePaths()
    {
        // Arrange
        var dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "linksecure-config-" + Guid.NewGuid().ToString("N")));
        try
        {
            var path = Path.Combine(dir.FullName, "LinkSecure.config.json");
            File.WriteAllText(path, """{ "knownDomains": { "files": [ "db.json" ] } }""");
            File.WriteAllText(Path.Combine(dir.FullName, "db.json"), """{ "version": 1, "domains": [ { "domain": "p.example", "level": 2 } ] }""");

            // Act
            var settings = LinkSecureSettings.LoadFile(path);
            var db = KnownDomainDatabase.LoadConfigured(settings);

            // Assert
            Assert.Equal(Path.Combine(dir.FullName, "db.json"), settings.ResolvePath("db.json"));
            Assert.True(db.TryGet("p.example", DateTimeOffset.UtcNow, out _));
            Assert.True(db.TryGet("gmail.com", new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), out _));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
