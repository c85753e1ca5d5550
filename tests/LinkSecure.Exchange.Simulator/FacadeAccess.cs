using System;
using System.Reflection;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Routing;

namespace LinkSecure.Exchange.Simulator;

/// <summary>
/// The only place the simulator reaches into the facade's private members: what Exchange does internally
/// (raising an agent's event, binding the async context to the running event, building the recipient
/// enumerator) has no public surface.
/// </summary>
internal static class FacadeAccess
{
    private static readonly FieldInfo AsyncProvider = typeof(Agent).GetField("asyncContextProvider", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new MissingFieldException(nameof(Agent), "asyncContextProvider");

    private static readonly FieldInfo ResolvedEvent = typeof(RoutingAgent).GetField("OnResolvedMessage", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new MissingFieldException(nameof(RoutingAgent), "OnResolvedMessage");

    public static void SetAsyncContextProvider(Agent agent, Func<AgentAsyncContext>? provider) => AsyncProvider.SetValue(agent, provider);

    public static bool HasResolvedHandler(RoutingAgent agent) => ResolvedEvent.GetValue(agent) is not null;

    public static void RaiseResolved(RoutingAgent agent, ResolvedMessageEventSource source, QueuedMessageEventArgs args)
    {
        var handler = (ResolvedMessageEventHandler?)ResolvedEvent.GetValue(agent);
        handler?.Invoke(source, args);
    }

    public static EnvelopeRecipientCollection.Enumerator CreateEnumerator(ReadOnlyEnvelopeRecipientCollection collection) =>
        (EnvelopeRecipientCollection.Enumerator)Activator.CreateInstance(
            typeof(EnvelopeRecipientCollection.Enumerator),
            BindingFlags.Instance | BindingFlags.NonPublic,
            null,
            new object[] { collection },
            null)!;
}
