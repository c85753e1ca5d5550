using System;
using System.Collections.Generic;
using System.Linq;
using LinkSecure.Core.Database;
using LinkSecure.Core.Internal;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Configuration;

/// <summary>
/// Where secure recipients are routed (JSON section <c>routing</c>). Each routing domain is the address space of
/// a Send connector with <c>RequireTLS</c> and the matching <c>TlsAuthLevel</c>.
/// </summary>
public sealed class RoutingSettings
{
    internal static readonly string[] Properties =
    {
        "mode", "domainValidationDomain", "certificateValidationDomain", "encryptionOnlyDomain",
        "smartHostDomain", "smartHosts", "smartHostTlsAuthLevel", "sendConnectorPrefix", "allowUnauthenticatedRoutes",
        "validatingRelay", "smartHostTlsDomain", "smartHostAddressSpaceType",
    };

    /// <summary>The address space type of DNS-routed routes: Exchange looks up an MX only for SMTP address spaces.</summary>
    public const string SmtpAddressSpaceType = "SMTP";

    private static readonly string[] TlsAuthLevels = { "EncryptionOnly", "CertificateValidation", "DomainValidation" };

    /// <summary>Gets the default routing settings.</summary>
    public static RoutingSettings Default { get; } = new();

    /// <summary>Gets the routing mode.</summary>
    public RoutingMode Mode { get; private set; } = RoutingMode.Connector;

    /// <summary>Gets the routing domain of the connector with <c>TlsAuthLevel DomainValidation</c>
    /// (used when the profile names the certificate's domain, e.g. MTA-STS MX patterns).</summary>
    public string DomainValidationDomain { get; private set; } = "linksecure-dv.invalid";

    /// <summary>Gets the routing domain of the connector with <c>TlsAuthLevel CertificateValidation</c>
    /// (PKIX without a known certificate name).</summary>
    public string CertificateValidationDomain { get; private set; } = "linksecure-cv.invalid";

    /// <summary>Gets the routing domain of the connector with <c>TlsAuthLevel EncryptionOnly</c>
    /// (mandatory TLS that Exchange cannot authenticate: DANE, RFC 7672 §2.2 unusable TLSA).</summary>
    public string EncryptionOnlyDomain { get; private set; } = "linksecure-eo.invalid";

    /// <summary>Gets the routing domain of the smart-host connector (mode <see cref="RoutingMode.SmartHost"/>).</summary>
    public string SmartHostDomain { get; private set; } = "linksecure-relay.invalid";

    /// <summary>Gets the smart hosts of the relay route.</summary>
    public IReadOnlyList<string> SmartHosts { get; private set; } = Array.Empty<string>();

    /// <summary>Gets the TLS auth level the relay connector uses.</summary>
    public string SmartHostTlsAuthLevel { get; private set; } = "DomainValidation";

    /// <summary>Gets a value indicating whether a <c>Secure</c> decision may use a route that does not authenticate the
    /// receiving server (CertificateValidation, EncryptionOnly, a generic smart host). Off by default: such a route
    /// lets an attacker who redirects the connection and holds a valid certificate for their own name receive the
    /// mail, so the request's fallback applies instead (docs/protocol.md §5). Only for organisations that defend
    /// against passive eavesdroppers alone.</summary>
    public bool AllowUnauthenticatedRoutes { get; private set; }

    /// <summary>Gets the name the relay connector checks the relay's certificate against (<c>TlsDomain</c> of the
    /// DomainValidation smart-host connector); required with <see cref="ValidatingRelay"/>.</summary>
    public string? SmartHostTlsDomain { get; private set; }

    /// <summary>Gets a value indicating whether <see cref="SmartHosts"/> are LinkSecure validating relays: Postfix with
    /// <c>smtp_tls_policy_maps</c> from <c>linksecure policy-server</c>'s strict map, which enforces each recipient
    /// domain's evidence (DANE, every MTA-STS name) itself (docs/relay.md). Then the relay route authenticates the
    /// receiving server when Exchange authenticates the relay (<see cref="SmartHostTlsAuthLevel"/> DomainValidation), and
    /// in connector mode it carries the recipients whose evidence the connectors cannot enforce.</summary>
    public bool ValidatingRelay { get; private set; }

    /// <summary>Gets a value indicating whether a validating relay can carry recipients: configured, with smart hosts,
    /// and reached over a connector that authenticates it.</summary>
    public bool HasValidatingRelay => ValidatingRelay && SmartHosts.Count > 0 && SmartHostTlsDomain is not null && string.Equals(SmartHostTlsAuthLevel, "DomainValidation", StringComparison.Ordinal);

    /// <summary>Gets the address space type of the relay connector and of the relay route's routing domain. A
    /// non-SMTP type (default <c>LinkSecure</c>) fails closed: if the relay connector is missing or disabled, no SMTP
    /// connector (not even the organisation's <c>*</c> Internet connector) matches the route, so the recipient waits
    /// in the Unreachable queue instead of leaving over opportunistic TLS. Exchange allows non-SMTP address spaces
    /// only on smart-host connectors on Mailbox servers ("Send connectors", Exchange Server documentation); Edge
    /// Transport connectors need <c>SMTP</c>, which does not fail closed.</summary>
    public string SmartHostAddressSpaceType { get; private set; } = "LinkSecure";

    /// <summary>Gets the prefix of the Send connector names the install scripts create.</summary>
    public string SendConnectorPrefix { get; private set; } = "ExchangeLinkSecure";

    internal static RoutingSettings Read(JsonDocumentReader reader, System.Text.Json.JsonElement element, string path)
    {
        var d = Default;
        if (!reader.ExpectObject(element, path))
        {
            return d;
        }

        reader.CheckProperties(element, path, Properties);
        var settings = new RoutingSettings
        {
            Mode = string.Equals(reader.ReadEnum(element, path, "mode", "connector", "connector", "smartHost"), "smartHost", StringComparison.Ordinal) ? RoutingMode.SmartHost : RoutingMode.Connector,
            DomainValidationDomain = ReadDomain(reader, element, path, "domainValidationDomain", d.DomainValidationDomain),
            CertificateValidationDomain = ReadDomain(reader, element, path, "certificateValidationDomain", d.CertificateValidationDomain),
            EncryptionOnlyDomain = ReadDomain(reader, element, path, "encryptionOnlyDomain", d.EncryptionOnlyDomain),
            SmartHostDomain = ReadDomain(reader, element, path, "smartHostDomain", d.SmartHostDomain),
            SmartHosts = reader.ReadStringArray(element, path, "smartHosts"),
            SmartHostTlsAuthLevel = reader.ReadEnum(element, path, "smartHostTlsAuthLevel", d.SmartHostTlsAuthLevel, TlsAuthLevels)!,
            SendConnectorPrefix = reader.ReadString(element, path, "sendConnectorPrefix", d.SendConnectorPrefix)!,
            AllowUnauthenticatedRoutes = reader.ReadBool(element, path, "allowUnauthenticatedRoutes", false),
            ValidatingRelay = reader.ReadBool(element, path, "validatingRelay", false),
            SmartHostTlsDomain = reader.ReadString(element, path, "smartHostTlsDomain", null) is { Length: > 0 } tlsDomain ? tlsDomain.Trim().TrimEnd('.').ToLowerInvariant() : null,
            SmartHostAddressSpaceType = ReadAddressSpaceType(reader, element, path, d.SmartHostAddressSpaceType),
        };

        if (settings.ValidatingRelay && settings.SmartHostTlsDomain is null)
        {
            reader.Error(JsonDocumentReader.Child(path, "smartHostTlsDomain"), "validatingRelay needs the name on the relay's certificate in smartHostTlsDomain (the connector's TlsDomain), so that Exchange authenticates the relay");
        }

        if (settings.ValidatingRelay && settings.SmartHosts.Count == 0)
        {
            reader.Error(JsonDocumentReader.Child(path, "smartHosts"), "validatingRelay needs the relay's host names in smartHosts");
        }

        if (settings.ValidatingRelay && !string.Equals(settings.SmartHostTlsAuthLevel, "DomainValidation", StringComparison.Ordinal))
        {
            reader.Error(JsonDocumentReader.Child(path, "smartHostTlsAuthLevel"), "validatingRelay needs smartHostTlsAuthLevel DomainValidation: the relay must be authenticated for its checks to count");
        }

        if (settings.Mode == RoutingMode.SmartHost && settings.SmartHosts.Count == 0)
        {
            reader.Error(JsonDocumentReader.Child(path, "smartHosts"), "mode 'smartHost' needs at least one smart host");
        }

        var domains = new[] { settings.DomainValidationDomain, settings.CertificateValidationDomain, settings.EncryptionOnlyDomain, settings.SmartHostDomain };
        for (var i = 0; i < domains.Length; i++)
        {
            for (var j = i + 1; j < domains.Length; j++)
            {
                if (string.Equals(domains[i], domains[j], StringComparison.Ordinal))
                {
                    reader.Error(path, $"routing domain '{domains[i]}' is used for two routes; each route needs its own Send connector address space");
                }
            }
        }

        return settings;
    }

    private static string ReadAddressSpaceType(JsonDocumentReader reader, System.Text.Json.JsonElement element, string path, string fallback)
    {
        var text = reader.ReadString(element, path, "smartHostAddressSpaceType", null);
        if (text is null)
        {
            return fallback;
        }

        // A type is a word; X400 would need RFC 1685 X.400 addresses, which a routing domain is not.
        var valid = text.Length <= 32 && char.IsLetter(text[0]) && text.All(c => c < 128 && (char.IsLetterOrDigit(c) || c == '-'));
        if (!valid || string.Equals(text, "X400", StringComparison.OrdinalIgnoreCase))
        {
            reader.Error(JsonDocumentReader.Child(path, "smartHostAddressSpaceType"), $"'{text}' is not an address space type: use SMTP or a word such as LinkSecure (letters, digits, hyphens; not X400)");
            return fallback;
        }

        return string.Equals(text, SmtpAddressSpaceType, StringComparison.OrdinalIgnoreCase) ? SmtpAddressSpaceType : text;
    }

    private static string ReadDomain(JsonDocumentReader reader, System.Text.Json.JsonElement element, string path, string name, string fallback)
    {
        var text = reader.ReadString(element, path, name, null);
        if (text is null)
        {
            return fallback;
        }

        if (!DomainName.TryNormalize(text, out var domain) || domain.IndexOf('.') < 0)
        {
            reader.Error(JsonDocumentReader.Child(path, name), $"'{text}' is not a domain name usable as a Send connector address space");
            return fallback;
        }

        return domain;
    }
}
