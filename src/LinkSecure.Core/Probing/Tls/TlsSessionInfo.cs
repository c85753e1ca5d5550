using System;
using System.Collections.Generic;

namespace LinkSecure.Core.Probing;

/// <summary>What a probe saw of the TLS session with one MX address, and how the certificate was judged.</summary>
public sealed class TlsSessionInfo
{
    internal TlsSessionInfo()
    {
    }

    /// <summary>Gets the negotiated protocol, e.g. <c>TLSv1.3</c>.</summary>
    public string Protocol { get; internal set; } = string.Empty;

    /// <summary>Gets the negotiated cipher suite, e.g. <c>TLS_AES_256_GCM_SHA384</c>.</summary>
    public string CipherSuite { get; internal set; } = string.Empty;

    /// <summary>Gets the server name sent in SNI (the MX host name, RFC 8461 §7 and RFC 7672 §8.1); <see langword="null"/>
    /// when none could be sent (an address literal).</summary>
    public string? Sni { get; internal set; }

    /// <summary>Gets the certificates the server presented, leaf first.</summary>
    public IReadOnlyList<CertificateInfo> Certificates { get; internal set; } = Array.Empty<CertificateInfo>();

    /// <summary>Gets a value indicating whether the chain is PKIX-valid: unexpired and chaining to the system trust
    /// store or an extra trust anchor.</summary>
    public bool ChainValid { get; internal set; }

    /// <summary>Gets how the chain was judged, in words.</summary>
    public string ChainDetail { get; internal set; } = string.Empty;

    /// <summary>Gets a value indicating whether the certificate names the MX host (RFC 6125 DNS-ID; RFC 8461 §4.2).</summary>
    public bool NameMatchesMx { get; internal set; }

    /// <summary>Gets whether the certificate names match the domain's MTA-STS <c>mx</c> patterns (RFC 8461 §4.1);
    /// <see langword="null"/> when the domain has no MTA-STS policy.</summary>
    public bool? NameMatchesPolicy { get; internal set; }

    /// <summary>Gets the DANE result; <see langword="null"/> when DANE does not apply to the host.</summary>
    public DaneCheck? Dane { get; internal set; }

    /// <summary>Gets a value indicating whether the certificate is PKIX-valid and names the MX host.</summary>
    public bool CertificateValid => ChainValid && NameMatchesMx;

    /// <summary>Gets why the certificate is not valid, or <see langword="null"/>.</summary>
    public string? CertificateProblem =>
        CertificateValid ? null : !ChainValid ? ChainDetail : "certificate not valid for the MX host name (it names " + (Certificates.Count == 0 ? "nothing" : string.Join(", ", Certificates[0].DnsNames)) + ")";
}
