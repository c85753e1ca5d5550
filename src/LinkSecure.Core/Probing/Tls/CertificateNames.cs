using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography.X509Certificates;
using LinkSecure.Core.Profiles;

namespace LinkSecure.Core.Probing;

/// <summary>Certificate names (RFC 6125 DNS-IDs) and the SubjectPublicKeyInfo, the same on every target framework.</summary>
internal static class CertificateNames
{
    private const string SubjectAltNameOid = "2.5.29.17";

    /// <summary>The subjectAltName DNS names, lower case; the subject CN when there are none (RFC 6125 §6.4.4).</summary>
    public static IReadOnlyList<string> DnsNames(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value == SubjectAltNameOid)
            {
                names.AddRange(Der.SubjectAltNameDnsNames(extension.RawData));
            }
        }

        if (names.Count == 0)
        {
            var cn = certificate.GetNameInfo(X509NameType.SimpleName, false);
            if (!string.IsNullOrEmpty(cn) && cn.IndexOf(' ') < 0 && cn.IndexOf('.') > 0)
            {
                names.Add(cn);
            }
        }

        return names.Select(n => n.Trim().TrimEnd('.').ToLowerInvariant()).Where(n => n.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>RFC 6125 §6.4: does a certificate name (possibly <c>*.</c> + name, whole left-most label only) cover a host?</summary>
    public static bool Covers(IEnumerable<string> certificateNames, string host) =>
        certificateNames.Any(n => TlsRequirement.MatchesPattern(n, host));

    /// <summary>
    /// Postfix <c>secure match=</c> semantics for MTA-STS patterns (RFC 8461 §4.1): some certificate name equals a
    /// pattern, is covered by a wildcard pattern, or is a wildcard covering an exact pattern.
    /// </summary>
    public static bool MatchesAnyPattern(IEnumerable<string> certificateNames, IEnumerable<string> patterns)
    {
        var list = patterns.ToList();
        return certificateNames.Any(n => list.Any(p => TlsRequirement.MatchesPattern(p, n) || TlsRequirement.MatchesPattern(n, p)));
    }

    /// <summary>The DER SubjectPublicKeyInfo of a certificate (TLSA selector 1).</summary>
    public static byte[] SubjectPublicKeyInfo(X509Certificate2 certificate)
    {
#if NET
        return certificate.PublicKey.ExportSubjectPublicKeyInfo();
#else
        return Der.SubjectPublicKeyInfo(certificate.RawData);
#endif
    }
}
