using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LinkSecure.Core.Probing;

/// <summary>The outcome of a PKIX chain check.</summary>
internal sealed class ChainVerdict
{
    public ChainVerdict(bool valid, string detail)
    {
        Valid = valid;
        Detail = detail;
    }

    public bool Valid { get; }

    public string Detail { get; }
}

/// <summary>The result of a system-store chain build made by the TLS handshake (client side, server
/// authentication, no revocation check, the certificates the server sent as extra certificates, the time of the
/// handshake): the same build <see cref="CertificateValidation.ValidateChain"/> would make, so it is not made twice.</summary>
internal sealed class SystemChain
{
    private static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(1);

    public SystemChain(bool valid, string rootName, string status, DateTime builtAt)
    {
        Valid = valid;
        RootName = rootName;
        Status = status;
        BuiltAt = builtAt;
    }

    public bool Valid { get; }

    public string RootName { get; }

    public string Status { get; }

    public DateTime BuiltAt { get; }

    /// <summary>Whether the build stands for one at <paramref name="now"/>: close in time, and no certificate's
    /// validity starts or ends in between.</summary>
    public bool AppliesAt(DateTime now, X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates)
    {
        var from = now < BuiltAt ? now : BuiltAt;
        var to = now < BuiltAt ? BuiltAt : now;
        if (to - from > Tolerance)
        {
            return false;
        }

        return !Crosses(leaf, from, to) && !intermediates.Any(c => Crosses(c, from, to));
    }

    private static bool Crosses(X509Certificate2 certificate, DateTime from, DateTime to)
    {
        var notBefore = certificate.NotBefore.ToUniversalTime();
        var notAfter = certificate.NotAfter.ToUniversalTime();
        return (notBefore >= from && notBefore <= to) || (notAfter >= from && notAfter <= to);
    }
}

/// <summary>
/// PKIX validation of a presented chain against the system trust store and extra anchors (<c>resolver.caFiles</c>,
/// <c>--ca-file</c>), and DANE TLSA matching (RFC 6698, RFC 7671, RFC 7672 §3.1). Revocation is not checked (as
/// MTA-STS and Postfix do not).
/// </summary>
/// <remarks>On net10.0 the extra anchors are a <c>CustomTrustStore</c>. netstandard2.0 has no custom trust store:
/// there the chain is built with the anchors as extra certificates and unknown roots allowed, and accepted only when
/// its root is one of the anchors and every other status is clean (the same rule the MTA-STS fetcher uses).</remarks>
internal static class CertificateValidation
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1", "Server Authentication");

    /// <summary>Validates the chain against the system store, then the extra anchors. <paramref name="handshake"/>, when
    /// given, is the system-store chain the TLS handshake already built for the same certificates; it is used instead
    /// of building that chain again when it was built for (nearly) the same time.</summary>
    public static ChainVerdict ValidateChain(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates, IReadOnlyList<X509Certificate2> anchors, DateTime now, SystemChain? handshake = null)
    {
        string systemStatus;
        if (handshake is not null && handshake.AppliesAt(now, leaf, intermediates))
        {
            if (handshake.Valid)
            {
                return new ChainVerdict(true, "chains to the trusted root " + handshake.RootName);
            }

            systemStatus = handshake.Status;
        }
        else
        {
            using var system = NewChain(intermediates, now);
            if (system.Build(leaf))
            {
                return new ChainVerdict(true, "chains to the trusted root " + RootName(system));
            }

            systemStatus = Describe(system);
        }

        if (anchors.Count > 0 && TryBuildToAnchors(leaf, intermediates, anchors, now, out var anchor))
        {
            return new ChainVerdict(true, "chains to " + anchor + " (extra trust anchor from resolver.caFiles or --ca-file)");
        }

        var notAfter = leaf.NotAfter.ToUniversalTime();
        if (notAfter < now)
        {
            return new ChainVerdict(false, string.Format(CultureInfo.InvariantCulture, "certificate expired {0:yyyy-MM-dd HH:mm}Z", notAfter));
        }

        var notBefore = leaf.NotBefore.ToUniversalTime();
        if (notBefore > now)
        {
            return new ChainVerdict(false, string.Format(CultureInfo.InvariantCulture, "certificate not valid before {0:yyyy-MM-dd HH:mm}Z", notBefore));
        }

        if (string.Equals(leaf.Subject, leaf.Issuer, StringComparison.Ordinal) && intermediates.Count == 0)
        {
            return new ChainVerdict(false, "self-signed certificate (" + leaf.Subject + "), not a trusted root");
        }

        return new ChainVerdict(false, "does not chain to a trusted root (issuer " + leaf.Issuer + "; " + systemStatus + ")" + (anchors.Count == 0 ? string.Empty : " nor to an extra trust anchor"));
    }

    /// <summary>Matches the presented chain against TLSA records (only the usable ones: DANE-EE and DANE-TA).</summary>
    /// <returns>The record that matched and how, or <see langword="null"/> with <paramref name="problem"/> set.</returns>
    public static string? MatchTlsa(IReadOnlyList<TlsaAssociation> records, X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates, string host, DateTime now, out string? problem)
    {
        problem = null;
        var usable = records.Where(r => r.IsUsable).ToList();
        if (usable.Count == 0)
        {
            problem = "no usable TLSA record (only DANE-TA(2) and DANE-EE(3) count for SMTP, RFC 7672 §3.1.3)";
            return null;
        }

        var notes = new List<string>();
        foreach (var record in usable.Where(r => r.Usage == 3))
        {
            if (Matches(record, leaf))
            {
                return "TLSA " + Short(record) + " matches the server certificate (DANE-EE: no name or expiry check, RFC 7672 §3.1.1)";
            }
        }

        foreach (var record in usable.Where(r => r.Usage == 2))
        {
            var candidates = intermediates.ToList();
            if (record.Selector == 0 && record.MatchingType == 0)
            {
                // The trust anchor may be published in full in the record itself (RFC 7671 §5.2.2).
                try
                {
#if NET
                    candidates.Add(X509CertificateLoader.LoadCertificate(record.Data));
#else
                    candidates.Add(new X509Certificate2(record.Data));
#endif
                }
                catch (CryptographicException)
                {
                }
            }

            foreach (var anchor in candidates.Where(c => Matches(record, c)))
            {
                if (!TryBuildToAnchors(leaf, intermediates, new[] { anchor }, now, out _))
                {
                    notes.Add("TLSA " + Short(record) + " matches " + anchor.Subject + ", but the server certificate does not chain to it");
                    continue;
                }

                if (!CertificateNames.Covers(CertificateNames.DnsNames(leaf), host))
                {
                    notes.Add("TLSA " + Short(record) + " matches the trust anchor " + anchor.Subject + ", but the certificate is not valid for " + host + " (DANE-TA checks names, RFC 7672 §3.2.2)");
                    continue;
                }

                return "TLSA " + Short(record) + " matches the trust anchor " + anchor.Subject + " of the presented chain (DANE-TA, RFC 7672 §3.1.2)";
            }
        }

        problem = notes.Count > 0
            ? string.Join("; ", notes)
            : string.Format(CultureInfo.InvariantCulture, "no TLSA record matched the presented chain ({0}; server certificate SPKI SHA-256 {1})", string.Join(", ", usable.Select(Short)), CertificateInfo.Hex(CertificateInfo.Digest(HashAlgorithmName.SHA256, CertificateNames.SubjectPublicKeyInfo(leaf))));
        return null;
    }

    internal static bool Matches(TlsaAssociation record, X509Certificate2 certificate)
    {
        var selected = record.Selector == 0 ? certificate.RawData : CertificateNames.SubjectPublicKeyInfo(certificate);
        var value = record.MatchingType switch
        {
            0 => selected,
            1 => CertificateInfo.Digest(HashAlgorithmName.SHA256, selected),
            2 => CertificateInfo.Digest(HashAlgorithmName.SHA512, selected),
            _ => Array.Empty<byte>(),
        };
        return value.Length > 0 && value.SequenceEqual(record.Data);
    }

    private static string Short(TlsaAssociation record) =>
        string.Format(CultureInfo.InvariantCulture, "{0} {1} {2}", record.Usage, record.Selector, record.MatchingType);

    private static X509Chain NewChain(IReadOnlyList<X509Certificate2> intermediates, DateTime now)
    {
        var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(ServerAuth);
        chain.ChainPolicy.VerificationTime = now.ToLocalTime();
        foreach (var certificate in intermediates)
        {
            chain.ChainPolicy.ExtraStore.Add(certificate);
        }

        return chain;
    }

    /// <summary>Builds the chain to the extra trust anchors only (<c>resolver.caFiles</c>, <c>--ca-file</c>); shared by
    /// the SMTP probe and the MTA-STS policy fetcher.</summary>
    internal static bool TryBuildToAnchors(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates, IReadOnlyList<X509Certificate2> anchors, DateTime now, out string anchorName) =>
        TryBuildToAnchors(leaf, intermediates, anchors, now, out anchorName, out _);

    /// <summary>As <see cref="TryBuildToAnchors(X509Certificate2, IReadOnlyList{X509Certificate2}, IReadOnlyList{X509Certificate2}, DateTime, out string)"/>,
    /// with the chain status when it fails.</summary>
    internal static bool TryBuildToAnchors(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates, IReadOnlyList<X509Certificate2> anchors, DateTime now, out string anchorName, out string status)
    {
        anchorName = string.Empty;
        using var chain = NewChain(intermediates, now);
#if NET
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(anchors.ToArray());
        if (!chain.Build(leaf))
        {
            status = Describe(chain);
            return false;
        }
#else
        foreach (var anchor in anchors)
        {
            chain.ChainPolicy.ExtraStore.Add(anchor);
        }

        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
        chain.Build(leaf);
        var rootElement = chain.ChainElements.Count > 0 ? chain.ChainElements[chain.ChainElements.Count - 1].Certificate : null;
        var clean = chain.ChainStatus.All(s => s.Status is X509ChainStatusFlags.NoError or X509ChainStatusFlags.UntrustedRoot);
        if (rootElement is null || !clean || !anchors.Any(a => string.Equals(a.Thumbprint, rootElement.Thumbprint, StringComparison.OrdinalIgnoreCase)))
        {
            status = Describe(chain);
            return false;
        }
#endif
        anchorName = RootName(chain);
        status = string.Empty;
        return true;
    }

    /// <summary>What a chain built against the system store (by the TLS handshake) found.</summary>
    /// <param name="chain">The built chain.</param>
    /// <param name="valid">Whether it was built without chain errors.</param>
    /// <param name="builtAt">When it was built (UTC).</param>
    public static SystemChain Capture(X509Chain chain, bool valid, DateTime builtAt) =>
        new(valid, RootName(chain), Describe(chain), builtAt);

    private static string RootName(X509Chain chain) =>
        chain.ChainElements.Count == 0 ? "(unknown)" : chain.ChainElements[chain.ChainElements.Count - 1].Certificate.Subject;

    /// <summary>The chain's status texts, for messages.</summary>
    internal static string Describe(X509Chain chain)
    {
        var texts = chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct().ToList();
        return texts.Count == 0 ? "chain could not be built" : string.Join(", ", texts);
    }
}
