using System;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using LinkSecure.Core.Probing;
using LinkSecure.TestSupport.Network;
using Xunit;

namespace LinkSecure.TestSupport.Probing;

/// <summary>The test CA and one private Postfix instance, shared by the probe tests.</summary>
public sealed class ProbingFixture : IAsyncLifetime
{
    public const string PostfixHost = "mx.postfix.test";

    public TestCertificateAuthority Ca { get; private set; } = null!;

    public PostfixServer Postfix { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Ca = new TestCertificateAuthority();
        Postfix = await PostfixServer.StartAsync(Ca, PostfixHost);
    }

    public Task DisposeAsync()
    {
        Postfix?.Dispose();
        Ca.Dispose();
        return Task.CompletedTask;
    }

    public SmtpProbeOptions Options(int port, TimeSpan? budget = null) => new()
    {
        Port = port,
        Budget = budget ?? TimeSpan.FromSeconds(20),
        TrustAnchors = new[] { Ca.Root },
    };

    /// <summary>A self-signed certificate (no CA) for a name.</summary>
    public static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }
}
