using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Routing;
using Microsoft.Exchange.Data.Transport.Smtp;

namespace LinkSecure.Exchange.Simulator;

/// <summary>
/// One invocation of one of the agent's handlers for one mail item: the rules every call made during it obeys, and
/// what it did (async context, forks, deferral). Shared by the three event sources.
/// </summary>
internal sealed class EventInvocation
{
    private static readonly string[] CallNames = Enum.GetNames(typeof(ExchangeCall));
    private readonly object gate = new();
    private List<int>? resumedThreads;
    private List<SimMailItem>? forks;
    [ThreadStatic]
    private static EventInvocation? runningHere;

    private volatile bool closed;
    private volatile bool deferred;

    public EventInvocation(TransportPipeline pipeline, SimMailItem item, CategorizerEvent categorizerEvent, RoutingAgent agent)
    {
        Pipeline = pipeline;
        Item = item;
        Event = categorizerEvent;
        Agent = agent;
        Source = categorizerEvent switch
        {
            CategorizerEvent.Submitted => new SimSubmittedEventSource(this),
            CategorizerEvent.Resolved => new SimResolvedEventSource(this),
            CategorizerEvent.Routed => new SimRoutedEventSource(this),
            _ => new SimCategorizedEventSource(this),
        };
    }

    public TransportPipeline Pipeline { get; }

    public SimMailItem Item { get; }

    public CategorizerEvent Event { get; }

    public RoutingAgent Agent { get; }

    public QueuedMessageEventSource Source { get; }

    public string EventName => TransportPipeline.EventName(Event);

    public SimAsyncContext? Context { get; private set; }

    public IReadOnlyList<SimMailItem> Forks => (IReadOnlyList<SimMailItem>?)forks ?? Array.Empty<SimMailItem>();

    public bool ResumedOnCurrentThread
    {
        get
        {
            if (Volatile.Read(ref resumedThreads) is null)
            {
                return false;
            }

            lock (gate)
            {
                return resumedThreads!.Contains(Environment.CurrentManagedThreadId);
            }
        }
    }

    /// <summary>The agent's <c>GetAgentAsyncContext</c> (through the facade's private provider field).</summary>
    public AgentAsyncContext GoAsync()
    {
        Check("GetAgentAsyncContext", null, 0);
        if (Context is not null)
        {
            throw Refuse("GetAgentAsyncContext called twice");
        }

        Context = new SimAsyncContext(this);
        Pipeline.CountAsync();
        return Context;
    }

    /// <summary>The handler starts on this (the event) thread: calls from it are the handler's own.</summary>
    public void HandlerStarting() => runningHere = this;

    public void HandlerReturned() => runningHere = null;

    public void Close() => closed = true;

    public void MarkResumed()
    {
        if (closed || Context is { IsCompleted: true })
        {
            Pipeline.RecordViolation($"item {Item.Id}: Resume after the {EventName} invocation finished");
        }

        lock (gate)
        {
            var threads = resumedThreads ?? new List<int>();
            threads.Add(Environment.CurrentManagedThreadId);
            Volatile.Write(ref resumedThreads, threads);
        }
    }

    /// <summary>The rules of a call made during (or after) this invocation, then the fault plan.</summary>
    /// <param name="what">What is called, or <see langword="null"/> to name <paramref name="call"/>.</param>
    /// <param name="call">The call, when the fault plan may make it throw.</param>
    /// <param name="occurrence">How many calls of that kind came before on the item.</param>
    public void Check(string? what, ExchangeCall? call, int occurrence)
    {
        if (deferred && Pipeline.DeferReverts)
        {
            // API reference, Defer (aa567106): any later access to the item in the invocation throws NullReferenceException.
            var problem = $"{what ?? CallNames[(int)call!.Value]} after Defer in the same {EventName} invocation (the item was reverted)";
            Pipeline.RecordViolation($"item {Item.Id}: {problem}");
#pragma warning disable CA2201 // What Exchange throws (API reference aa567106), reproduced on purpose.
            throw new NullReferenceException(problem);
#pragma warning restore CA2201
        }

        if (closed || Context is { IsCompleted: true })
        {
            throw Refuse($"{what ?? CallNames[(int)call!.Value]} after the event finished (only legal during {EventName})");
        }

        if (runningHere != this)
        {
            if (Context is null)
            {
                throw Refuse($"{what ?? CallNames[(int)call!.Value]} after the handler returned without going async");
            }

            if (!ResumedOnCurrentThread)
            {
                throw Refuse($"{what ?? CallNames[(int)call!.Value]}: agent went async but did not call Resume on the new thread");
            }
        }

        if (call is { } faultable && Pipeline.Faults?.GetFault(faultable, Item, occurrence) is { } fault)
        {
            Pipeline.CountInjectedFault(Item, faultable);
            throw fault;
        }
    }

    /// <summary>A source call: the rules, the fault plan, with the item's occurrence counter.</summary>
    public void CheckSource(ExchangeCall call) => Check(null, call, Pipeline.Faults is null ? 0 : Item.NextOccurrence(call));

    public void Defer(TimeSpan waitTime, SmtpResponse reason)
    {
        CheckSource(ExchangeCall.Defer);
        deferred = true;
        Pipeline.RecordDefer(this, new DeferRecord(waitTime, reason));
    }

    public void Fork(IList<EnvelopeRecipient> recipients)
    {
        CheckSource(ExchangeCall.Fork);
        if (recipients is null)
        {
            throw new ArgumentNullException(nameof(recipients));
        }

        // API reference, Fork (aa563120): the first copy keeps the recipients in both the argument and the collection.
        var current = Item.SimRecipients.Items;
        var first = current.Where(r => recipients.Contains(r)).ToList();
        var rest = current.Where(r => !recipients.Contains(r)).ToList();
        if (first.Count == 0)
        {
            Pipeline.RecordViolation($"item {Item.Id}: Fork with no recipient of the current copy");
            return;
        }

        if (rest.Count == 0)
        {
            // Nothing to separate: the copy keeps every recipient.
            return;
        }

        var clone = Item.Fork(first, rest, Pipeline.ForkKeepsProperties);
        (forks ??= new List<SimMailItem>()).Add(clone);
        Pipeline.RecordFork(this, clone);
    }

    public void CheckInCopy(EnvelopeRecipient recipient, string what)
    {
        if (recipient is not SimRecipient sim || !Item.SimRecipients.Items.Contains(sim))
        {
            throw Refuse($"{what} on {recipient?.Address.ToString() ?? "null"}, which is not in the current copy");
        }
    }

    public InvalidOperationException Refuse(string problem)
    {
        Pipeline.RecordViolation($"item {Item.Id}: {problem}");
        return new InvalidOperationException(problem);
    }
}
