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

        // Assert
        Assert.Equal("linksecure-dv.invalid", route.RoutingDomain);
        Assert.Equal("DomainValidation", route.TlsAuthLevel);
        Assert.Equal("mail.protection.outlook.com", route.TlsDomain);
    }

    [Fact]
    public void Pkix_WithoutCommonName_UsesCertificateValidation()
    {
        // Act
        var route = SecureRoute.Select(new TlsRequirement(TlsMode.Pkix, new[] { "a.example", "b.example" }), RoutingSettings.Default);

        // Assert
        Assert.Equal("linksecure-cv.invalid", route.RoutingDomain);
        Assert.Equal("CertificateValidation", route.TlsAuthLevel);
        Assert.Null(route.TlsDomain);
    }

    [Theory]
    [InlineData(TlsMode.Dane)]
    [InlineData(TlsMode.EncryptOnly)]
    public void DaneAndEncryptOnly_UseEncryptionOnlyConnector(TlsMode mode)
    {
        // Act
        var route = SecureRoute.Select(new TlsRequirement(mode), RoutingSettings.Default);

        // Assert
        Assert.Equal("linksecure-eo.invalid", route.RoutingDomain);
        Assert.Equal("EncryptionOnly", route.TlsAuthLevel);
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
        Assert.Contains("relay enforces", dane.Note);
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
}
