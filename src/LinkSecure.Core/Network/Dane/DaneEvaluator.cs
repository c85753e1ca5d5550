using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using DnsClient.Protocol;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Network;

/// <summary>What DANE says about one MX host (RFC 7672 §2.2).</summary>
internal enum DaneHostStatus
{
    /// <summary>No DANE: the host's zone is not signed, the TLSA RRset is insecure, or a secure denial says there is none.</summary>
    NotApplicable,

    /// <summary>Secure TLSA records with at least one usable record: DANE authentication is required.</summary>
    Usable,

    /// <summary>Secure TLSA records, all unusable: TLS is mandatory but unauthenticated.</summary>
    AllUnusable,

    /// <summary>The DNSSEC state is unknown (bogus, indeterminate, SERVFAIL on a signed zone, timeout): temporary failure.</summary>
    TemporaryFailure,
}

internal sealed class DaneHostResult
{
    public DaneHostResult(string host, DaneHostStatus status, string detail, TemporaryFailureKind failureKind = TemporaryFailureKind.None, IReadOnlyList<Probing.TlsaAssociation>? records = null)
    {
        Host = host;
        Status = status;
        Detail = detail;
        FailureKind = failureKind;
        Records = records ?? Array.Empty<Probing.TlsaAssociation>();
    }

    /// <summary>Gets the DNSSEC-validated TLSA records (empty unless the status is usable or all-unusable).</summary>
    public IReadOnlyList<Probing.TlsaAssociation> Records { get; }

    public string Host { get; }

    public DaneHostStatus Status { get; }

    public string Detail { get; }

    public TemporaryFailureKind FailureKind { get; }
}

/// <summary>The DANE rules of RFC 7672 as pure functions over DNS answers from a validating resolver.</summary>
internal static class DaneEvaluator
{
    /// <summary>The TLSA owner name of an SMTP server (RFC 7672 §2.2.3, RFC 6698 §3).</summary>
    public static string TlsaName(string host) => "_25._tcp." + host;

    /// <summary>
    /// RFC 7672 §3.1: only DANE-TA(2) and DANE-EE(3) are usable for SMTP; PKIX-TA(0) and PKIX-EE(1) are unusable.
    /// A record is also unusable with an unknown selector (0 full certificate, 1 SPKI) or matching type
    /// (0 full, 1 SHA-256, 2 SHA-512), or a digest of the wrong length (RFC 6698 §2.1; RFC 7671 §9).
    /// </summary>
    public static bool IsUsable(byte usage, byte selector, byte matchingType, int dataLength)
    {
        if (usage is not (2 or 3) || selector > 1)
        {
            return false;
        }

        return matchingType switch
        {
            0 => dataLength > 0,
            1 => dataLength == 32,
            2 => dataLength == 64,
            _ => false,
        };
    }

    /// <summary>
    /// Evaluates one MX host from the validating resolver's answers for its address (A) and its TLSA RRset.
    /// The address answer tells whether the host's zone is signed: TLSA records only count when the address records
    /// are secure (RFC 7672 §2.2.3), and a failed TLSA lookup in a signed zone is a temporary failure, never a
    /// downgrade (RFC 7672 §2.1.1).
    /// </summary>
    public static DaneHostResult EvaluateHost(string host, DnsAnswer address, DnsAnswer tlsa)
    {
        var tlsaName = TlsaName(host);
        if (address.IsFailure)
        {
            return new DaneHostResult(host, DaneHostStatus.TemporaryFailure, address.Describe() + " from the validating resolver; the DNSSEC state of " + host + " is unknown (RFC 7672 §2.1.1)", TemporaryFailureKind.Dnssec);
        }

        if (!address.Authenticated)
        {
            return new DaneHostResult(host, DaneHostStatus.NotApplicable, "address records of " + host + " are not DNSSEC-validated, so DANE does not apply (RFC 7672 §2.2.3)");
        }

        if (tlsa.IsFailure)
        {
            return new DaneHostResult(host, DaneHostStatus.TemporaryFailure, tlsa.Describe() + "; " + host + " is in a signed zone, so this is not a downgrade to no DANE (RFC 7672 §2.1.1)", TemporaryFailureKind.Dnssec);
        }

        if (!tlsa.Authenticated)
        {
            return new DaneHostResult(host, DaneHostStatus.NotApplicable, tlsa.IsMissing
                ? "no TLSA records at " + tlsaName + " (not DNSSEC-validated); DANE does not apply (RFC 7672 §2.2)"
                : "TLSA records at " + tlsaName + " are not DNSSEC-validated and are ignored (RFC 7672 §2.2)");
        }

        if (tlsa.IsMissing)
        {
            return new DaneHostResult(host, DaneHostStatus.NotApplicable, "DNSSEC-validated denial: no TLSA records at " + tlsaName + "; DANE does not apply (RFC 7672 §2.2)");
        }

        var records = tlsa.Of<TlsaRecord>().ToList();
        var usable = records.Where(r => IsUsable((byte)r.CertificateUsage, (byte)r.Selector, (byte)r.MatchingType, r.CertificateAssociationData.Count)).ToList();
        var described = string.Join(", ", records.Select(r => string.Format(CultureInfo.InvariantCulture, "{0} {1} {2}", (int)r.CertificateUsage, (int)r.Selector, (int)r.MatchingType)));
        var associations = records.Select(r => new Probing.TlsaAssociation((byte)r.CertificateUsage, (byte)r.Selector, (byte)r.MatchingType, r.CertificateAssociationData)).ToArray();
        if (usable.Count > 0)
        {
            return new DaneHostResult(host, DaneHostStatus.Usable, string.Format(CultureInfo.InvariantCulture, "DNSSEC-validated TLSA at {0} ({1}); {2} usable: DANE authentication required (RFC 7672 §2.2, §3.1)", tlsaName, described, usable.Count), TemporaryFailureKind.None, associations);
        }

        return new DaneHostResult(host, DaneHostStatus.AllUnusable, "DNSSEC-validated TLSA at " + tlsaName + " (" + described + "), none usable for SMTP: TLS mandatory but unauthenticated (RFC 7672 §2.2, §3.1.3)", TemporaryFailureKind.None, associations);
    }

    /// <summary>
    /// Combines the hosts of one domain into a profile part; the caller passes hosts only from a DNSSEC-secure MX RRset
    /// (RFC 7672 §2.2.1). Every host with usable TLSA: DANE required, transport enforced. Every host with secure TLSA but some all-unusable: mandatory unauthenticated TLS. Any temporary failure:
    /// the part is a temporary failure. Otherwise DANE gives no domain-wide requirement (the per-host facts stay in the evidence).
    /// </summary>
    public static DomainProfile ToProfile(string domain, IReadOnlyList<DaneHostResult> hosts)
    {
        var evidence = hosts.Select(h => new Evidence(EvidenceSource.Dane, h.Host + ": " + h.Detail, h.Status == DaneHostStatus.Usable ? LinkSecurityLevel.TransportSecure : LinkSecurityLevel.None) { Authenticated = h.Status is DaneHostStatus.Usable or DaneHostStatus.AllUnusable }).ToArray();
        var failures = hosts.Where(h => h.Status == DaneHostStatus.TemporaryFailure).ToList();
        if (failures.Count > 0)
        {
            return new DomainProfile(domain)
            {
                Status = ProfileStatus.TemporaryFailure,
                FailureKind = failures.Max(f => f.FailureKind),
                FailureReason = string.Join("; ", failures.Select(f => f.Detail)),
                Evidence = evidence,
            };
        }

        if (hosts.Count > 0 && hosts.All(h => h.Status == DaneHostStatus.Usable))
        {
            return new DomainProfile(domain) { TransportEnforced = true, Tls = new TlsRequirement(TlsMode.Dane, null, null, daneRequired: true), Evidence = evidence };
        }

        if (hosts.Count > 0 && hosts.All(h => h.Status is DaneHostStatus.Usable or DaneHostStatus.AllUnusable))
        {
            return new DomainProfile(domain) { Tls = new TlsRequirement(TlsMode.EncryptOnly), Evidence = evidence };
        }

        return new DomainProfile(domain) { Evidence = evidence };
    }
}
