using System;
using System.Reflection;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Routing;

namespace LinkSecure.Exchange.Simulator;

/// <summary>
/// The only place the simulator reaches into the facade's private members: what Exchange does internally
/// (raising an agent's events, binding the async context to the running event, building the recipient
/// enumerator) has no public surface. The event fields are the compiler-generated backing fields of
/// <c>OnResolvedMessage</c>, <c>OnRoutedMessage</c> and <c>OnCategorizedMessage</c>.
/// </summary>
internal static class FacadeAccess
{
    private static readonly FieldInfo AsyncProvider = Field(typeof(Agent), "asyncContextProvider");

    private static readonly FieldInfo ResolvedEvent = Field(typeof(RoutingAgent), "OnResolvedMessage");

    private static readonly FieldInfo RoutedEvent = Field(typeof(RoutingAgent), "OnRoutedMessage");

    private static readonly FieldInfo CategorizedEvent = Field(typeof(RoutingAgent), "OnCategorizedMessage");

    public static void SetAsyncContextProvider(Agent agent, Func<AgentAsyncContext>? provider) => AsyncProvider.SetValue(agent, provider);

    public static bool HasHandler(RoutingAgent agent, CategorizerEvent categorizerEvent) => EventField(categorizerEvent)?.GetValue(agent) is not null;

    public static void Raise(RoutingAgent agent, CategorizerEvent categorizerEvent, QueuedMessageEventSource source, QueuedMessageEventArgs args)
    {
        switch (categorizerEvent)
        {
            case CategorizerEvent.Resolved:
                ((ResolvedMessageEventHandler?)ResolvedEvent.GetValue(agent))?.Invoke((ResolvedMessageEventSource)source, args);
                break;
            case CategorizerEvent.Routed:
                ((RoutedMessageEventHandler?)RoutedEvent.GetValue(agent))?.Invoke((RoutedMessageEventSource)source, args);
                break;
            case CategorizerEvent.Categorized:
                ((CategorizedMessageEventHandler?)CategorizedEvent.GetValue(agent))?.Invoke((CategorizedMessageEventSource)source, args);
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

    private static FieldInfo? EventField(CategorizerEvent categorizerEvent) => categorizerEvent switch
    {
        CategorizerEvent.Resolved => ResolvedEvent,
        CategorizerEvent.Routed => RoutedEvent,
        CategorizerEvent.Categorized => CategorizedEvent,
        _ => null,
    };

    private static FieldInfo Field(Type type, string name) =>
        type.GetField(name, BindingFlags.Instance | BindingFlags.NonPublic) ?? throw new MissingFieldException(type.Name, name);
}
