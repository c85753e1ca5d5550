using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Routing;
using Microsoft.Exchange.Data.Transport.Smtp;

namespace LinkSecure.Exchange.Simulator;

/// <summary>
/// A model of the Exchange categorizer for one routing agent, both as documented and as it may behave instead (tests
/// choose; shared/reference/exchange-transport.md §1–§9):
/// <list type="bullet">
/// <item>each copy passes <c>OnSubmittedMessage</c>, <c>OnResolvedMessage</c> (transport rules at priority 1 first, then
/// the agent), <c>OnRoutedMessage</c>, <c>OnCategorizedMessage</c>, then delivery, where each remaining recipient's
/// outcome is recorded; the agent's subscribed handlers are raised (one agent per pass, or per event:
/// <see cref="AgentLifetime"/>);</item>
/// <item><c>Fork</c>: the first copy continues; the clone, committed at the fork, runs after the first copy finished,
/// at the forking event again or only at the later events (<see cref="ForkMode"/>), with or without the property bags
/// (<see cref="ForkKeepsProperties"/>);</item>
/// <item><c>Defer</c> reverts the item to its committed contents and poisons any later access in the invocation
/// (<see cref="DeferReverts"/>); the item waits on the <see cref="Clock"/> until <see cref="RunUntilSettled"/> brings it back
/// from <c>OnSubmittedMessage</c>;</item>
/// <item><c>Remove</c> with a DSN records an NDR; TNEF until content conversion (<see cref="TnefUntil"/>); faults in
/// Exchange calls (<see cref="Faults"/>); several transport threads (<see cref="SubmitMany"/>);</item>
/// <item>the rules of the asynchronous context (<c>Resume</c> on the worker before any call, <c>Complete</c> exactly
/// once), recorded as <see cref="Violations"/> and thrown at the agent like Exchange would.</item>
/// </list>
/// </summary>
public sealed class TransportPipeline
{
    private readonly RoutingAgentFactory factory;
    private readonly SmtpServer server;
    private readonly object gate = new();
    private readonly List<WaitingItem> waiting = new();
    private readonly List<SubmittedMessage> submissions = new();
    private int agentsCreated;
    private int handlerInvocations;
    private int forkCount;
    private int asyncCount;
    private int deferralCount;
    private int retryCount;
    private int bounceCount;
    private int copyCount;
    private int submittedCount;
    private int escapedExceptionCount;
    private int injectedFaultCount;
    private int refusedRemoveCount;

    /// <summary>Initializes a new instance of the <see cref="TransportPipeline"/> class.</summary>
    /// <param name="factory">The agent's factory.</param>
    /// <param name="server">The server passed to <c>CreateAgent</c>; by default one with the authoritative domain contoso.example.</param>
    public TransportPipeline(RoutingAgentFactory factory, SmtpServer? server = null)
    {
        this.factory = factory ?? throw new ArgumentNullException(nameof(factory));
        this.server = server ?? new SimSmtpServer("contoso.example");
    }

    /// <summary>Gets the transport rules, applied at <c>OnResolvedMessage</c> before the agent.</summary>
    public List<TransportRule> TransportRules { get; } = new();

    /// <summary>Gets or sets which events a fork's clone is raised.</summary>
    public ForkMode ForkMode { get; set; }

    /// <summary>Gets or sets a value indicating whether property bags survive a Fork (unverified on Exchange; test both).</summary>
    public bool ForkKeepsProperties { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether <c>Defer</c> reverts the item to its committed contents and makes any
    /// later access in the invocation throw <see cref="NullReferenceException"/> (documented, API reference aa567106);
    /// <see langword="false"/> only records the deferral.</summary>
    public bool DeferReverts { get; set; } = true;

    /// <summary>Gets or sets until when a TNEF item stays TNEF.</summary>
    public TnefUntil TnefUntil { get; set; }

    /// <summary>Gets or sets the routing domains a Send connector serves (its address spaces); a recipient whose routing
    /// override names another one ends in the Unreachable queue (<see cref="OutcomeKind.Unreachable"/>). <see langword="null"/>
    /// (the default): every override is served.</summary>
    public ISet<string>? ServedRoutingDomains { get; set; }

    /// <summary>Gets or sets how often an agent is created.</summary>
    public AgentLifetime AgentLifetime { get; set; }

    /// <summary>Gets or sets the category reported for mail contacts (<see cref="SimRecipient.IsMailContact"/>); by default
    /// <see cref="RecipientCategory.InSameOrganization"/>, the reading that would make an agent trust them.</summary>
    public RecipientCategory MailContactCategory { get; set; } = RecipientCategory.InSameOrganization;

    /// <summary>Gets or sets the kind <c>DateTimeReceived</c> reports the submission time with: UTC, local, or local
    /// wall-clock time marked unspecified (unverified which Exchange gives).</summary>
    public DateTimeKind ReceivedKind { get; set; } = DateTimeKind.Utc;

    /// <summary>Gets or sets the wall clock: submission times, and deferred items' return.</summary>
    public VirtualClock Clock { get; set; } = new();

    /// <summary>Gets or sets the faults injected into the Exchange calls, or <see langword="null"/> for none.</summary>
    public IFaultPlan? Faults { get; set; }

    /// <summary>Gets or sets how long (real time) an asynchronous invocation may take before <c>Complete</c>.</summary>
    public TimeSpan AsyncTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how many copies the categorizer works on at once in <see cref="SubmitMany"/> (0: no bound). Exchange
    /// bounds it; the number is not documented. An asynchronous copy counts until its pass ends.</summary>
    public int MaxItemsInFlight { get; set; }

    /// <summary>Gets or sets a value indicating whether <see cref="Trace"/> is written (off for long runs).</summary>
    public bool TraceEnabled { get; set; } = true;

    /// <summary>Gets what happened, in order (per copy).</summary>
    public List<string> Trace { get; } = new();

    /// <summary>Gets the rule violations: calls Exchange would refuse, exceptions that escaped the agent.</summary>
    public ConcurrentQueue<string> Violations { get; } = new();

    /// <summary>Gets every recipient outcome (deferred ones are removed when their copy comes back).</summary>
    public List<RecipientOutcome> Outcomes { get; } = new();

    /// <summary>Gets the NDRs.</summary>
    public List<RecipientOutcome> Ndrs
    {
        get
        {
            lock (gate)
            {
                return Outcomes.Where(o => o.Kind == OutcomeKind.Bounced).ToList();
            }
        }
    }

    /// <summary>Gets the messages submitted (not the retries).</summary>
    public IReadOnlyList<SubmittedMessage> Submissions
    {
        get
        {
            lock (gate)
            {
                return submissions.ToList();
            }
        }
    }

    /// <summary>Gets the deferred items still waiting.</summary>
    public IReadOnlyList<SimMailItem> WaitingItems
    {
        get
        {
            lock (gate)
            {
                return waiting.Select(w => w.Item).ToList();
            }
        }
    }

    /// <summary>Gets how many agents were created.</summary>
    public int AgentsCreated => Volatile.Read(ref agentsCreated);

    /// <summary>Gets how many times one of the agent's handlers was raised.</summary>
    public int HandlerInvocations => Volatile.Read(ref handlerInvocations);

    /// <summary>Gets how many forks separated recipients.</summary>
    public int ForkCount => Volatile.Read(ref forkCount);

    /// <summary>Gets how many invocations went asynchronous.</summary>
    public int AsyncCount => Volatile.Read(ref asyncCount);

    /// <summary>Gets how many times <c>Defer</c> was called.</summary>
    public int DeferralCount => Volatile.Read(ref deferralCount);

    /// <summary>Gets how many deferred items came back.</summary>
    public int RetryCount => Volatile.Read(ref retryCount);

    /// <summary>Gets how many NDRs were recorded.</summary>
    public int BounceCount => Volatile.Read(ref bounceCount);

    /// <summary>Gets how many mail items ran: the submitted ones and every fork clone.</summary>
    public int CopyCount => Volatile.Read(ref copyCount);

    /// <summary>Gets how many messages were submitted.</summary>
    public int SubmittedCount => Volatile.Read(ref submittedCount);

    /// <summary>Gets how many exceptions escaped the agent's handlers (each is also a violation).</summary>
    public int EscapedExceptionCount => Volatile.Read(ref escapedExceptionCount);

    /// <summary>Gets how many faults the fault plan injected into Exchange calls.</summary>
    public int InjectedFaultCount => Volatile.Read(ref injectedFaultCount);

    /// <summary>Gets how many removals the fault plan refused.</summary>
    public int RefusedRemoveCount => Volatile.Read(ref refusedRemoveCount);

    /// <summary>Runs one submitted message, every copy forked from it, on this thread (the event thread).</summary>
    /// <param name="item">The message.</param>
    public void Submit(SimMailItem item) => SubmitMany(new[] { item ?? throw new ArgumentNullException(nameof(item)) }, 1);

    /// <summary>Runs messages on several transport threads: an invocation that went asynchronous holds only its own item
    /// (each waits for its <c>Complete</c>, at most <see cref="AsyncTimeout"/>); the others go on. With a parallelism of 1
    /// everything runs on the calling thread, in order.</summary>
    /// <param name="items">The messages.</param>
    /// <param name="parallelism">How many transport threads.</param>
    public void SubmitMany(IEnumerable<SimMailItem> items, int parallelism)
    {
        if (items is null)
        {
            throw new ArgumentNullException(nameof(items));
        }

        var runs = new List<CopyRun>();
        foreach (var item in items)
        {
            item.Pipeline = this;
            item.ReceivedUtc ??= Clock.UtcNow;
            if (TnefUntil == TnefUntil.None && item.IsTnef)
            {
                item.IsContentConverted = true;
            }

            if (Faults is not null)
            {
                item.ReparseMessage();
            }

            // The commit point of a submitted item: what Defer reverts to.
            item.Commit();
            var submitted = new SubmittedMessage(item, item.SimRecipients.Items.Select(r => r.Address.ToString()).ToList(), item.Mime);
            lock (gate)
            {
                submissions.Add(submitted);
            }

            Interlocked.Increment(ref submittedCount);
            Interlocked.Increment(ref copyCount);
            runs.Add(new CopyRun(item, CategorizerEvent.Submitted, reentry: false));
        }

        new PipelineScheduler(this, parallelism).Run(runs);
    }

    /// <summary>Brings one deferred item back now, from <c>OnSubmittedMessage</c> (on this thread).</summary>
    /// <param name="item">The deferred item.</param>
    public void Retry(SimMailItem item)
    {
        if (item is null)
        {
            throw new ArgumentNullException(nameof(item));
        }

        lock (gate)
        {
            waiting.RemoveAll(w => ReferenceEquals(w.Item, item));
            Outcomes.RemoveAll(o => o.Kind == OutcomeKind.Deferred && ReferenceEquals(o.Item, item));
            item.Deferred = null;
        }

        Resubmit(new[] { item }, 1);
    }

    /// <summary>Brings deferred items back until none waits or <paramref name="maxRounds"/> rounds ran: each round moves
    /// the clock to the earliest due item and resubmits every item due by then, from <c>OnSubmittedMessage</c>. Items
    /// still waiting afterwards keep their deferred outcome.</summary>
    /// <param name="maxRounds">How many rounds at most.</param>
    /// <param name="parallelism">How many transport threads per round.</param>
    /// <returns><see langword="true"/> when no item waits any more.</returns>
    public bool RunUntilSettled(int maxRounds, int parallelism = 1)
    {
        for (var round = 0; round < maxRounds; round++)
        {
            List<SimMailItem> due;
            lock (gate)
            {
                if (waiting.Count == 0)
                {
                    return true;
                }

                Clock.AdvanceTo(waiting.Min(w => w.Due));
                var now = Clock.UtcNow;
                due = waiting.Where(w => w.Due <= now).Select(w => w.Item).ToList();
                waiting.RemoveAll(w => w.Due <= now);
                var back = new HashSet<SimMailItem>(due);
                Outcomes.RemoveAll(o => o.Kind == OutcomeKind.Deferred && back.Contains(o.Item));
                foreach (var item in due)
                {
                    item.Deferred = null;
                }
            }

            Resubmit(due, parallelism);
        }

        lock (gate)
        {
            return waiting.Count == 0;
        }
    }

    /// <summary>Tells whether an agent subscribed a handler to an event.</summary>
    /// <param name="agent">The agent.</param>
    /// <param name="categorizerEvent">The event.</param>
    /// <returns><see langword="true"/> when a handler is subscribed.</returns>
    public static bool HasHandler(RoutingAgent agent, CategorizerEvent categorizerEvent) =>
        FacadeAccess.HasHandler(agent ?? throw new ArgumentNullException(nameof(agent)), categorizerEvent);

    /// <summary>Raises one event of an agent for an item, outside the categorizer's flow (the event's rules apply; a fork
    /// clone is dropped; an asynchronous handler is waited for, at most <see cref="AsyncTimeout"/>).</summary>
    /// <param name="agent">The agent.</param>
    /// <param name="categorizerEvent">The event (<see cref="CategorizerEvent.Submitted"/>, <see cref="CategorizerEvent.Resolved"/>,
    /// <see cref="CategorizerEvent.Routed"/> or <see cref="CategorizerEvent.Categorized"/>).</param>
    /// <param name="item">The mail item.</param>
    /// <param name="withArguments"><see langword="false"/> to raise the handler with <see langword="null"/> event arguments.</param>
    public void RaiseEvent(RoutingAgent agent, CategorizerEvent categorizerEvent, SimMailItem item, bool withArguments = true)
    {
        if (agent is null)
        {
            throw new ArgumentNullException(nameof(agent));
        }

        if (item is null)
        {
            throw new ArgumentNullException(nameof(item));
        }

        item.Pipeline = this;
        var invocation = new EventInvocation(this, item, categorizerEvent, agent);
        FacadeAccess.SetAsyncContextProvider(agent, invocation.GoAsync);
        item.ActiveInvocation = invocation;
        invocation.HandlerStarting();
        try
        {
            FacadeAccess.Raise(agent, categorizerEvent, invocation.Source, withArguments ? new SimEventArgs(item) : null!);
        }
        catch (Exception ex)
        {
            Interlocked.Increment(ref escapedExceptionCount);
            RecordViolation($"item {item.Id}: exception escaped the agent's {EventName(categorizerEvent)} handler: {ex}");
        }
        finally
        {
            invocation.HandlerReturned();
        }

        if (invocation.Context is { } context)
        {
            using var completed = new ManualResetEventSlim(false);
            context.OnCompleted(completed.Set);
            if (!completed.Wait(AsyncTimeout))
            {
                RecordViolation($"item {item.Id}: went async and never called Complete (within {AsyncTimeout})");
            }
        }

        if (item.Deferred is null)
        {
            item.PersistHeaderEdits();
        }

        invocation.Close();
        FacadeAccess.SetAsyncContextProvider(agent, null);
        item.ActiveInvocation = null;
        item.LastInvocation = invocation;
    }

    /// <summary>
    /// Measures what an agent's handler allocates for one event on one item: the invocation and its arguments are built
    /// once, then the handler is raised <paramref name="repetitions"/> times on the calling thread (for a handler that
    /// returns without going asynchronous, such as the untagged path). Uses the runtime's per-thread allocation counter
    /// (<c>GC.GetAllocatedBytesForCurrentThread</c>, public on Mono and .NET; looked up by reflection because the .NET
    /// Framework 4.8 reference does not declare it).
    /// </summary>
    /// <param name="agent">The agent.</param>
    /// <param name="categorizerEvent">The event.</param>
    /// <param name="item">The item.</param>
    /// <param name="repetitions">How many times to raise the event.</param>
    /// <returns>Bytes allocated per event, or <see langword="null"/> when the runtime has no per-thread counter.</returns>
    public double? MeasureHandlerAllocations(RoutingAgent agent, CategorizerEvent categorizerEvent, SimMailItem item, int repetitions)
    {
        var counter = typeof(GC).GetMethod("GetAllocatedBytesForCurrentThread", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public);
        if (counter is null || agent is null || item is null || repetitions <= 0)
        {
            return null;
        }

        var read = (Func<long>)Delegate.CreateDelegate(typeof(Func<long>), counter);
        item.Pipeline = this;
        var invocation = new EventInvocation(this, item, categorizerEvent, agent);
        var args = new SimEventArgs(item);
        FacadeAccess.SetAsyncContextProvider(agent, invocation.GoAsync);
        item.ActiveInvocation = invocation;
        invocation.HandlerStarting();
        try
        {
            FacadeAccess.Raise(agent, categorizerEvent, invocation.Source, args);
            var before = read();
            for (var i = 0; i < repetitions; i++)
            {
                FacadeAccess.Raise(agent, categorizerEvent, invocation.Source, args);
            }

            return (read() - before) / (double)repetitions;
        }
        finally
        {
            invocation.HandlerReturned();
            invocation.Close();
            FacadeAccess.SetAsyncContextProvider(agent, null);
            item.ActiveInvocation = null;
        }
    }

    /// <summary>Forgets the outcomes, submissions, trace and waiting items (not the violations or counters), between batches.</summary>
    public void ClearResults()
    {
        lock (gate)
        {
            Outcomes.Clear();
            submissions.Clear();
            waiting.Clear();
            Trace.Clear();
        }
    }

    /// <summary>A copy of the outcomes.</summary>
    /// <returns>The outcomes.</returns>
    public IReadOnlyList<RecipientOutcome> SnapshotOutcomes()
    {
        lock (gate)
        {
            return Outcomes.ToList();
        }
    }

    internal static string EventName(CategorizerEvent categorizerEvent) => categorizerEvent switch
    {
        CategorizerEvent.Submitted => "OnSubmittedMessage",
        CategorizerEvent.Resolved => "OnResolvedMessage",
        CategorizerEvent.Routed => "OnRoutedMessage",
        CategorizerEvent.Categorized => "OnCategorizedMessage",
        _ => "delivery",
    };

    internal void RecordViolation(string text) => Violations.Enqueue(text);

    internal void AddTrace(string line)
    {
        if (!TraceEnabled)
        {
            return;
        }

        lock (gate)
        {
            Trace.Add(line);
        }
    }

    internal void CountAsync() => Interlocked.Increment(ref asyncCount);

    internal void CountInjectedFault(SimMailItem item, ExchangeCall call)
    {
        Interlocked.Increment(ref injectedFaultCount);
        AddTrace($"item {item.Id}: injected fault in {call}");
    }

    internal bool RefusesRemove(SimMailItem item, EnvelopeRecipient recipient)
    {
        if (Faults?.RefusesRemove(item, recipient) != true)
        {
            return false;
        }

        Interlocked.Increment(ref refusedRemoveCount);
        AddTrace($"item {item.Id}: Remove of {recipient.Address} refused (returns false)");
        return true;
    }

    internal bool IsMalformed(SimMailItem item, string headerName) => Faults?.IsMalformed(item, headerName) == true;

    internal void RecordNdr(SimMailItem item, SimRecipient recipient, DsnType dsnType, SmtpResponse response)
    {
        if (dsnType != DsnType.Failure)
        {
            RecordViolation($"item {item.Id}: Remove with DsnType {dsnType} for {recipient.Address}");
        }

        Interlocked.Increment(ref bounceCount);
        lock (gate)
        {
            Outcomes.Add(new RecipientOutcome(recipient.Address.ToString(), OutcomeKind.Bounced, item) { Response = response });
        }
    }

    internal void RecordFork(EventInvocation invocation, SimMailItem clone)
    {
        Interlocked.Increment(ref forkCount);
        Interlocked.Increment(ref copyCount);
        AddTrace($"item {invocation.Item.Id}: Fork -> item {clone.Id} ({clone.SimRecipients.Items.Count} recipients)");
        if (ForkMode == ForkMode.LaterEventsOnly && invocation.Event == CategorizerEvent.Categorized)
        {
            RecordViolation($"item {invocation.Item.Id}: fork at OnCategorizedMessage: the clone gets no event (item {clone.Id} goes straight to delivery)");
        }
    }

    internal void RecordDefer(EventInvocation invocation, DeferRecord record)
    {
        Interlocked.Increment(ref deferralCount);
        var item = invocation.Item;
        item.Deferred = record;
        AddTrace($"item {item.Id}: Defer {record.Wait} at {invocation.EventName}");
        if (DeferReverts)
        {
            item.Revert();
        }
    }

    /// <summary>Runs a copy's events until it goes asynchronous (the scheduler calls again on <c>Complete</c>) or its pass ends.</summary>
    internal void Step(CopyRun run, PipelineScheduler scheduler)
    {
        if (run.Pending is { } pending)
        {
            run.Pending = null;
            if (EndEvent(run, pending))
            {
                Finish(run, scheduler);
                return;
            }

            run.Advance();
        }

        while (run.Next != CategorizerEvent.Delivery)
        {
            var invocation = RunEvent(run);
            if (invocation?.Context is { } context)
            {
                run.Pending = invocation;
                scheduler.AwaitCompletion(run, context);
                return;
            }

            if (EndEvent(run, invocation))
            {
                Finish(run, scheduler);
                return;
            }

            run.Advance();
        }

        Deliver(run.Item);
        Finish(run, scheduler);
    }

    private void Resubmit(IReadOnlyCollection<SimMailItem> items, int parallelism)
    {
        Interlocked.Add(ref retryCount, items.Count);
        new PipelineScheduler(this, parallelism).Run(items.Select(i => new CopyRun(i, CategorizerEvent.Submitted, reentry: false)).ToList());
    }

    private EventInvocation? RunEvent(CopyRun run)
    {
        var item = run.Item;
        switch (run.Next)
        {
            case CategorizerEvent.Resolved when !run.Reentry:
                AddTrace($"item {item.Id}: OnResolvedMessage TransportRule (priority 1)");
                ApplyTransportRules(item);
                break;
            case CategorizerEvent.Categorized when TnefUntil == TnefUntil.Routed && item.IsTnef && !item.IsContentConverted:
                item.ConvertContent();
                AddTrace($"item {item.Id}: content conversion (TNEF to MIME)");
                break;
        }

        return RaiseAgent(run);
    }

    private EventInvocation? RaiseAgent(CopyRun run)
    {
        var item = run.Item;
        var name = EventName(run.Next);
        if (run.Agent is null || AgentLifetime == AgentLifetime.PerEventInvocation)
        {
            run.Agent = CreateAgent(item);
        }

        if (run.Agent is not { } agent || !FacadeAccess.HasHandler(agent, run.Next))
        {
            AddTrace($"item {item.Id}: {name}");
            return null;
        }

        AddTrace($"item {item.Id}: {name} LinkSecure" + (run.Reentry ? " (fork clone, re-entry)" : string.Empty));
        Interlocked.Increment(ref handlerInvocations);
        var invocation = new EventInvocation(this, item, run.Next, agent);
        FacadeAccess.SetAsyncContextProvider(agent, invocation.GoAsync);
        item.ActiveInvocation = invocation;
        invocation.HandlerStarting();
        try
        {
            FacadeAccess.Raise(agent, run.Next, invocation.Source, new SimEventArgs(item));
        }
        catch (Exception ex)
        {
            Interlocked.Increment(ref escapedExceptionCount);
            RecordViolation($"item {item.Id}: exception escaped the agent's {name} handler: {ex}");
        }
        finally
        {
            invocation.HandlerReturned();
        }

        return invocation;
    }

    private RoutingAgent? CreateAgent(SimMailItem item)
    {
        try
        {
            var agent = factory.CreateAgent(server);
            Interlocked.Increment(ref agentsCreated);
            return agent;
        }
        catch (Exception ex)
        {
            Interlocked.Increment(ref escapedExceptionCount);
            RecordViolation($"item {item.Id}: CreateAgent threw: {ex}");
            return null;
        }
    }

    /// <summary>Closes the event for the copy; tells whether its pass ends here (deferred, or no recipient left).</summary>
    private bool EndEvent(CopyRun run, EventInvocation? invocation)
    {
        var item = run.Item;
        if (invocation is not null)
        {
            // Exchange keeps what an agent changed in the header DOM (unless a Defer reverted the item).
            if (item.Deferred is null)
            {
                item.PersistHeaderEdits();
            }

            invocation.Close();
            FacadeAccess.SetAsyncContextProvider(invocation.Agent, null);
            item.ActiveInvocation = null;
            item.LastInvocation = invocation;
            foreach (var clone in invocation.Forks)
            {
                // API reference, Fork (aa563120): the clone runs after the first copy finished; which event it gets is the mode.
                run.Forks.Add(ForkMode == ForkMode.ReentersSameEvent
                    ? new CopyRun(clone, invocation.Event, reentry: true)
                    : new CopyRun(clone, invocation.Event + 1, reentry: false));
            }
        }

        if (item.Deferred is { } deferred)
        {
            lock (gate)
            {
                foreach (var r in item.SimRecipients.Items)
                {
                    Outcomes.Add(new RecipientOutcome(r.Address.ToString(), OutcomeKind.Deferred, item) { Response = deferred.Response, DeferFor = deferred.Wait });
                }

                waiting.Add(new WaitingItem(item, Clock.UtcNow + deferred.Wait));
            }

            return true;
        }

        if (item.SimRecipients.Items.Count == 0)
        {
            AddTrace($"item {item.Id}: no recipient left after {EventName(run.Next)}");
            return true;
        }

        return false;
    }

    private void Deliver(SimMailItem item)
    {
        AddTrace($"item {item.Id}: delivery ({item.SimRecipients.Items.Count} recipients)");
        lock (gate)
        {
            foreach (var r in item.SimRecipients.Items)
            {
                var served = ServedRoutingDomains is not { } names || r.Override is not { } route || names.Contains(route.RoutingDomain.Domain);
                Outcomes.Add(new RecipientOutcome(r.Address.ToString(), served ? OutcomeKind.Delivered : OutcomeKind.Unreachable, item) { Override = r.Override, TlsDomain = r.TlsDomain, Mime = item.Mime });
            }
        }
    }

    private static void Finish(CopyRun run, PipelineScheduler scheduler)
    {
        foreach (var fork in run.Forks)
        {
            scheduler.Schedule(fork);
        }

        scheduler.Done();
    }

    private void ApplyTransportRules(SimMailItem item)
    {
        foreach (var rule in TransportRules)
        {
            if (rule.Condition(item))
            {
                // -SetHeaderName/-SetHeaderValue "adds or modifies a header field".
                item.ReplaceMime(HeaderBlock.SetHeader(item.Mime, rule.HeaderName, rule.HeaderValue));
            }
        }
    }

    private sealed class WaitingItem
    {
        public WaitingItem(SimMailItem item, DateTimeOffset due)
        {
            Item = item;
            Due = due;
        }

        public SimMailItem Item { get; }

        public DateTimeOffset Due { get; }
    }
}
