using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Routing;
using Microsoft.Exchange.Data.Transport.Smtp;

namespace LinkSecure.Exchange.Simulator;

/// <summary>Where a recipient ended.</summary>
internal enum OutcomeKind
{
    Delivered,
    Bounced,
    Deferred,
}

/// <summary>One recipient's final outcome in one pipeline run.</summary>
internal sealed class RecipientOutcome
{
    public RecipientOutcome(string address, OutcomeKind kind, SimMailItem item)
    {
        Address = address;
        Kind = kind;
        Item = item;
    }

    public string Address { get; }

    public OutcomeKind Kind { get; }

    public SimMailItem Item { get; }

    public RoutingOverride? Override { get; init; }

    public string? TlsDomain { get; init; }

    public SmtpResponse Response { get; init; }

    public TimeSpan DeferFor { get; init; }

    public byte[] Mime { get; init; } = Array.Empty<byte>();
}

/// <summary>A transport rule stamping a header at OnResolvedMessage, priority 1 (before our agent).</summary>
internal sealed class TransportRule
{
    public TransportRule(Func<SimMailItem, bool> condition, string headerName, string headerValue)
    {
        Condition = condition;
        HeaderName = headerName;
        HeaderValue = headerValue;
    }

    public Func<SimMailItem, bool> Condition { get; }

    public string HeaderName { get; }

    public string HeaderValue { get; }
}

/// <summary>
/// A model of the categorizer as documented (docs/agent.md, "Simulator"): the four routing events in order, the
/// Transport Rule agent before ours on OnResolvedMessage, a new agent per mail item, Fork (the first copy continues;
/// the rest re-enters the same event at the agent's position after the first copy finished), Remove with a DSN
/// producing an NDR, Defer, routing overrides only during OnResolvedMessage, and the async-context rules (Resume
/// on the worker before any call, Complete exactly once). Rule violations are recorded, and also thrown at the
/// agent like Exchange would.
/// </summary>
internal sealed class TransportPipeline
{
    private readonly RoutingAgentFactory factory;
    private readonly SmtpServer server;
    private readonly object gate = new();

    public TransportPipeline(RoutingAgentFactory factory, SmtpServer? server = null)
    {
        this.factory = factory;
        this.server = server ?? new SimSmtpServer("contoso.example");
    }

    public List<TransportRule> TransportRules { get; } = new();

    /// <summary>Gets or sets a value indicating whether property bags survive a Fork (unverified on Exchange; test both).</summary>
    public bool ForkKeepsProperties { get; set; } = true;

    public TimeSpan AsyncTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public List<string> Trace { get; } = new();

    public ConcurrentQueue<string> Violations { get; } = new();

    public List<RecipientOutcome> Outcomes { get; } = new();

    public List<RecipientOutcome> Ndrs => Outcomes.Where(o => o.Kind == OutcomeKind.Bounced).ToList();

    public int AgentsCreated { get; private set; }

    public int ForkCount { get; private set; }

    public int AsyncCount { get; private set; }

    internal SimEventSource? ActiveSource { get; private set; }

    /// <summary>Runs one submitted message (and every copy forked from it) through the categorizer.</summary>
    /// <param name="item">The message.</param>
    public void Submit(SimMailItem item)
    {
        item.Pipeline = this;
        var queue = new Queue<(SimMailItem Item, bool Reentry)>();
        queue.Enqueue((item, false));
        while (queue.Count > 0)
        {
            var (current, reentry) = queue.Dequeue();
            var forks = RunItem(current, reentry);
            foreach (var fork in forks)
            {
                queue.Enqueue((fork, true));
            }
        }
    }

    /// <summary>Runs a deferred message again, as after its retry interval (from OnSubmittedMessage).</summary>
    /// <param name="item">The deferred mail item.</param>
    public void Retry(SimMailItem item)
    {
        Outcomes.RemoveAll(o => ReferenceEquals(o.Item, item) && o.Kind == OutcomeKind.Deferred);
        item.Deferred = null;
        Submit(item);
    }

    internal void CheckCall(SimMailItem item, string what)
    {
        var source = ActiveSource;
        if (source is null || !ReferenceEquals(source.Item, item))
        {
            // Outside an event (e.g. test set-up): allowed.
            return;
        }

        source.CheckAccess(what);
    }

    internal void RecordViolation(string text)
    {
        Violations.Enqueue(text);
    }

    internal void RecordNdr(SimMailItem item, SimRecipient recipient, DsnType dsnType, SmtpResponse response)
    {
        lock (gate)
        {
            if (dsnType != DsnType.Failure)
            {
                RecordViolation("Remove with DsnType " + dsnType + " for " + recipient.Address);
            }

            Outcomes.Add(new RecipientOutcome(recipient.Address.ToString(), OutcomeKind.Bounced, item) { Response = response });
        }
    }

    internal void RecordFork(SimMailItem item, IList<EnvelopeRecipient> keep, List<SimMailItem> forks)
    {
        var current = item.SimRecipients.Items;
        var first = current.Where(r => keep.Contains(r)).ToList();
        var rest = current.Where(r => !keep.Contains(r)).ToList();
        if (first.Count == 0 || rest.Count == 0)
        {
            // Nothing to separate: the copy keeps every recipient (or the argument shares none with it).
            if (first.Count == 0)
            {
                RecordViolation($"item {item.Id}: Fork with no recipient of the current copy");
            }

            return;
        }

        item.SimRecipients.Replace(first);
        var copy = item.ForkCopy(rest, ForkKeepsProperties);
        forks.Add(copy);
        ForkCount++;
        Trace.Add($"item {item.Id}: Fork -> item {copy.Id} ({rest.Count} recipients)");
    }

    private List<SimMailItem> RunItem(SimMailItem item, bool reentry)
    {
        var forks = new List<SimMailItem>();
        if (!reentry)
        {
            Trace.Add($"item {item.Id}: OnSubmittedMessage");
            Trace.Add($"item {item.Id}: OnResolvedMessage TransportRule (priority 1)");
            ApplyTransportRules(item);
        }

        Trace.Add($"item {item.Id}: OnResolvedMessage LinkSecure");
        var agent = factory.CreateAgent(server);
        AgentsCreated++;
        var source = new SimEventSource(this, item, forks);
        FacadeAccess.SetAsyncContextProvider(agent, source.GoAsync);
        ActiveSource = source;
        try
        {
            FacadeAccess.RaiseResolved(agent, source, new SimEventArgs(item));
        }
        catch (Exception ex)
        {
            RecordViolation($"item {item.Id}: exception escaped the agent: {ex}");
        }
        finally
        {
            source.HandlerReturned();
        }

        if (source.Context is { } context)
        {
            AsyncCount++;
            if (!context.Completed.Wait(AsyncTimeout))
            {
                RecordViolation($"item {item.Id}: went async and never called Complete");
            }
        }

        source.Close();
        ActiveSource = null;
        FacadeAccess.SetAsyncContextProvider(agent, null);

        if (item.Deferred is { } deferred)
        {
            Trace.Add($"item {item.Id}: deferred {deferred.Wait}");
            foreach (var r in item.SimRecipients.Items)
            {
                Outcomes.Add(new RecipientOutcome(r.Address.ToString(), OutcomeKind.Deferred, item) { Response = deferred.Response, DeferFor = deferred.Wait });
            }

            return forks;
        }

        Trace.Add($"item {item.Id}: OnRoutedMessage");
        Trace.Add($"item {item.Id}: OnCategorizedMessage");
        foreach (var r in item.SimRecipients.Items)
        {
            Outcomes.Add(new RecipientOutcome(r.Address.ToString(), OutcomeKind.Delivered, item) { Override = r.Override, TlsDomain = r.TlsDomain, Mime = item.Mime });
        }

        return forks;
    }

    private void ApplyTransportRules(SimMailItem item)
    {
        foreach (var rule in TransportRules)
        {
            if (!rule.Condition(item))
            {
                continue;
            }

            // -SetHeaderName/-SetHeaderValue "adds or modifies a header field".
            item.ReplaceMime(HeaderBlock.SetHeader(item.Mime, rule.HeaderName, rule.HeaderValue));
        }
    }
}

/// <summary>What Defer recorded on a mail item.</summary>
internal sealed class DeferRecord
{
    public DeferRecord(TimeSpan wait, SmtpResponse response)
    {
        Wait = wait;
        Response = response;
    }

    public TimeSpan Wait { get; }

    public SmtpResponse Response { get; }
}

/// <summary>The OnResolvedMessage event source for one mail item and one event invocation.</summary>
internal sealed class SimEventSource : ResolvedMessageEventSource
{
    private readonly TransportPipeline pipeline;
    private readonly List<SimMailItem> forks;
    private readonly int eventThread = Environment.CurrentManagedThreadId;
    private readonly ConcurrentDictionary<int, bool> resumedThreads = new();
    private volatile bool handlerRunning = true;
    private volatile bool closed;

    public SimEventSource(TransportPipeline pipeline, SimMailItem item, List<SimMailItem> forks)
    {
        this.pipeline = pipeline;
        Item = item;
        this.forks = forks;
    }

    public SimMailItem Item { get; }

    public SimAsyncContext? Context { get; private set; }

    public AgentAsyncContext GoAsync()
    {
        CheckAccess("GetAgentAsyncContext");
        if (Context is not null)
        {
            pipeline.RecordViolation($"item {Item.Id}: GetAgentAsyncContext called twice");
            throw new InvalidOperationException("GetAgentAsyncContext called twice.");
        }

        Context = new SimAsyncContext(this);
        return Context;
    }

    public void HandlerReturned() => handlerRunning = false;

    public void Close() => closed = true;

    public void MarkResumed() => resumedThreads[Environment.CurrentManagedThreadId] = true;

    public void CheckAccess(string what)
    {
        string? problem = null;
        if (closed || (Context is { } c && c.IsCompleted))
        {
            problem = $"{what} after the event finished (only legal during OnResolvedMessage)";
        }
        else if (Environment.CurrentManagedThreadId == eventThread && handlerRunning)
        {
            return;
        }
        else if (Context is null)
        {
            problem = $"{what} after the handler returned without going async";
        }
        else if (!resumedThreads.ContainsKey(Environment.CurrentManagedThreadId))
        {
            problem = $"{what}: agent went async but did not call Resume on the new thread";
        }

        if (problem is not null)
        {
            pipeline.RecordViolation($"item {Item.Id}: {problem}");
            throw new InvalidOperationException(problem);
        }
    }

    public override void Defer(TimeSpan waitTime) => Defer(waitTime, SmtpResponse.Empty);

    public override void Defer(TimeSpan waitTime, SmtpResponse deferReason)
    {
        CheckAccess("Defer");
        Item.Deferred = new DeferRecord(waitTime, deferReason);
    }

    public override void Fork(IList<EnvelopeRecipient> recipients)
    {
        CheckAccess("Fork");
        pipeline.RecordFork(Item, recipients, forks);
    }

    public override RoutingOverride GetRoutingOverride(EnvelopeRecipient recipient)
    {
        CheckAccess("GetRoutingOverride");
        return ((SimRecipient)recipient).Override!;
    }

    public override void SetRoutingOverride(EnvelopeRecipient recipient, RoutingOverride routingOverride)
    {
        CheckAccess("SetRoutingOverride");
        CheckInCopy(recipient, "SetRoutingOverride");
        ((SimRecipient)recipient).Override = routingOverride;
    }

    public override string GetTlsDomain(EnvelopeRecipient recipient)
    {
        CheckAccess("GetTlsDomain");
        return ((SimRecipient)recipient).TlsDomain!;
    }

    public override void SetTlsDomain(EnvelopeRecipient recipient, string domain)
    {
        CheckAccess("SetTlsDomain");
        CheckInCopy(recipient, "SetTlsDomain");
        if (string.IsNullOrEmpty(domain) || domain == "*")
        {
            throw new ArgumentException("Invalid TLS domain.", nameof(domain));
        }

        ((SimRecipient)recipient).TlsDomain = domain;
    }

    private void CheckInCopy(EnvelopeRecipient recipient, string what)
    {
        if (!Item.SimRecipients.Items.Contains(recipient))
        {
            var problem = $"{what} on {recipient.Address}, which is not in the current copy";
            pipeline.RecordViolation($"item {Item.Id}: {problem}");
            throw new InvalidOperationException(problem);
        }
    }
}

/// <summary>The asynchronous context: Resume marks the worker thread; Complete must come exactly once.</summary>
internal sealed class SimAsyncContext : AgentAsyncContext
{
    private readonly SimEventSource source;
    private int completions;

    public SimAsyncContext(SimEventSource source)
    {
        this.source = source;
    }

    public ManualResetEventSlim Completed { get; } = new(false);

    public bool IsCompleted => Volatile.Read(ref completions) > 0;

    public override void Resume() => source.MarkResumed();

    public override void Complete()
    {
        if (Interlocked.Increment(ref completions) > 1)
        {
            throw new InvalidOperationException("Complete called twice.");
        }

        Completed.Set();
    }
}
