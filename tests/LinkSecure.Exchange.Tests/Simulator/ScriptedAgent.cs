using System;
using System.Linq;
using LinkSecure.Exchange.Simulator;
using LinkSecure.Exchange.Tests.Support;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Routing;

namespace LinkSecure.Exchange.Tests.Simulator;

/// <summary>What a scripted agent does on one event.</summary>
internal delegate void AgentScript(ScriptedAgent agent, QueuedMessageEventSource source, MailItem item, CategorizerEvent categorizerEvent);

/// <summary>A factory of agents that run a test's script on the events it names (by default OnResolvedMessage only).</summary>
internal sealed class ScriptedFactory : RoutingAgentFactory
{
    private readonly AgentScript script;
    private readonly CategorizerEvent[] events;

    public ScriptedFactory(AgentScript script, params CategorizerEvent[] events)
    {
        this.script = script;
        this.events = events.Length == 0 ? new[] { CategorizerEvent.Resolved } : events;
    }

    public static ScriptedFactory OnResolved(Action<ScriptedAgent, ResolvedMessageEventSource, MailItem> script) =>
        new((agent, source, item, _) => script(agent, (ResolvedMessageEventSource)source, item));

    public override RoutingAgent CreateAgent(SmtpServer server) => new ScriptedAgent(script, events);
}

/// <summary>An agent subscribed to the named events, running the script on each.</summary>
internal sealed class ScriptedAgent : RoutingAgent
{
    public ScriptedAgent(AgentScript script, CategorizerEvent[] events)
    {
        if (events.Contains(CategorizerEvent.Resolved))
        {
            OnResolvedMessage += (source, e) => script(this, source, e.MailItem, CategorizerEvent.Resolved);
        }

        if (events.Contains(CategorizerEvent.Routed))
        {
            OnRoutedMessage += (source, e) => script(this, source, e.MailItem, CategorizerEvent.Routed);
        }

        if (events.Contains(CategorizerEvent.Categorized))
        {
            OnCategorizedMessage += (source, e) => script(this, source, e.MailItem, CategorizerEvent.Categorized);
        }
    }

    public AgentAsyncContext Async() => GetAgentAsyncContext();
}

/// <summary>Items for the simulator's own tests.</summary>
internal static class SimItems
{
    public static SimMailItem Tagged(params string[] recipients) =>
        new(Messages.Create("level=1"), recipients.Select(r => new SimRecipient(r)));
}
