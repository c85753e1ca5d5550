using System;
using System.Diagnostics;
using LinkSecure.Exchange.Logging;
using LinkSecure.Exchange.Pipeline;
using LinkSecure.Exchange.Runtime;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Routing;
using Microsoft.Exchange.Data.Transport.Smtp;

namespace LinkSecure.Exchange;

/// <summary>
/// The routing agent: one instance per mail item (Exchange calls <c>CreateAgent</c> for each). Per-message state
/// lives in locals and work items; shared state lives in the <see cref="AgentRuntime"/>.
/// </summary>
internal sealed class LinkSecureRoutingAgent : RoutingAgent
{
    private readonly AgentRuntime runtime;
    private readonly MessageProcessor processor;
    private readonly Func<AgentAsyncContext> goAsync;

    /// <summary>Creates the agent and subscribes to its events.</summary>
    /// <param name="runtime">The shared runtime.</param>
    /// <param name="server">The server Exchange passed to <c>CreateAgent</c>.</param>
    public LinkSecureRoutingAgent(AgentRuntime runtime, SmtpServer? server)
    {
        this.runtime = runtime;
        processor = new MessageProcessor(runtime, server);
        goAsync = GetAgentAsyncContext;

        // OnSubmittedMessage: the first categorizer event, before the Transport Rule agent (OnResolvedMessage). A message
        // not submitted inside the organisation loses its request and waiver fields here, so only the organisation's own
        // senders and its own rules can ask for (or waive) link security (docs/agent.md).
        OnSubmittedMessage += HandleSubmitted;

        // OnResolvedMessage: recipients are resolved and the next hop is not chosen yet. It is the only event on
        // which SetRoutingOverride is allowed, and the Transport Rule agent runs on it at priority 1, so with our
        // agent installed after it (the default: new agents are appended last) we see the header the rules stamped.
        OnResolvedMessage += HandleResolved;

        // The backstop: the Fork API page says a forked copy is raised OnRoutedMessage, not OnResolvedMessage again.
        OnRoutedMessage += HandleRouted;

        // After content conversion: the rewrite of a downgrade copy (install the agent above any DKIM signer here).
        OnCategorizedMessage += HandleCategorized;
    }

    private void HandleSubmitted(SubmittedMessageEventSource source, QueuedMessageEventArgs e)
    {
        try
        {
            InboundRequestStripper.OnSubmitted(runtime, source, e?.MailItem!);
        }
#pragma warning disable CA1031 // Never throw into Exchange (an escaping exception crash-loops the transport service).
        catch (Exception ex)
#pragma warning restore CA1031
        {
            runtime.Log.Error("OnSubmittedMessage failed", ex);
        }
    }

    private void HandleResolved(ResolvedMessageEventSource source, QueuedMessageEventArgs e)
    {
        try
        {
            processor.OnResolved(source, e?.MailItem!, goAsync);
        }
#pragma warning disable CA1031 // Never throw into Exchange (an escaping exception crash-loops the transport service).
        catch (Exception ex)
#pragma warning restore CA1031
        {
            runtime.Log.Error("OnResolvedMessage failed", ex);
        }
    }

    private void HandleRouted(RoutedMessageEventSource source, QueuedMessageEventArgs e)
    {
        try
        {
            processor.OnRouted(source, e?.MailItem!);
        }
#pragma warning disable CA1031 // Never throw into Exchange.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            runtime.Log.Error("OnRoutedMessage failed", ex);
        }
    }

    private void HandleCategorized(CategorizedMessageEventSource source, QueuedMessageEventArgs e)
    {
        try
        {
            processor.OnCategorized(source, e?.MailItem!, goAsync);
        }
#pragma warning disable CA1031 // Never throw into Exchange.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            runtime.Log.Error("OnCategorizedMessage failed", ex);
        }
    }
}

/// <summary>
/// The agent handed out when the real one cannot start (event 3001) or be created (event 3002). It depends on nothing
/// but the Exchange SDK and the framework (its dependencies may be what failed to load): mail without a link-security
/// request passes untouched; mail that carries one is deferred, with an event-log entry for each, so that no tagged
/// message leaves unprotected while the agent is broken. Exchange expires what stays deferred (2 days by default).
/// </summary>
internal sealed class InertRoutingAgent : RoutingAgent
{
    private static readonly TimeSpan Retry = TimeSpan.FromMinutes(15);
    private readonly EventLogWriter eventLog;

    /// <summary>Creates the inert agent.</summary>
    /// <param name="eventLog">Where each deferral is reported.</param>
    public InertRoutingAgent(EventLogWriter eventLog)
    {
        this.eventLog = eventLog;
        OnResolvedMessage += HandleResolved;
    }

    private void HandleResolved(ResolvedMessageEventSource source, QueuedMessageEventArgs e)
    {
        try
        {
            var message = e?.MailItem?.Message;
            if (message is null || message.IsSystemMessage || !RequestFields.IsPresent(message, out _))
            {
                return;
            }

#pragma warning disable CS0618 // The constructor is the only form Exchange 2013 CU23 has.
            source.Defer(Retry, new SmtpResponse("451", "4.3.0", "LinkSecure agent is not running; a message that requests link security waits until it runs"));
#pragma warning restore CS0618
            eventLog.Write(AgentEventId.InertDeferred, EventLogEntryType.Warning, "ExchangeLinkSecure is inert (see event 3001/3002): a message that requests link security was deferred " + Retry.TotalMinutes + " min. Message-ID: " + message.MessageId);
        }
#pragma warning disable CA1031 // Never throw into Exchange.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
