using System;
using System.Collections.Generic;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Routing;
using Microsoft.Exchange.Data.Transport.Smtp;

namespace LinkSecure.Exchange.Simulator;

/// <summary>The <c>OnResolvedMessage</c> event source of one invocation: the only one with routing overrides and TLS domains.</summary>
public sealed class SimResolvedEventSource : ResolvedMessageEventSource
{
    private readonly EventInvocation invocation;

    internal SimResolvedEventSource(EventInvocation invocation)
    {
        this.invocation = invocation;
    }

    /// <summary>Gets the mail item.</summary>
    public SimMailItem Item => invocation.Item;

    /// <inheritdoc />
    public override void Defer(TimeSpan waitTime) => invocation.Defer(waitTime, SmtpResponse.Empty);

    /// <inheritdoc />
    public override void Defer(TimeSpan waitTime, SmtpResponse deferReason) => invocation.Defer(waitTime, deferReason);

    /// <inheritdoc />
    public override void Fork(IList<EnvelopeRecipient> recipients) => invocation.Fork(recipients);

    /// <inheritdoc />
    public override RoutingOverride GetRoutingOverride(EnvelopeRecipient recipient)
    {
        invocation.CheckSource(ExchangeCall.GetRoutingOverride);
        return ((SimRecipient)recipient).Override!;
    }

    /// <inheritdoc />
    /// <remarks>Only for a recipient of the current copy; <see langword="null"/> removes the override.</remarks>
    public override void SetRoutingOverride(EnvelopeRecipient recipient, RoutingOverride routingOverride)
    {
        invocation.CheckSource(ExchangeCall.SetRoutingOverride);
        invocation.CheckInCopy(recipient, "SetRoutingOverride");
        ((SimRecipient)recipient).Override = routingOverride;
    }

    /// <inheritdoc />
    public override string GetTlsDomain(EnvelopeRecipient recipient)
    {
        invocation.CheckSource(ExchangeCall.GetTlsDomain);
        return ((SimRecipient)recipient).TlsDomain!;
    }

    /// <inheritdoc />
    /// <remarks>Refuses an empty value, <c>*</c>, and a wildcard anywhere but a leading <c>*.</c> (the connector's
    /// <c>-TlsDomain</c> syntax; what the per-recipient call accepts is unverified, reference §7.3).</remarks>
    public override void SetTlsDomain(EnvelopeRecipient recipient, string domain)
    {
        invocation.CheckSource(ExchangeCall.SetTlsDomain);
        invocation.CheckInCopy(recipient, "SetTlsDomain");
        if (!IsValidTlsDomain(domain))
        {
            throw new ArgumentException("Invalid TLS domain.", nameof(domain));
        }

        ((SimRecipient)recipient).TlsDomain = domain;
    }

    private static bool IsValidTlsDomain(string domain)
    {
        if (string.IsNullOrEmpty(domain) || domain == "*" || domain.IndexOf(' ') >= 0 || domain.IndexOf('@') >= 0)
        {
            return false;
        }

        var star = domain.IndexOf('*');
        return star < 0 || (star == 0 && domain.Length > 2 && domain[1] == '.' && domain.IndexOf('*', 1) < 0);
    }
}
