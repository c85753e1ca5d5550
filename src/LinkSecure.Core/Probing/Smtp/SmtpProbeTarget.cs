using System;
using System.Collections.Generic;
using System.Net;

namespace LinkSecure.Core.Probing;

/// <summary>One MX address to probe, with what the domain's policies say about it.</summary>
public sealed class SmtpProbeTarget
{
    /// <summary>Creates a target.</summary>
    /// <param name="host">The MX host name: sent as SNI and matched against the certificate.</param>
    /// <param name="address">The address to connect to.</param>
    public SmtpProbeTarget(string host, IPAddress address)
    {
        if (string.IsNullOrWhiteSpace(host))
        {
            throw new ArgumentException("The MX host name is required.", nameof(host));
        }

        Host = host.Trim().TrimEnd('.').ToLowerInvariant();
        Address = address ?? throw new ArgumentNullException(nameof(address));
    }

    /// <summary>Gets the MX host name.</summary>
    public string Host { get; }

    /// <summary>Gets the address.</summary>
    public IPAddress Address { get; }

    /// <summary>Gets the domain's MTA-STS <c>mx</c> patterns; <see langword="null"/> when it has no policy.</summary>
    public IReadOnlyList<string>? PolicyPatterns { get; init; }

    /// <summary>Gets the host's DNSSEC-validated TLSA records when DANE applies to it (RFC 7672 §2.2);
    /// <see langword="null"/> when it does not.</summary>
    public IReadOnlyList<TlsaAssociation>? Tlsa { get; init; }
}
