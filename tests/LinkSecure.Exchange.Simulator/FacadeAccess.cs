using System;
using System.Linq.Expressions;
using System.Reflection;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Routing;

namespace LinkSecure.Exchange.Simulator;

/// <summary>
/// The only place the simulator reaches into the facade's private members: what Exchange does internally
/// (raising an agent's events, binding the async context to the running event, building the recipient
/// enumerator) has no public surface. The event fields are the compiler-generated backing fields of
/// <c>OnSubmittedMessage</c>, <c>OnResolvedMessage</c>, <c>OnRoutedMessage</c> and <c>OnCategorizedMessage</c>. The accessors are compiled once,
/// so that reflection does not count in the agent's measured overhead.
/// </summary>
internal static class FacadeAccess
{
    private static readonly Action<Agent, Func<AgentAsyncContext>?> SetProvider = Setter<Agent, Func<AgentAsyncContext>?>("asyncContextProvider");

    private static readonly Func<RoutingAgent, SubmittedMessageEventHandler?> SubmittedEvent = Getter<RoutingAgent, SubmittedMessageEventHandler?>("OnSubmittedMessage");

    private static readonly Func<RoutingAgent, ResolvedMessageEventHandler?> ResolvedEvent = Getter<RoutingAgent, ResolvedMessageEventHandler?>("OnResolvedMessage");

    private static readonly Func<RoutingAgent, RoutedMessageEventHandler?> RoutedEvent = Getter<RoutingAgent, RoutedMessageEventHandler?>("OnRoutedMessage");

    private static readonly Func<RoutingAgent, CategorizedMessageEventHandler?> CategorizedEvent = Getter<RoutingAgent, CategorizedMessageEventHandler?>("OnCategorizedMessage");

    public static void SetAsyncContextProvider(Agent agent, Func<AgentAsyncContext>? provider) => SetProvider(agent, provider);

    public static bool HasHandler(RoutingAgent agent, CategorizerEvent categorizerEvent) => categorizerEvent switch
    {
        CategorizerEvent.Submitted => SubmittedEvent(agent) is not null,
        CategorizerEvent.Resolved => ResolvedEvent(agent) is not null,
        CategorizerEvent.Routed => RoutedEvent(agent) is not null,
        CategorizerEvent.Categorized => CategorizedEvent(agent) is not null,
        _ => false,
    };

    public static void Raise(RoutingAgent agent, CategorizerEvent categorizerEvent, QueuedMessageEventSource source, QueuedMessageEventArgs args)
    {
        switch (categorizerEvent)
        {
            case CategorizerEvent.Submitted:
                SubmittedEvent(agent)?.Invoke((SubmittedMessageEventSource)source, args);
                break;
            case CategorizerEvent.Resolved:
                ResolvedEvent(agent)?.Invoke((ResolvedMessageEventSource)source, args);
                break;
            case CategorizerEvent.Routed:
                RoutedEvent(agent)?.Invoke((RoutedMessageEventSource)source, args);
                break;
            case CategorizerEvent.Categorized:
                CategorizedEvent(agent)?.Invoke((CategorizedMessageEventSource)source, args);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(categorizerEvent), categorizerEvent, "Routing agents have no handler for this event.");
        }
    }

    public static EnvelopeRecipientCollection.Enumerator CreateEnumerator(ReadOnlyEnvelopeRecipientCollection collection) =>
        (EnvelopeRecipientCollection.Enumerator)Activator.CreateInstance(
            typeof(EnvelopeRecipientCollection.Enumerator),
            BindingFlags.Instance | BindingFlags.NonPublic,
            null,
            new object[] { collection },
            null)!;

    private static FieldInfo Field(Type type, string name) =>
        type.GetField(name, BindingFlags.Instance | BindingFlags.NonPublic) ?? throw new MissingFieldException(type.Name, name);

    private static Func<TOwner, TValue> Getter<TOwner, TValue>(string name)
    {
        var owner = Expression.Parameter(typeof(TOwner), "owner");
        return Expression.Lambda<Func<TOwner, TValue>>(Expression.Field(owner, Field(typeof(TOwner), name)), owner).Compile();
    }

    private static Action<TOwner, TValue> Setter<TOwner, TValue>(string name)
    {
        var owner = Expression.Parameter(typeof(TOwner), "owner");
        var value = Expression.Parameter(typeof(TValue), "value");
        return Expression.Lambda<Action<TOwner, TValue>>(Expression.Assign(Expression.Field(owner, Field(typeof(TOwner), name)), value), owner, value).Compile();
    }
}
