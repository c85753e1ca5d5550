using System;
using System.Collections.Generic;
using System.Globalization;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Network;

/// <summary>What an SMTP probe observed at one MX host of one domain: STARTTLS, certificate validity, the DANE match,
/// REQUIRETLS (RFC 8689 §2) and the <c>LINKSECURE</c> EHLO keyword. Immutable.</summary>
/// <remarks>Observations are keyed by (domain, host), never by host alone: what a host announced counts only for the
/// domain whose authenticated MX set it was probed as (docs/policy-resolution.md §7), so one probe of an attacker's host
/// cannot lift another domain later forged to point at it, and one stripped STARTTLS on a shared MX cannot mark it
/// "no TLS" for every domain using it.</remarks>
public sealed class LearnedCapabilities
{
    /// <summary>Creates an observation.</summary>
    /// <param name="domain">The recipient domain the host was probed for (normalised).</param>
    /// <param name="host">The MX host name (normalised to lower case without trailing dot).</param>
    /// <param name="observedAt">When it was observed.</param>
    /// <param name="expires">When it stops counting: the <c>LINKSECURE</c> max-age after <paramref name="observedAt"/> when
    /// one was announced, otherwise a default TTL (<c>resolver.learnedDefaultTtlSeconds</c>).</param>
    /// <param name="startTls">Whether STARTTLS was offered and succeeded.</param>
    /// <param name="certificateValid">Whether the certificate was PKIX-valid for the host name.</param>
    /// <param name="certificateProblem">Why it was not, when known.</param>
    /// <param name="daneMatched">Whether the certificate matched the host's DNSSEC-validated TLSA records (RFC 7672 §3).</param>
    /// <param name="requireTls">Whether REQUIRETLS was advertised after STARTTLS.</param>
    /// <param name="linkSecureLevel">The level of the <c>LINKSECURE</c> keyword; <see cref="LinkSecurityLevel.None"/> when absent.</param>
    /// <param name="linkSecureMaxAge">The keyword's max-age; zero when absent.</param>
    public LearnedCapabilities(string domain, string host, DateTimeOffset observedAt, DateTimeOffset expires, bool startTls, bool certificateValid, string? certificateProblem, bool daneMatched, bool requireTls, LinkSecurityLevel linkSecureLevel, TimeSpan linkSecureMaxAge)
    {
        if (string.IsNullOrWhiteSpace(domain))
        {
            throw new ArgumentException("The domain is required.", nameof(domain));
        }

        if (string.IsNullOrWhiteSpace(host))
        {
            throw new ArgumentException("The host name is required.", nameof(host));
        }

        Domain = domain.Trim().TrimEnd('.').ToLowerInvariant();
        Host = host.Trim().TrimEnd('.').ToLowerInvariant();
        DaneMatched = daneMatched;
        ObservedAt = observedAt;
        Expires = expires;
        StartTls = startTls;
        CertificateValid = certificateValid;
        CertificateProblem = certificateProblem;
        RequireTls = requireTls;
        LinkSecureLevel = linkSecureLevel;
        LinkSecureMaxAge = linkSecureMaxAge;
    }

    /// <summary>Gets the recipient domain the host was probed for.</summary>
    public string Domain { get; }

    /// <summary>Gets the MX host name.</summary>
    public string Host { get; }

    /// <summary>Gets the store key: domain and host.</summary>
    public string Key => Domain + " " + Host;

    /// <summary>Gets a value indicating whether the certificate matched the host's DNSSEC-validated TLSA records.</summary>
    public bool DaneMatched { get; }

    /// <summary>Gets a value indicating whether the TLS session was authenticated for the host: PKIX-valid for its name,
    /// or matched by DANE TLSA records. Only keywords heard in such a session can count.</summary>
    public bool Authenticated => StartTls && (CertificateValid || DaneMatched);

    /// <summary>Gets when the capabilities were observed.</summary>
    public DateTimeOffset ObservedAt { get; }

    /// <summary>Gets when the observation stops counting.</summary>
    public DateTimeOffset Expires { get; }

    /// <summary>Gets a value indicating whether STARTTLS was offered and the handshake succeeded.</summary>
    public bool StartTls { get; }

    /// <summary>Gets a value indicating whether the certificate was PKIX-valid for the host name.</summary>
    public bool CertificateValid { get; }

    /// <summary>Gets why the certificate was not valid, when known.</summary>
    public string? CertificateProblem { get; }

    /// <summary>Gets a value indicating whether REQUIRETLS was advertised after STARTTLS.</summary>
    public bool RequireTls { get; }

    /// <summary>Gets the level of the <c>LINKSECURE</c> EHLO keyword, or <see cref="LinkSecurityLevel.None"/>.</summary>
    public LinkSecurityLevel LinkSecureLevel { get; }

    /// <summary>Gets the max-age of the <c>LINKSECURE</c> keyword.</summary>
    public TimeSpan LinkSecureMaxAge { get; }

    /// <summary>Creates an observation from a probe's findings, computing the expiry: the keyword's max-age when
    /// announced, otherwise <paramref name="defaultTtl"/>.</summary>
    /// <param name="domain">The recipient domain.</param>
    /// <param name="host">The MX host.</param>
    /// <param name="observedAt">When.</param>
    /// <param name="startTls">STARTTLS offered and succeeded.</param>
    /// <param name="certificateValid">Certificate PKIX-valid for the host.</param>
    /// <param name="certificateProblem">Why not, when known.</param>
    /// <param name="daneMatched">Certificate matched the DNSSEC-validated TLSA records.</param>
    /// <param name="requireTls">REQUIRETLS advertised.</param>
    /// <param name="keyword">The parsed <c>LINKSECURE</c> keyword, or <see langword="null"/>.</param>
    /// <param name="defaultTtl">The TTL when no keyword was announced (or the session was not authenticated).</param>
    /// <returns>The observation. A failed session (no STARTTLS, certificate neither PKIX-valid nor DANE-matched) keeps
    /// at most <see cref="FailureTtl"/>: a failure may be an attack on one path and is not a long-lived fact.</returns>
    public static LearnedCapabilities FromProbe(string domain, string host, DateTimeOffset observedAt, bool startTls, bool certificateValid, string? certificateProblem, bool daneMatched, bool requireTls, EhloKeyword? keyword, TimeSpan defaultTtl)
    {
        var authenticated = startTls && (certificateValid || daneMatched);
        var counted = authenticated ? keyword : null;
        var ttl = counted?.MaxAge ?? defaultTtl;
        if (!authenticated && ttl > FailureTtl)
        {
            ttl = FailureTtl;
        }

        return new LearnedCapabilities(domain, host, observedAt, observedAt + ttl, startTls, certificateValid, certificateProblem, daneMatched, requireTls && authenticated, counted?.Level ?? LinkSecurityLevel.None, counted?.MaxAge ?? TimeSpan.Zero);
    }

    /// <summary>How long a failed observation is kept at most: one hour.</summary>
    public static TimeSpan FailureTtl { get; } = TimeSpan.FromHours(1);

    /// <summary>Describes the observation for evidence.</summary>
    /// <returns>For example <c>mx1.example.com: STARTTLS, certificate valid, REQUIRETLS, LINKSECURE 2 86400 (observed 2026-11-02 10:00Z)</c>.</returns>
    public override string ToString()
    {
        var parts = new List<string>
        {
            StartTls ? "STARTTLS" : "no STARTTLS",
            CertificateValid ? "certificate valid" : "certificate not valid" + (CertificateProblem is null ? string.Empty : " (" + CertificateProblem + ")"),
        };
        if (DaneMatched)
        {
            parts.Add("DANE matched");
        }

        if (RequireTls)
        {
            parts.Add("REQUIRETLS");
        }

        if (LinkSecureLevel != LinkSecurityLevel.None)
        {
            parts.Add(string.Format(CultureInfo.InvariantCulture, "LINKSECURE {0} {1}", (int)LinkSecureLevel, (long)LinkSecureMaxAge.TotalSeconds));
        }

        return string.Format(CultureInfo.InvariantCulture, "{0} (for {1}): {2} (observed {3:yyyy-MM-dd HH:mm}Z)", Host, Domain, string.Join(", ", parts), ObservedAt.UtcDateTime);
    }
}
