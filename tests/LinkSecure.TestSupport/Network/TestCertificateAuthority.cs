using System;
using System.IO;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LinkSecure.TestSupport.Network;

/// <summary>A certificate authority created in the test, written as PEM so the resolver can trust it through
/// <c>resolver.caFiles</c> (the setting an enterprise uses for its private CA).</summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private readonly ECDsa key;

    public TestCertificateAuthority(string name = "LinkSecure Test CA")
    {
        key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        Root = request.CreateSelfSigned(now.AddDays(-400), now.AddYears(2));
    }

    public X509Certificate2 Root { get; }

    /// <summary>Writes the root as PEM and returns the path.</summary>
    public string WritePem(string directory)
    {
        var path = Path.Combine(directory, "test-ca.pem");
        File.WriteAllText(path, Root.ExportCertificatePem());
        return path;
    }

    /// <summary>Issues a server certificate for DNS names, by default valid from a day ago for a year.</summary>
    public X509Certificate2 Issue(string[] dnsNames, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + dnsNames[0], leafKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
        {
            san.AddDnsName(name);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Root, true, false));
        var now = DateTimeOffset.UtcNow;
        var serial = new byte[12];
        RandomNumberGenerator.Fill(serial);
        using var issued = request.Create(Root, notBefore ?? now.AddDays(-1), notAfter ?? now.AddYears(1), serial);
        using var withKey = issued.CopyWithPrivateKey(leafKey);

        // Round-trip through PKCS#12 so the key is usable by the TLS server on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    public X509Certificate2 Issue(string dnsName, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null) =>
        Issue(new[] { dnsName }, notBefore, notAfter);

    /// <summary>Issues a server certificate for a host name and writes it (with the root, as a chain) and its key as
    /// PEM files <c>cert.pem</c> and <c>key.pem</c> in a folder, the key readable by its owner only.</summary>
    /// <returns>The two paths.</returns>
    public (string CertificateFile, string KeyFile) WriteServerPem(string hostName, string directory)
    {
        using var certificate = Issue(hostName);
        var certFile = Path.Combine(directory, "cert.pem");
        var keyFile = Path.Combine(directory, "key.pem");
        File.WriteAllText(certFile, certificate.ExportCertificatePem() + "\n" + Root.ExportCertificatePem() + "\n");
        using (var leafKey = certificate.GetECDsaPrivateKey()!)
        {
            File.WriteAllText(keyFile, leafKey.ExportPkcs8PrivateKeyPem() + "\n");
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return (certFile, keyFile);
    }

    public void Dispose()
    {
        Root.Dispose();
        key.Dispose();
    }
}
