using System;
using System.Collections.Generic;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Routing;
using Microsoft.Exchange.Data.Transport.Smtp;

namespace LinkSecure.Exchange.Simulator;

/// <summary>The <c>OnSubmittedMessage</c> event source of one invocation (Defer and Fork only).</summary>
public sealed class SimSubmittedEventSource : SubmittedMessageEventSource
{
    private readonly EventInvocation invocation;

    internal SimSubmittedEventSource(EventInvocation invocation) => this.invocation = invocation;

    /// <inheritdoc />
    public override void Defer(TimeSpan waitTime) => invocation.Defer(waitTime, SmtpResponse.Empty);

    /// <inheritdoc />
    public override void Defer(TimeSpan waitTime, SmtpResponse deferReason) => invocation.Defer(waitTime, deferReason);

    /// <inheritdoc />
    public override void Fork(IList<EnvelopeRecipient> recipients) => invocation.Fork(recipients);
}
