using System;
using System.Linq;
using System.IO;
using System.Text;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Profiles;
using Xunit;

namespace LinkSecure.Core.Tests.Decisions;

public class SecureRouteTests
{
    private static RoutingSettings Routing(string json) =>
        LinkSecureSettings.Load(new MemoryStream(Encoding.UTF8.GetBytes(json))).Routing;

    [Fact]
    public void Pkix_WithCommonName_UsesDomainValidationAndTlsDomain()
    {
        // Act
        var route = SecureRoute.Select(new TlsRequirement(TlsMode.Pkix, new[] { "*.mail.protection.outlook.com" }), RoutingSettings.Default);

        // Assert: the wildcard is kept as Exchange writes it.
        Assert.Equal("linksecure-dv.invalid", route.RoutingDomain);
        Assert.Equal("DomainValidation", route.TlsAuthLevel);
        Assert.Equal("*.mail.protection.outlook.com", route.TlsDomain);
        Assert.True(route.Authenticates);
        Assert.Equal(SecureRouteKind.DomainValidation, route.Kind);
    }

    [Fact]
    public void Pkix_WithNamesNoTlsDomainCovers_DoesNotAuthenticate()
    {
        // Act
        var route = SecureRoute.Select(new TlsRequirement(TlsMode.Pkix, new[] { "mx.a.example", "mx.b.example" }), RoutingSettings.Default);

        // Assert
        Assert.Equal("CertificateValidation", route.TlsAuthLevel);
        Assert.Null(route.TlsDomain);
        Assert.False(route.Authenticates);
        Assert.Contains("cannot be checked from Exchange", route.Note);
    }

    [Fact]
    public void Pkix_WithoutPinnedNames_DoesNotAuthenticate()
    {
        // Act
        var route = SecureRoute.Select(new TlsRequirement(TlsMode.Pkix), RoutingSettings.Default);

        // Assert
        Assert.Equal("CertificateValidation", route.TlsAuthLevel);
        Assert.False(route.Authenticates);
        Assert.Contains("no certificate name is pinned", route.Note);
    }

    [Fact]
    public void DaneAndMtaSts_KeepsBothRequirements_AndTheRouteEnforcesThePkixNames()
    {
        // Arrange
        var combined = TlsRequirement.Combine(new[]
        {
            new TlsRequirement(TlsMode.Pkix, new[] { "*.mx.example.com" }, "the MTA-STS policy"),
            new TlsRequirement(TlsMode.Dane, null, null, daneRequired: true),
        });

        // Act
        var route = SecureRoute.Select(combined, RoutingSettings.Default);

        // Assert
        Assert.True(combined.DaneRequired);
        Assert.Equal(TlsMode.Pkix, combined.Mode);
        Assert.Equal("*.mx.example.com", route.TlsDomain);
        Assert.True(route.Authenticates);
        Assert.Contains("DANE also applies", route.Note);
    }

    [Theory]
    [InlineData(TlsMode.Dane)]
    [InlineData(TlsMode.EncryptOnly)]
    public void DaneAndEncryptOnly_UseEncryptionOnlyConnector_WhichDoesNotAuthenticate(TlsMode mode)
    {
        // Act
        var route = SecureRoute.Select(new TlsRequirement(mode), RoutingSettings.Default);

        // Assert
        Assert.Equal("linksecure-eo.invalid", route.RoutingDomain);
        Assert.Equal("EncryptionOnly", route.TlsAuthLevel);
        Assert.False(route.Authenticates);
    }

    [Fact]
    public void SmartHostMode_SendsEverythingToTheRelay()
    {
        // Arrange
        var routing = Routing("""{ "routing": { "mode": "smartHost", "smartHosts": [ "relay.contoso.com" ] } }""");

        // Act
        var dane = SecureRoute.Select(new TlsRequirement(TlsMode.Dane), routing);
        var pkix = SecureRoute.Select(new TlsRequirement(TlsMode.Pkix, new[] { "mx.example.com" }), routing);

        // Assert
        Assert.Equal("linksecure-relay.invalid", dane.RoutingDomain);
        Assert.Equal("linksecure-relay.invalid", pkix.RoutingDomain);
        Assert.False(dane.Authenticates);
        Assert.False(pkix.Authenticates);
        Assert.Contains("not known to enforce", dane.Note);
    }

    [Fact]
    public void StatusCodes_AreTheDocumentedOnes()
    {
        // Assert
        Assert.Equal("550 5.7.30", EnhancedStatusCode.RequiredLevelNotMet.ToString());
        Assert.Equal("550 5.7.10", EnhancedStatusCode.EncryptionNeeded.ToString());
        Assert.Equal("556 5.1.10", EnhancedStatusCode.NullMx.ToString());
        Assert.Equal("451 4.4.3", EnhancedStatusCode.LookupFailed.ToString());
        Assert.Equal("451 4.7.5", EnhancedStatusCode.DnssecFailed.ToString());
        Assert.True(EnhancedStatusCode.RequiredLevelNotMet.IsPermanent);
        Assert.False(EnhancedStatusCode.LookupFailed.IsPermanent);
    }

    private const string Relay = """{ "routing": { "smartHosts": [ "relay1.contoso.example", "relay2.contoso.example" ], "validatingRelay": true, "smartHostTlsDomain": "relay.contoso.example" } }""";

    [Fact]
    public void ValidatingRelay_CarriesWhatTheConnectorsCannotEnforce_AndAuthenticates()
    {
        // Arrange: DANE, several MX names no single TLS domain covers, unusable TLSA, nothing pinned.
        var routing = Routing(Relay);
        var requirements = new[]
        {
            new TlsRequirement(TlsMode.Dane),
            new TlsRequirement(TlsMode.Pkix, new[] { "mx.one.example", "mx.other.example" }, "the MTA-STS policy"),
            new TlsRequirement(TlsMode.EncryptOnly),
            TlsRequirement.None,
        };

        // Act
        var routes = requirements.Select(r => SecureRoute.Select(r, routing)).ToArray();

        // Assert
        Assert.All(routes, route =>
        {
            Assert.Equal(SecureRouteKind.SmartHost, route.Kind);
            Assert.Equal("linksecure-relay.invalid", route.RoutingDomain);
            Assert.True(route.Authenticates);
        });
        Assert.Contains("dane-only", routes[0].Note, StringComparison.Ordinal);
        Assert.Contains("secure match=", routes[1].Note, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidatingRelay_LeavesASingleTlsDomainOnTheDomainValidationConnector()
    {
        // Act
        var route = SecureRoute.Select(new TlsRequirement(TlsMode.Pkix, new[] { "mx1.example.net", "mx2.example.net" }, "the MTA-STS policy"), Routing(Relay));

        // Assert
        Assert.Equal(SecureRouteKind.DomainValidation, route.Kind);
        Assert.NotNull(route.TlsDomain);
    }

    [Fact]
    public void AGenericSmartHost_StillDoesNotAuthenticate()
    {
        // Act
        var route = SecureRoute.Select(new TlsRequirement(TlsMode.Dane), Routing("""{ "routing": { "mode": "smartHost", "smartHosts": [ "relay.contoso.example" ] } }"""));

        // Assert
        Assert.False(route.Authenticates);
    }

    [Theory]
    [InlineData("""{ "routing": { "validatingRelay": true } }""", "smartHosts")]
    [InlineData("""{ "routing": { "smartHosts": [ "r.example" ], "validatingRelay": true, "smartHostTlsDomain": "r.example", "smartHostTlsAuthLevel": "CertificateValidation" } }""", "smartHostTlsAuthLevel")]
    [InlineData("""{ "routing": { "smartHosts": [ "r.example" ], "validatingRelay": true } }""", "smartHostTlsDomain")]
    public void ValidatingRelay_NeedsSmartHostsAndAnAuthenticatedHop(string json, string field)
    {
        // Act
        var error = Assert.Throws<LinkSecure.Core.Database.DocumentException>(() => Routing(json));

        // Assert
        Assert.Contains(error.Errors, e => e.ToString().Contains(field, StringComparison.Ordinal));
    }

    [Fact]
    public void TheRelayRoute_HasANonSmtpAddressSpaceType_AndTheConnectorsSmtp()
    {
        // Act
        var relay = SecureRoute.Select(new TlsRequirement(TlsMode.Dane), Routing(Relay));
        var connector = SecureRoute.Select(new TlsRequirement(TlsMode.Pkix, new[] { "mx.partner.example" }, "the MTA-STS policy"), Routing("""{ "routing": { } }"""));

        // Assert: the "*" Internet connector (SMTP) can never match the relay route, so a missing relay connector fails closed.
        Assert.Equal("LinkSecure", relay.RoutingDomainType);
        Assert.Equal(RoutingSettings.SmtpAddressSpaceType, connector.RoutingDomainType);
    }

    [Theory]
    [InlineData("SMTP", "SMTP")]
    [InlineData("smtp", "SMTP")]
    [InlineData("Contoso-Relay", "Contoso-Relay")]
    public void SmartHostAddressSpaceType_IsReadAndSmtpNormalised(string value, string expected)
    {
        // Act
        var routing = Routing("{ \"routing\": { \"smartHostAddressSpaceType\": \"" + value + "\" } }");

        // Assert
        Assert.Equal(expected, routing.SmartHostAddressSpaceType);
    }

    [Theory]
    [InlineData("X400")]
    [InlineData("1abc")]
    [InlineData("two words")]
    [InlineData("smtp:")]
    public void SmartHostAddressSpaceType_RejectsWhatIsNotAType(string value)
    {
        // Act
        var error = Assert.Throws<LinkSecure.Core.Database.DocumentException>(() => Routing("{ \"routing\": { \"smartHostAddressSpaceType\": \"" + value + "\" } }"));

        // Assert
        Assert.Contains(error.Errors, e => e.ToString().Contains("smartHostAddressSpaceType", StringComparison.Ordinal));
    }
}
