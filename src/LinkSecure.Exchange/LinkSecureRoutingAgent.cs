using System;
using LinkSecure.Exchange.Pipeline;
using LinkSecure.Exchange.Runtime;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Routing;

namespace LinkSecure.Exchange;

/// <summary>
/// The routing agent: one instance per mail item (Exchange calls <c>CreateAgent</c> for each). Per-message state
/// lives in locals and work items; shared state lives in the <see cref="AgentRuntime"/>.
/// </summary>
internal sealed class LinkSecureRoutingAgent : RoutingAgent
{
    private readonly AgentRuntime runtime;
    private readonly ResolvedMessageProcessor processor;

    /// <summary>Creates the agent and subscribes to its event.</summary>
    /// <param name="runtime">The shared runtime.</param>
    /// <param name="server">The server Exchange passed to <c>CreateAgent</c>.</param>
    public LinkSecureRoutingAgent(AgentRuntime runtime, SmtpServer? server)
    {
        this.runtime = runtime;
        processor = new ResolvedMessageProcessor(runtime, server);

        // OnResolvedMessage: recipients are resolved and the next hop is not chosen yet. It is the only event on
        // which SetRoutingOverride is allowed, and the Transport Rule agent runs on it at priority 1, so with our
        // agent installed after it (the default: new agents are appended last) we see the header the rules stamped.
        OnResolvedMessage += HandleResolvedMessage;
    }

    private void HandleResolvedMessage(ResolvedMessageEventSource source, QueuedMessageEventArgs e)
    {
        try
        {
            processor.Handle(source, e?.MailItem!, GetAgentAsyncContext);
        }
#pragma warning disable CA1031 // Never throw into Exchange (an escaping exception crash-loops the transport service).
        catch (Exception ex)
#pragma warning restore CA1031
        {
            runtime.Log.Error("OnResolvedMessage failed", ex);
        }
    }
}

/// <summary>An agent that subscribes to nothing: returned when the real agent cannot be created, so mail flows untouched.</summary>
internal sealed class InertRoutingAgent : RoutingAgent
{
}
