using System;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Protocol;
using LinkSecure.Exchange.Logging;
using Microsoft.Exchange.Data.Transport;

namespace LinkSecure.Exchange.Pipeline;

/// <summary>
/// The agent's strict test for "this recipient stays inside the organisation", the host half of the core's internal
/// rule (the core adds <c>internalDomains</c>). A recipient is internal for Exchange only when all of these hold:
/// <list type="bullet">
/// <item>Exchange resolved it to an object of this organisation (<c>RecipientCategory.InSameOrganization</c>) — a hint
/// only, confirmed by its domain below;</item>
/// <item>its domain is an accepted domain of the organisation (<c>IsInCorporation</c>) that uses the address book
/// (<c>UseAddressBook</c>: the default for authoritative domains, not for internal-relay domains, whose mailboxes are
/// hosted elsewhere and often reached over the Internet);</item>
/// <item>the accepted domain names exactly that domain, or the administrator configured it with a wildcard
/// (<c>*.contoso.com</c>): subdomains only when configured.</item>
/// </list>
/// A mail contact resolves to its external target address, whose domain is not accepted, so it is decided as external.
/// </summary>
internal sealed class InternalRecipients
{
    private readonly AcceptedDomainCollection? acceptedDomains;

    /// <summary>Creates the test for one agent instance.</summary>
    /// <param name="server">The server, for accepted domains; may be <see langword="null"/>.</param>
    /// <param name="log">The log.</param>
    public InternalRecipients(SmtpServer? server, AgentLog log)
    {
        try
        {
            acceptedDomains = server?.AcceptedDomains;
        }
#pragma warning disable CA1031 // Without accepted domains only internalDomains makes a recipient internal (stricter).
        catch (Exception ex)
#pragma warning restore CA1031
        {
            log.Warn("accepted domains unavailable: " + ex.Message);
        }
    }

    /// <summary>The host's part of the test. Never throws: a failure reads as "not internal" (decided as external).</summary>
    /// <param name="recipient">The recipient.</param>
    /// <returns><see langword="true"/> when Exchange's own data shows the recipient is internal.</returns>
    public bool HostSaysInternal(EnvelopeRecipient recipient)
    {
        try
        {
            if (acceptedDomains is null || recipient.RecipientCategory != RecipientCategory.InSameOrganization
                || !DomainName.TryGetAddressDomain(recipient.Address.ToString(), out var domain))
            {
                return false;
            }

            var accepted = acceptedDomains.Find(domain);
            return accepted is { IsInCorporation: true, UseAddressBook: true } && Names(accepted.NameSpecification, domain);
        }
#pragma warning disable CA1031 // Stricter on failure.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    /// <summary>The whole test: the host's part or the configured <c>internalDomains</c>.</summary>
    /// <param name="settings">The settings in force.</param>
    /// <param name="recipient">The recipient.</param>
    /// <returns><see langword="true"/> for an internal recipient.</returns>
    public bool IsInternal(LinkSecureSettings settings, EnvelopeRecipient recipient)
    {
        if (HostSaysInternal(recipient))
        {
            return true;
        }

        try
        {
            return DomainName.TryGetAddressDomain(recipient.Address.ToString(), out var domain) && settings.IsInternalDomain(domain);
        }
#pragma warning disable CA1031 // Stricter on failure.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    private static bool Names(string? specification, string domain)
    {
        if (string.IsNullOrEmpty(specification))
        {
            return false;
        }

        if (specification!.StartsWith("*.", StringComparison.Ordinal))
        {
            var parent = specification.Substring(1);
            return domain.EndsWith(parent, StringComparison.OrdinalIgnoreCase) && domain.Length > parent.Length;
        }

        return string.Equals(specification.TrimEnd('.'), domain, StringComparison.OrdinalIgnoreCase);
    }
}
