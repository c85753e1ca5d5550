using System;
using System.IO;
using System.Security.Cryptography.X509Certificates;
using LinkSecure.Cli.Serve;
using LinkSecure.TestSupport.Network;
using Xunit;

namespace LinkSecure.Cli.Tests.Serve;

public sealed class ServeCertificateTests : IDisposable
{
    private readonly TestCertificateAuthority ca = new();
    private readonly string directory = Path.Combine(Path.GetTempPath(), "linksecure-serve-cert-" + Guid.NewGuid().ToString("N"));

    public ServeCertificateTests()
    {
        Directory.CreateDirectory(directory);
    }

    [Fact]
    public void Pfx_WithAPasswordFile_LoadsWithItsKey()
    {
        // Arrange
        using var issued = ca.Issue("serve.test");
        var pfx = Path.Combine(directory, "serve.pfx");
        File.WriteAllBytes(pfx, issued.Export(X509ContentType.Pkcs12, "s3cret"));
        var password = Path.Combine(directory, "password.txt");
        File.WriteAllText(password, "s3cret\n");

        // Act
        using var loaded = ServeCertificate.Load(new FileInfo(pfx), null, new FileInfo(password), null, DateTimeOffset.UtcNow);

        // Assert
        Assert.True(loaded.HasPrivateKey);
        Assert.Equal(issued.Thumbprint, loaded.Thumbprint);
    }

    [Fact]
    public void Pfx_WrongPassword_IsAUsageError()
    {
        // Arrange
        using var issued = ca.Issue("serve.test");
        var pfx = Path.Combine(directory, "serve.p12");
        File.WriteAllBytes(pfx, issued.Export(X509ContentType.Pkcs12, "right"));
        var password = Path.Combine(directory, "wrong.txt");
        File.WriteAllText(password, "wrong");

        // Act & Assert
        var error = Assert.Throws<UsageException>(() => ServeCertificate.Load(new FileInfo(pfx), null, new FileInfo(password), null, DateTimeOffset.UtcNow));
        Assert.Contains("Cannot load the server certificate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PemWithoutKey_IsAUsageError()
    {
        // Arrange
        var (certificate, _) = ca.WriteServerPem("serve.test", directory);

        // Act & Assert
        Assert.Throws<UsageException>(() => ServeCertificate.Load(new FileInfo(certificate), null, null, null, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void ExpiredCertificate_IsAUsageError()
    {
        // Arrange
        var (certificate, key) = ca.WriteServerPem("serve.test", directory);

        // Act: five years from now the test certificate (valid for one) has expired.
        var error = Assert.Throws<UsageException>(() => ServeCertificate.Load(new FileInfo(certificate), new FileInfo(key), null, null, DateTimeOffset.UtcNow.AddYears(5)));

        // Assert
        Assert.Contains("not now", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        ca.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
