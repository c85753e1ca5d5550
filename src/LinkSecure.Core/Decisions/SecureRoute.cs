using System;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Profiles;

namespace LinkSecure.Core.Decisions;

/// <summary>Where a host sends a <see cref="DecisionKind.Secure"/> recipient: a routing domain that selects a
/// RequireTLS Send connector, and optionally the name the server certificate must carry.</summary>
public sealed class SecureRoute
{
    private SecureRoute(string routingDomain, string tlsAuthLevel, string? tlsDomain, string note)
    {
        RoutingDomain = routingDomain;
        TlsAuthLevel = tlsAuthLevel;
        TlsDomain = tlsDomain;
        Note = note;
    }

    /// <summary>Gets the routing domain (the Send connector's address space).</summary>
    public string RoutingDomain { get; }

    /// <summary>Gets the connector's TLS auth level: <c>DomainValidation</c>, <c>CertificateValidation</c> or <c>EncryptionOnly</c>.</summary>
    public string TlsAuthLevel { get; }

    /// <summary>Gets the domain the certificate must match (Exchange <c>SetTlsDomain</c>); <see langword="null"/> for none.</summary>
    public string? TlsDomain { get; }

    /// <summary>Gets a note on what the route can and cannot check, for the log.</summary>
    public string Note { get; }

    /// <summary>
    /// Selects the route for a TLS requirement. Exchange can enforce PKIX (CertificateValidation, DomainValidation
    /// against one name) but cannot check TLSA records, so DANE requirements go to the EncryptionOnly connector unless a
    /// relay is configured: TLS stays mandatory, authentication is left to the relay or documented as a limit.
    /// </summary>
    /// <param name="requirement">The profile's TLS requirement.</param>
    /// <param name="routing">The routing settings.</param>
    /// <returns>The route.</returns>
    public static SecureRoute Select(TlsRequirement requirement, RoutingSettings routing)
    {
        if (requirement is null)
        {
            throw new ArgumentNullException(nameof(requirement));
        }

        if (routing is null)
        {
            throw new ArgumentNullException(nameof(routing));
        }

        if (routing.Mode == RoutingMode.SmartHost)
        {
            return new SecureRoute(routing.SmartHostDomain, routing.SmartHostTlsAuthLevel, null, "relay enforces " + requirement);
        }

        switch (requirement.Mode)
        {
            case TlsMode.Dane:
                return new SecureRoute(routing.EncryptionOnlyDomain, "EncryptionOnly", null, "DANE required; Exchange cannot check TLSA, so TLS is mandatory but unauthenticated on this route");
            case TlsMode.EncryptOnly:
                return new SecureRoute(routing.EncryptionOnlyDomain, "EncryptionOnly", null, "mandatory TLS without authentication (RFC 7672 §2.2)");
            case TlsMode.Pkix when requirement.CertificateDomain is { } name:
                return new SecureRoute(routing.DomainValidationDomain, "DomainValidation", name, "certificate must be valid for " + name);
            default:
                return new SecureRoute(routing.CertificateValidationDomain, "CertificateValidation", null, "certificate must chain to a trusted root");
        }
    }

    /// <inheritdoc />
    public override string ToString() => TlsDomain is null ? $"{RoutingDomain} ({TlsAuthLevel})" : $"{RoutingDomain} ({TlsAuthLevel}, {TlsDomain})";
}
