using System;
using System.Collections.Generic;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LinkSecure.Core.Probing;

/// <summary>What a probe reports about one certificate of the chain a server presented. Immutable.</summary>
public sealed class CertificateInfo
{
    internal CertificateInfo(X509Certificate2 certificate)
    {
        Subject = certificate.Subject;
        Issuer = certificate.Issuer;
        NotBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        NotAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        Sha256 = Hex(Digest(HashAlgorithmName.SHA256, certificate.RawData));
        SpkiSha256 = Hex(Digest(HashAlgorithmName.SHA256, CertificateNames.SubjectPublicKeyInfo(certificate)));
        DnsNames = CertificateNames.DnsNames(certificate);
    }

    /// <summary>Gets the subject distinguished name.</summary>
    public string Subject { get; }

    /// <summary>Gets the issuer distinguished name.</summary>
    public string Issuer { get; }

    /// <summary>Gets the start of the validity period (UTC).</summary>
    public DateTimeOffset NotBefore { get; }

    /// <summary>Gets the end of the validity period (UTC).</summary>
    public DateTimeOffset NotAfter { get; }

    /// <summary>Gets the SHA-256 digest of the whole certificate, lower-case hex (TLSA <c>x 0 1</c>).</summary>
    public string Sha256 { get; }

    /// <summary>Gets the SHA-256 digest of the SubjectPublicKeyInfo, lower-case hex (TLSA <c>x 1 1</c>).</summary>
    public string SpkiSha256 { get; }

    /// <summary>Gets the DNS names the certificate is valid for: its subjectAltName DNS entries, or the subject CN
    /// when it has none (RFC 6125 §6.4.4).</summary>
    public IReadOnlyList<string> DnsNames { get; }

    /// <inheritdoc />
    public override string ToString() =>
        string.Format(CultureInfo.InvariantCulture, "{0} (issuer {1}; {2:yyyy-MM-dd} to {3:yyyy-MM-dd})", Subject, Issuer, NotBefore.UtcDateTime, NotAfter.UtcDateTime);

    internal static byte[] Digest(HashAlgorithmName algorithm, byte[] data)
    {
        using var hash = algorithm == HashAlgorithmName.SHA512 ? (HashAlgorithm)SHA512.Create() : SHA256.Create();
        return hash.ComputeHash(data);
    }

    internal static string Hex(byte[] bytes)
    {
        var chars = new char[bytes.Length * 2];
        const string Digits = "0123456789abcdef";
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[2 * i] = Digits[bytes[i] >> 4];
            chars[(2 * i) + 1] = Digits[bytes[i] & 0xF];
        }

        return new string(chars);
    }
}
