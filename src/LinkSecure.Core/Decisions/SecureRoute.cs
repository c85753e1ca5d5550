using System;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Profiles;

namespace LinkSecure.Core.Decisions;

/// <summary>How a route checks the receiving server.</summary>
public enum SecureRouteKind
{
    /// <summary>A Send connector with <c>TlsAuthLevel DomainValidation</c> and a per-recipient TLS domain: the
    /// certificate must chain to a trusted root and carry the pinned name. Authenticates the server.</summary>
    DomainValidation,

    /// <summary>A Send connector with <c>TlsAuthLevel CertificateValidation</c>: any publicly trusted certificate
    /// passes, including one an attacker holds for their own name. Does not authenticate the server.</summary>
    CertificateValidation,

    /// <summary>A Send connector with <c>TlsAuthLevel EncryptionOnly</c>: any certificate passes. Does not
    /// authenticate the server.</summary>
    EncryptionOnly,

    /// <summary>A smart host (<c>routing.mode smartHost</c>) that receives no per-recipient requirement from this
    /// server, so it is not known to enforce the evidence. Does not authenticate the server.</summary>
    SmartHost,
}

/// <summary>Where a host sends a <see cref="DecisionKind.Secure"/> recipient: a routing domain that selects a
/// RequireTLS Send connector, optionally the name the server certificate must carry, and whether the route
/// authenticates the server against the evidence that justified the level.</summary>
/// <remarks>
/// Exchange cannot validate DANE TLSA records and checks one certificate name per recipient. A route therefore
/// authenticates only when the evidence pins names that one Exchange TLS domain covers (<see cref="TlsDomainSelector"/>).
/// CertificateValidation and EncryptionOnly connectors never carry a <see cref="DecisionKind.Secure"/> decision unless
/// the administrator opts out with <c>routing.allowUnauthenticatedRoutes</c> (docs/protocol.md §5).
/// </remarks>
public sealed class SecureRoute
{
    private SecureRoute(SecureRouteKind kind, string routingDomain, string tlsAuthLevel, string? tlsDomain, bool authenticates, string note, string routingDomainType = RoutingSettings.SmtpAddressSpaceType)
    {
        Kind = kind;
        RoutingDomain = routingDomain;
        RoutingDomainType = routingDomainType;
        TlsAuthLevel = tlsAuthLevel;
        TlsDomain = tlsDomain;
        Authenticates = authenticates;
        Note = note;
    }

    /// <summary>Gets the kind of route.</summary>
    public SecureRouteKind Kind { get; }

    /// <summary>Gets the routing domain (the Send connector's address space).</summary>
    public string RoutingDomain { get; }

    /// <summary>Gets the routing domain's address space type: <c>SMTP</c> for the DNS-routed connectors, and
    /// <c>routing.smartHostAddressSpaceType</c> for the smart-host route, whose non-SMTP type no <c>*</c> connector
    /// matches (a missing relay connector fails closed).</summary>
    public string RoutingDomainType { get; }

    /// <summary>Gets the connector's TLS auth level: <c>DomainValidation</c>, <c>CertificateValidation</c> or <c>EncryptionOnly</c>.</summary>
    public string TlsAuthLevel { get; }

    /// <summary>Gets the domain the certificate must match (Exchange <c>SetTlsDomain</c>, wildcards written
    /// <c>*.example.com</c>); <see langword="null"/> for none.</summary>
    public string? TlsDomain { get; }

    /// <summary>Gets a value indicating whether the route authenticates the receiving server against the evidence:
    /// an attacker who redirects the connection and presents a valid certificate for their own name is refused.</summary>
    public bool Authenticates { get; }

    /// <summary>Gets what the route checks, or what it cannot check and why, for the log and <c>explain</c>.</summary>
    public string Note { get; }

    /// <summary>
    /// Selects the route for a TLS requirement. Pinned names that one TLS domain covers go to the DomainValidation
    /// connector with that TLS domain (authenticating). Everything else — DANE without pinned names (Exchange cannot
    /// check TLSA, RFC 7672 §2.2), names no single TLS domain covers, no pinned names, a generic smart host — gets a
    /// route that does not authenticate, with a note naming what is missing.
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
            return routing.HasValidatingRelay
                ? Relay(requirement, routing)
                : new SecureRoute(SecureRouteKind.SmartHost, routing.SmartHostDomain, routing.SmartHostTlsAuthLevel, null, false, "the smart host receives no per-recipient TLS requirement from this server, so it is not known to enforce " + requirement, routing.SmartHostAddressSpaceType);
        }

        if (requirement.PinsNames)
        {
            if (TlsDomainSelector.TrySelect(requirement.MxPatterns, out var tlsDomain, out var reason))
            {
                var dane = requirement.DaneRequired ? "; DANE also applies, which Exchange cannot check (the PKIX names are enforced)" : string.Empty;
                return new SecureRoute(SecureRouteKind.DomainValidation, routing.DomainValidationDomain, "DomainValidation", tlsDomain, true, "certificate must be valid for " + tlsDomain + " (" + reason + ")" + dane);
            }

            return routing.HasValidatingRelay
                ? Relay(requirement, routing)
                : new SecureRoute(SecureRouteKind.CertificateValidation, routing.CertificateValidationDomain, "CertificateValidation", null, false, "the names " + string.Join(", ", requirement.MxPatterns) + " cannot be checked from Exchange: " + reason);
        }

        if (routing.HasValidatingRelay)
        {
            // DANE, unusable TLSA, or no pinned name: the relay enforces what the connectors cannot (docs/relay.md).
            return Relay(requirement, routing);
        }

        if (requirement.DaneRequired)
        {
            return new SecureRoute(SecureRouteKind.EncryptionOnly, routing.EncryptionOnlyDomain, "EncryptionOnly", null, false, "DANE (RFC 7672) authenticates these MX hosts, and Exchange cannot check TLSA records; a validating relay is needed");
        }

        if (requirement.Mode == TlsMode.EncryptOnly)
        {
            return new SecureRoute(SecureRouteKind.EncryptionOnly, routing.EncryptionOnlyDomain, "EncryptionOnly", null, false, "mandatory TLS without authentication (RFC 7672 §2.2: secure TLSA records, none usable)");
        }

        return new SecureRoute(SecureRouteKind.CertificateValidation, routing.CertificateValidationDomain, "CertificateValidation", null, false, "no certificate name is pinned by authenticated evidence, so any publicly trusted certificate would pass");
    }

    /// <summary>The validating relay's route: Exchange authenticates the relay (DomainValidation against its
    /// certificate), and the relay's Postfix enforces the recipient domain's evidence from the strict policy map: DANE
    /// (RFC 7672) as <c>dane-only</c>, pinned names as <c>secure match=</c>, otherwise a certificate valid for the
    /// recipient domain (<c>secure</c>).</summary>
    private static SecureRoute Relay(TlsRequirement requirement, RoutingSettings routing) =>
        new(SecureRouteKind.SmartHost, routing.SmartHostDomain, routing.SmartHostTlsAuthLevel, null, true, "the validating relay (" + string.Join(", ", routing.SmartHosts) + ") enforces " + requirement + " with Postfix's " + (requirement.DaneRequired ? "dane-only" : requirement.PinsNames ? "secure match=" : "secure (a certificate valid for the recipient domain)"), routing.SmartHostAddressSpaceType);

    /// <inheritdoc />
    public override string ToString()
    {
        var text = TlsDomain is null ? $"{RoutingDomain} ({TlsAuthLevel})" : $"{RoutingDomain} ({TlsAuthLevel}, {TlsDomain})";
        return Authenticates ? text : text + " [does not authenticate the server]";
    }
}
