using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Downgrade;
using LinkSecure.Core.Handling;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;
using LinkSecure.Exchange.Logging;
using LinkSecure.Exchange.Runtime;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Email;
using Microsoft.Exchange.Data.Transport.Routing;

namespace LinkSecure.Exchange.Pipeline;

/// <summary>
/// The agent's three event handlers: the Exchange calls around the core's <see cref="MessageHandler"/> (docs/agent.md).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>OnResolvedMessage</c> decides every undecided recipient (lookups without a blocking wait), sets the secure
/// routes, marks the downgrade recipients, forks the recipients to defer into an untouched copy and the downgrade
/// recipients into a copy of their own, and bounces last.</item>
/// <item><c>OnRoutedMessage</c> is the backstop: whichever event Exchange raises for a forked copy, a tagged copy
/// holding a recipient without an applied decision is deferred untouched (or forked off when other recipients are
/// done), so categorisation decides afresh — never passed.</item>
/// <item><c>OnCategorizedMessage</c>, after content conversion (the first event where Outlook's and OWA's TNEF is
/// MIME), rewrites a downgrade copy off the transport thread within <c>agent.rewriteBudgetMilliseconds</c>, and applies
/// the backstop once more without forking (a clone forked here would get no further event).</item>
/// </list>
/// <para>Never throws. An internal error on a tagged copy defers it when nothing was changed in the invocation (up to
/// <c>defer.maxDeferMinutes</c>, then the core's fail-safe bounce), and otherwise holds or bounces the recipients that
/// are not done.</para>
/// </remarks>
internal sealed class MessageProcessor
{
    /// <summary>Messages larger than this are not buffered for a rewrite; they bounce instead.</summary>
    internal const long MaxRewriteBytes = 64L * 1024 * 1024;

    private readonly AgentRuntime runtime;
    private readonly SmtpServer? server;
    private InternalRecipients? internals;

    /// <summary>Creates a processor for one agent instance.</summary>
    /// <param name="runtime">The shared runtime.</param>
    /// <param name="server">The server, for accepted domains; may be <see langword="null"/>.</param>
    public MessageProcessor(AgentRuntime runtime, SmtpServer? server)
    {
        this.runtime = runtime;
        this.server = server;
    }

    private DateTimeOffset Now => runtime.Time.GetUtcNow();

    // Built on the first tagged message only: untagged mail allocates nothing in the handlers.
    private InternalRecipients Internals => internals ??= new InternalRecipients(server, runtime.Log);

    /// <summary>Handles <c>OnResolvedMessage</c>. Never throws.</summary>
    /// <param name="source">The event source.</param>
    /// <param name="mailItem">The mail item.</param>
    /// <param name="goAsync">Gets the agent's asynchronous context.</param>
    public void OnResolved(ResolvedMessageEventSource source, MailItem mailItem, Func<AgentAsyncContext> goAsync)
    {
        CopyWork? work = null;
        try
        {
            work = Begin("OnResolvedMessage", source, mailItem);
            if (work is null)
            {
                return;
            }

            var now = Now;
            var recipients = mailItem.Recipients;
            for (var i = 0; i < recipients.Count; i++)
            {
                var recipient = recipients[i];
                var mark = RecipientMarks.Read(recipient, now);
                if (mark.Kind == MarkKind.None || !mark.IsFresh)
                {
                    // Unmarked, or marked in an earlier pass (a mark that outlived a Defer): decide afresh.
                    work.Undecided.Add(new KeyValuePair<EnvelopeRecipient, MessageRecipient>(recipient, new MessageRecipient(recipient.Address.ToString(), Internals.HostSaysInternal(recipient))));
                }
            }

            var messages = work.State.Stack.Messages;
            var missing = messages.FindMissingProfiles(work.Request, Inputs(work));
            if (missing.Count == 0)
            {
                DecideAndApply(work, null, goAsync);
                return;
            }

            StartLookups(work, missing, goAsync());
        }
#pragma warning disable CA1031 // Never throw into Exchange.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            FailSafeOrRawLook(work, source, mailItem, "OnResolvedMessage", ex);
        }
    }

    /// <summary>Handles <c>OnRoutedMessage</c>: the backstop for copies <c>OnResolvedMessage</c> did not finish. Never throws.</summary>
    /// <param name="source">The event source.</param>
    /// <param name="mailItem">The mail item.</param>
    public void OnRouted(QueuedMessageEventSource source, MailItem mailItem)
    {
        CopyWork? work = null;
        try
        {
            work = Begin("OnRoutedMessage", source, mailItem);
            if (work is not null)
            {
                Backstop(work, mayFork: true, out _);
            }
        }
#pragma warning disable CA1031 // Never throw into Exchange.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            FailSafeOrRawLook(work, source, mailItem, "OnRoutedMessage", ex);
        }
    }

    /// <summary>Handles <c>OnCategorizedMessage</c>: the backstop once more, then the rewrite of a downgrade copy. Never throws.</summary>
    /// <param name="source">The event source.</param>
    /// <param name="mailItem">The mail item.</param>
    /// <param name="goAsync">Gets the agent's asynchronous context.</param>
    public void OnCategorized(QueuedMessageEventSource source, MailItem mailItem, Func<AgentAsyncContext> goAsync)
    {
        CopyWork? work = null;
        try
        {
            work = Begin("OnCategorizedMessage", source, mailItem);
            if (work is null || !Backstop(work, mayFork: false, out var downgrade) || downgrade.Count == 0)
            {
                return;
            }

            // The rewrite reads and writes up to 64 MiB: never on the transport thread.
            StartRewrite(work, downgrade, goAsync());
        }
#pragma warning disable CA1031 // Never throw into Exchange.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            FailSafeOrRawLook(work, source, mailItem, "OnCategorizedMessage", ex);
        }
    }

    /// <summary>Reads what every handler needs; <see langword="null"/> when the copy is none of the agent's business
    /// (no recipients, a system message, a rewritten copy, untagged mail). No allocation for untagged mail.</summary>
    private CopyWork? Begin(string eventName, QueuedMessageEventSource source, MailItem mailItem)
    {
        if (source is null || mailItem is null)
        {
            return null;
        }

        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        var message = mailItem.Message;
        if (message is null || message.IsSystemMessage)
        {
            // NDRs and other system messages are read-only.
            return null;
        }

        var scan = MessageHeaders.Scan(message);
        if (scan.IsDowngradedCopy || RecipientMarks.IsDowngraded(mailItem))
        {
            // A rewritten copy (here or on an earlier hop) is never decided again.
            return null;
        }

        var state = runtime.Current;
        if (scan.Unreadable is null && !state.Stack.Messages.NeedsProfiles(scan.Request))
        {
            if (eventName == "OnResolvedMessage")
            {
                runtime.Log.Untagged(message.MessageId, mailItem.Recipients?.Count ?? 0, (System.Diagnostics.Stopwatch.GetTimestamp() - start) * 1_000_000 / System.Diagnostics.Stopwatch.Frequency);
            }

            return null;
        }

        if (mailItem.Recipients is not { Count: > 0 })
        {
            // Another agent removed every recipient; nothing to do.
            return null;
        }

        var work = new CopyWork(eventName, source, mailItem, state, scan.Request, message.MessageId)
        {
            ChangedEarlier = eventName != "OnResolvedMessage" && RecipientMarks.WasChanged(mailItem, Now),
        };
        if (scan.Unreadable is not null)
        {
            throw new FormatException(scan.Unreadable);
        }

        return work;
    }

    /// <summary>No thread waits: the lookups run on the pool; the continuation resumes the context, decides and completes.
    /// (A method of its own: a lambda in the handler would allocate its closure for untagged mail too.)</summary>
    private void StartLookups(CopyWork work, IReadOnlyList<string> missing, AgentAsyncContext context)
    {
        try
        {
            var lookups = work.State.Stack.Messages.LookupAsync(missing, work.State.Settings.Agent.LookupBudget);
            _ = lookups.ContinueWith(t => ContinueResolved(work, t, context), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
#pragma warning disable CA1031 // Nothing was scheduled: apply the fail-safe here, then give the context back.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            FailSafe(work, ex);
            CompleteSafely(context);
        }
    }

    /// <summary>Runs the rewrite on the pool with the context; if it cannot be scheduled, the fail-safe here.</summary>
    private void StartRewrite(CopyWork work, List<EnvelopeRecipient> downgrade, AgentAsyncContext context)
    {
        try
        {
            _ = Task.Run(() => RunRewrite(work, downgrade, context));
        }
#pragma warning disable CA1031 // Nothing was scheduled: apply the fail-safe here, then give the context back.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            FailSafe(work, ex);
            CompleteSafely(context);
        }
    }

    private void ContinueResolved(CopyWork work, Task<IReadOnlyDictionary<string, DomainProfile>> lookups, AgentAsyncContext context)
    {
        try
        {
            // First statement on the worker thread (AgentAsyncContext.Resume, API reference dd877389).
            context.Resume();
            DecideAndApply(work, lookups.Status == TaskStatus.RanToCompletion ? lookups.Result : null, null);
        }
#pragma warning disable CA1031 // An exception on a pool thread would kill EdgeTransport.exe.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            FailSafe(work, ex);
        }
        finally
        {
            // Always, once, last (also after a Fork).
            CompleteSafely(context);
        }
    }

    /// <summary>Decides (going asynchronous once when a cached profile expired in between), then changes the copy in an
    /// order that never needs a deferral after a change: routes and
    /// marks, then the forks (the recipients to defer leave untouched), then the bounces.</summary>
    private void DecideAndApply(CopyWork work, IReadOnlyDictionary<string, DomainProfile>? fetched, Func<AgentAsyncContext>? goAsync)
    {
        var source = (ResolvedMessageEventSource)work.Source;
        var now = Now;
        var age = Age(work);
        var decision = work.State.Stack.Messages.Decide(work.Request, Inputs(work), fetched, age);
        if (decision.Unresolved.Count > 0 && goAsync is not null)
        {
            // A profile cached a moment ago expired before the decision (review T3-9): look it up rather than defer.
            StartLookups(work, decision.Unresolved, goAsync());
            return;
        }

        var undecided = new HashSet<EnvelopeRecipient>();
        foreach (var pair in work.Undecided)
        {
            undecided.Add(pair.Key);
        }

        var done = new List<EnvelopeRecipient>();
        var downgrade = new List<EnvelopeRecipient>();
        var bounce = new List<KeyValuePair<EnvelopeRecipient, SmtpReply>>();
        var defer = new List<EnvelopeRecipient>();
        var recipients = work.MailItem.Recipients;
        for (var i = 0; i < recipients.Count; i++)
        {
            // Recipients marked earlier in this pass (a re-entered fork): re-apply the route, keep the treatment.
            var recipient = recipients[i];
            if (undecided.Contains(recipient))
            {
                continue;
            }

            var mark = RecipientMarks.Read(recipient, now);
            if (mark.Kind == MarkKind.Downgrade)
            {
                downgrade.Add(recipient);
            }
            else if (mark.Kind == MarkKind.SecureApplied && mark.RoutingDomain is not null)
            {
                // Only the smart-host route queues by its own domain, and only it has a configured type.
                SetRoute(source, recipient, mark.RoutingDomain, mark.UseOverrideQueue ? work.State.Settings.Routing.SmartHostAddressSpaceType : RoutingSettings.SmtpAddressSpaceType, mark.UseOverrideQueue, mark.TlsDomain);
                done.Add(recipient);
            }
            else if (mark.Kind is MarkKind.PassApplied or MarkKind.Held)
            {
                done.Add(recipient);
            }
            else
            {
                defer.Add(recipient);
            }
        }

        foreach (var verdict in decision.Recipients)
        {
            var recipient = work.Undecided[verdict.Index].Key;
            LogDecision(work, verdict.Decision);
            try
            {
                switch (verdict.Treatment)
                {
                    case Treatment.Secure:
                        var route = verdict.Decision.Route ?? throw new InvalidOperationException("A secure decision has no route.");
                        // A smart-host route (the relay) queues by its own domain; the connectors by the recipient's.
                        var useOverrideQueue = route.Kind == SecureRouteKind.SmartHost;
                        SetRoute(source, recipient, route.RoutingDomain, route.RoutingDomainType, useOverrideQueue, route.TlsDomain);
                        RecipientMarks.Set(recipient, MarkKind.SecureApplied, now, route.RoutingDomain, useOverrideQueue, route.TlsDomain);
                        done.Add(recipient);
                        break;
                    case Treatment.Pass:
                        RecipientMarks.Set(recipient, MarkKind.PassApplied, now);
                        done.Add(recipient);
                        break;
                    case Treatment.Downgrade:
                        RecipientMarks.Set(recipient, MarkKind.Downgrade, now, reply: verdict.Reply);
                        downgrade.Add(recipient);
                        break;
                    case Treatment.Bounce:
                        bounce.Add(new KeyValuePair<EnvelopeRecipient, SmtpReply>(recipient, verdict.Reply!));
                        break;
                    default:
                        defer.Add(recipient);
                        break;
                }
            }
#pragma warning disable CA1031 // One recipient's failure (SetTlsDomain refusing a value, a bag refusing a mark) must not fail the others.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                runtime.Log.Error(Describe(work, "applying the decision for " + verdict.Address + " failed; it is re-decided later"), ex);
                ClearRoute(source, recipient);
                var failSafe = work.State.Stack.Messages.FailSafe(work.Request, new[] { work.Undecided[verdict.Index].Value }, age, "the decision could not be applied");
                if (failSafe.Bounce.Count > 0)
                {
                    bounce.Add(new KeyValuePair<EnvelopeRecipient, SmtpReply>(recipient, failSafe.Bounce[0].Reply!));
                }
                else
                {
                    defer.Add(recipient);
                }
            }
        }

        if (defer.Count > 0)
        {
            if (done.Count + downgrade.Count + bounce.Count == 0)
            {
                // Only recipients to defer, and nothing changed but marks and routes a retry sets again: defer as is.
                DeferCopy(work, decision.RetryAfter, decision.DeferReply ?? SmtpReply.InternalErrorDeferral("the decision could not be applied"));
                return;
            }

            // The recipients to defer leave in an untouched copy (deferred on whichever event it meets us next).
            Fork(work, Concat(done, downgrade, bounce));
        }

        if (downgrade.Count > 0 && done.Count + bounce.Count > 0)
        {
            // The downgrade recipients get a copy of their own, rewritten on OnCategorizedMessage.
            Fork(work, Concat(done, null, bounce));
        }

        if (work.Forked || bounce.Count > 0)
        {
            // After the forks (the clones do not carry it), before the removals: no later event defers this copy.
            RecipientMarks.SetChanged(work.MailItem, now);
        }

        foreach (var pair in bounce)
        {
            Bounce(work, pair.Key, pair.Value);
        }
    }

    /// <summary>The backstop on the later events. Returns <see langword="false"/> when it deferred or forked the copy
    /// (nothing more to do in this invocation); <paramref name="downgrade"/> lists the recipients awaiting the rewrite.</summary>
    private bool Backstop(CopyWork work, bool mayFork, out List<EnvelopeRecipient> downgrade)
    {
        var now = Now;
        var recipients = work.MailItem.Recipients;
        var done = new List<EnvelopeRecipient>();
        var open = new List<EnvelopeRecipient>();
        downgrade = new List<EnvelopeRecipient>();
        for (var i = 0; i < recipients.Count; i++)
        {
            var recipient = recipients[i];
            switch (RecipientMarks.Read(recipient, now).Kind)
            {
                case MarkKind.PassApplied:
                case MarkKind.SecureApplied:
                case MarkKind.Held:
                    done.Add(recipient);
                    break;
                case MarkKind.Downgrade:
                    downgrade.Add(recipient);
                    break;
                default:
                    if (Internals.IsInternal(work.State.Settings, recipient))
                    {
                        done.Add(recipient);
                    }
                    else
                    {
                        open.Add(recipient);
                    }

                    break;
            }
        }

        if (open.Count == 0)
        {
            return true;
        }

        var failSafe = work.State.Stack.Messages.FailSafe(work.Request, Inputs(open), Age(work), "re-deciding a copy not handled on OnResolvedMessage");
        if (failSafe.Defer.Count == 0 && failSafe.Bounce.Count == 0)
        {
            // Nothing is enforced for these recipients (untagged mail under enforceForAllMail): as on OnResolvedMessage.
            return true;
        }

        runtime.Log.Info(Describe(work, string.Format(CultureInfo.InvariantCulture, "{0} recipient(s) without an applied decision (a forked copy, or recipients added after OnResolvedMessage)", open.Count)));
        if (done.Count + downgrade.Count == 0 && work.MayDefer)
        {
            // Untouched in this pass: defer, and categorisation decides afresh on the retry.
            if (failSafe.Defer.Count > 0)
            {
                DeferCopy(work, failSafe.RetryAfter, failSafe.DeferReply!);
                return false;
            }
        }
        else if (mayFork && done.Count + downgrade.Count > 0)
        {
            // Others are done: the open recipients leave in an untouched copy, which meets this backstop again.
            Fork(work, Concat(done, downgrade, null));
            return false;
        }

        // No fork here (a clone forked on the last event gets no further event) and no deferral (the copy may be a
        // first copy after a fork): the open recipients bounce.
        foreach (var verdict in failSafe.Recipients)
        {
            if (verdict.Treatment != Treatment.Pass)
            {
                Bounce(work, open[verdict.Index], verdict.Treatment == Treatment.Bounce ? verdict.Reply! : SmtpReply.InternalErrorBounce(verdict.Address, "the recipient could not be handled safely"));
            }
        }

        return true;
    }

    private void RunRewrite(CopyWork work, List<EnvelopeRecipient> downgrade, AgentAsyncContext context)
    {
        try
        {
            context.Resume();
            Rewrite(work, downgrade);
        }
#pragma warning disable CA1031 // An exception on a pool thread would kill EdgeTransport.exe.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            FailSafe(work, ex);
        }
        finally
        {
            CompleteSafely(context);
        }
    }

    private void Rewrite(CopyWork work, List<EnvelopeRecipient> downgrade)
    {
        var mailItem = work.MailItem;
        var failure = DowngradeFailure.TooLarge;
        string? detail = "the message is larger than " + (MaxRewriteBytes / (1024 * 1024)) + " MiB";
        if (mailItem.MimeStreamLength <= MaxRewriteBytes)
        {
            var settings = work.State.Settings;
            var isTnef = mailItem.Message?.TnefPart is not null;
            var reason = MessageDecision.DowngradeReasonFor(work.Request);
            using var buffer = new System.IO.MemoryStream();
            DowngradedCopy.WriteTop(buffer, work.Request.Level, contained: false, MessageHeaders.OrganizationFields(mailItem.Message));
            using var budget = new CancellationTokenSource(settings.Agent.RewriteBudget);
            bool written;
            using (var read = mailItem.GetMimeReadStream())
            {
                // Still TNEF after content conversion: no MIME part can carry the safe-part marker, so only the
                // administrator's notice can be written (the rewriter falls back to it when it finds no safe part).
                written = runtime.Rewriter.Rewrite(read, buffer, settings, reason, out failure, out detail, budget.Token) == LinkSecure.Exchange.Downgrade.DowngradeOutcome.Rewritten;
            }

            if (written)
            {
                // Build the whole message first and write it once (Pro/dkim-exchange: a Write after Flush throws).
                using (var write = mailItem.GetMimeWriteStream())
                {
                    write.Write(buffer.GetBuffer(), 0, checked((int)buffer.Length));
                }

                work.Rewritten = true;
                RecipientMarks.SetDowngraded(mailItem);
                runtime.Log.Info(Describe(work, string.Format(CultureInfo.InvariantCulture, "downgraded copy written for {0} recipient(s){1}", downgrade.Count, isTnef ? " (TNEF content: the notice)" : string.Empty)));
                return;
            }

            if (isTnef && failure == DowngradeFailure.NoSafePart)
            {
                failure = DowngradeFailure.NotMime;
            }
        }

        foreach (var recipient in downgrade)
        {
            var mark = RecipientMarks.Read(recipient, Now);
            Bounce(work, recipient, SmtpReply.DowngradeImpossible(recipient.Address.ToString(), mark.ReplyCode, mark.EnhancedCode, mark.Reason, failure, detail));
        }
    }

    private void Bounce(CopyWork work, EnvelopeRecipient recipient, SmtpReply reply)
    {
        var removed = false;
        try
        {
            removed = work.MailItem.Recipients.Remove(recipient, DsnType.Failure, ExchangeResponses.From(reply));
        }
#pragma warning disable CA1031 // Handled below like a Remove that returned false.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            runtime.Log.Error(Describe(work, "Remove failed for " + recipient.Address), ex);
        }

        if (removed)
        {
            work.Removed = true;
            runtime.Log.Info(Describe(work, "bounced " + recipient.Address + " " + reply.EnhancedCode));
            return;
        }

        // The recipient is still in the copy and must not get the content: hold it (OnResolvedMessage only), or else
        // strip the copy to its header fields.
        if (work.Source is ResolvedMessageEventSource resolved && Hold(work, resolved, recipient))
        {
            return;
        }

        Contain(work, "could not bounce " + recipient.Address);
    }

    /// <summary>The last resort when a recipient that must not get the content cannot be bounced or held: replace the
    /// copy's content by its kept header fields (core <see cref="HeadersOnlyCopy"/>, subject replaced) and mark it as a
    /// downgraded copy. Every recipient of this copy then gets no body; never the content. Never throws.</summary>
    private void Contain(CopyWork work, string why)
    {
        if (work.Contained)
        {
            return;
        }

        try
        {
            using var buffer = new System.IO.MemoryStream();
            List<KeyValuePair<string, string?>>? fields = null;
            try
            {
                fields = MessageHeaders.OrganizationFields(work.MailItem.Message);
            }
#pragma warning disable CA1031 // Without the message DOM the organisation fields are left out; the content is still replaced.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            DowngradedCopy.WriteTop(buffer, work.Request.Level, contained: true, fields ?? new List<KeyValuePair<string, string?>>());
            using (var read = work.MailItem.GetMimeReadStream())
            {
                DowngradedCopy.WriteContained(read, buffer);
            }

            using (var write = work.MailItem.GetMimeWriteStream())
            {
                write.Write(buffer.GetBuffer(), 0, checked((int)buffer.Length));
            }

            work.Contained = true;
            work.Rewritten = true;
            RecipientMarks.SetDowngraded(work.MailItem);
            runtime.Log.Error(Describe(work, why + ": the copy's content was replaced by its header fields (contained)"), null);
        }
#pragma warning disable CA1031 // Nothing more can be done; never throw into Exchange.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            runtime.Log.Error(Describe(work, why + " and containing the copy failed; it is left as it is"), ex);
        }
    }

    private bool Hold(CopyWork work, ResolvedMessageEventSource source, EnvelopeRecipient recipient)
    {
        try
        {
            source.SetRoutingOverride(recipient, new RoutingOverride(new RoutingDomain(RecipientMarks.HoldRoutingDomain), DeliveryQueueDomain.UseOverrideDomain));
            RecipientMarks.Set(recipient, MarkKind.Held, Now);
            runtime.Log.Error(Describe(work, "held " + recipient.Address + " on the route " + RecipientMarks.HoldRoutingDomain + " (Unreachable queue) because it could not be bounced"), null);
            return true;
        }
#pragma warning disable CA1031 // The caller logs that nothing worked.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            runtime.Log.Error(Describe(work, "holding " + recipient.Address + " failed"), ex);
            return false;
        }
    }

    private void DeferCopy(CopyWork work, TimeSpan wait, SmtpReply reply)
    {
        // Defer is the last call on the item: any later access throws (API reference aa567106).
        work.Source.Defer(wait, ExchangeResponses.From(reply));
        runtime.Log.Info(Describe(work, "deferred " + wait.TotalMinutes.ToString("0", CultureInfo.InvariantCulture) + " min: " + reply.Detail));
    }

    private static void Fork(CopyWork work, List<EnvelopeRecipient> keep)
    {
        work.Source.Fork(keep);
        work.Forked = true;
    }

    /// <summary>After an unexpected error. Never throws.</summary>
    private void FailSafe(CopyWork work, Exception exception)
    {
        try
        {
            var age = Age(work);
            var recipients = work.MailItem.Recipients;
            var all = new List<EnvelopeRecipient>();
            for (var i = 0; i < recipients.Count; i++)
            {
                all.Add(recipients[i]);
            }

            var decision = work.State.Stack.Messages.FailSafe(work.Request, Inputs(all), age, exception.GetType().Name);
            if (decision.Defer.Count == 0 && decision.Bounce.Count == 0)
            {
                runtime.Log.Error(Describe(work, "unexpected error on a message without a request; left as it is (fail-open)"), exception);
                return;
            }

            runtime.Log.Error(Describe(work, "unexpected error on a tagged copy; " + (work.MayDefer ? "deferring it (fail-closed)" : "holding or bouncing what is not done (fail-closed)")), exception);
            if (work.MayDefer && decision.Defer.Count > 0)
            {
                DeferCopy(work, decision.RetryAfter, decision.DeferReply!);
                return;
            }

            var now = Now;
            foreach (var verdict in decision.Recipients)
            {
                var recipient = all[verdict.Index];
                var kind = RecipientMarks.Read(recipient, now).Kind;
                var finished = work.Contained || kind is MarkKind.PassApplied or MarkKind.SecureApplied or MarkKind.Held || (kind == MarkKind.Downgrade && work.Rewritten);
                if (!finished && verdict.Treatment != Treatment.Pass)
                {
                    Bounce(work, recipient, verdict.Treatment == Treatment.Bounce ? verdict.Reply! : SmtpReply.InternalErrorBounce(verdict.Address, "the copy was already changed and cannot be deferred"));
                }
            }
        }
#pragma warning disable CA1031 // Nothing more can be done; never throw into Exchange.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            runtime.Log.Error(Describe(work, "the fail-safe failed too"), ex);
        }
    }

    /// <summary>After an error before the request was known (or with an unreadable request): the raw look for the
    /// request fields decides. Present: defer, unchanged. Never throws.</summary>
    private void FailSafeOrRawLook(CopyWork? work, QueuedMessageEventSource source, MailItem mailItem, string eventName, Exception exception)
    {
        if (work is not null)
        {
            FailSafe(work, exception);
            return;
        }

        try
        {
            EmailMessage? message = null;
            try
            {
                message = mailItem?.Message;
            }
#pragma warning disable CA1031 // The raw look below reports that it cannot tell.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            var tagged = RequestFields.IsPresent(message, out var known);
            runtime.Log.Error(eventName + " failed before the request was read; " + (!known ? "the header fields cannot be read either: the message is left as it is" : tagged ? "a request field is present: deferring (fail-closed)" : "no request field: the message is left as it is"), exception);
            if (tagged && source is not null)
            {
                if (eventName != "OnResolvedMessage" && RecipientMarks.WasChanged(mailItem!, Now))
                {
                    // This copy was forked or had recipients removed earlier in the pass: a Defer would revert that.
                    SettleWithoutDeferral(source, mailItem!, eventName);
                    return;
                }

                var settings = runtime.Current.Settings;
                source.Defer(settings.Defer.RetryAfter, ExchangeResponses.From(SmtpReply.InternalErrorDeferral("the message header could not be read")));
            }
        }
#pragma warning disable CA1031 // Nothing more can be done; never throw into Exchange.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            runtime.Log.Error(eventName + ": the raw look failed too", ex);
        }
    }

    /// <summary>A later event failed before the request was read on a copy that must not be deferred: recipients with an
    /// applied decision stay as they are, every other recipient is bounced (5.3.0), and one that cannot be bounced gets
    /// the copy contained.</summary>
    private void SettleWithoutDeferral(QueuedMessageEventSource source, MailItem mailItem, string eventName)
    {
        var work = new CopyWork(eventName, source, mailItem, runtime.Current, new LinkSecurityRequest(LinkSecurityLevel.TransportSecure, FallbackAction.Bounce, false, RequestSources.LinkSecurity), null) { ChangedEarlier = true };
        var now = Now;
        var recipients = mailItem.Recipients;
        var open = new List<EnvelopeRecipient>();
        for (var i = 0; i < recipients.Count; i++)
        {
            var kind = RecipientMarks.Read(recipients[i], now).Kind;
            if (kind is not (MarkKind.PassApplied or MarkKind.SecureApplied or MarkKind.Held) && !Internals.IsInternal(work.State.Settings, recipients[i]))
            {
                open.Add(recipients[i]);
            }
        }

        foreach (var recipient in open)
        {
            Bounce(work, recipient, SmtpReply.InternalErrorBounce(recipient.Address.ToString(), "the message could not be read on " + eventName));
        }
    }

    private static void SetRoute(ResolvedMessageEventSource source, EnvelopeRecipient recipient, string routingDomain, string routingDomainType, bool useOverrideQueue, string? tlsDomain)
    {
        var queue = useOverrideQueue ? DeliveryQueueDomain.UseOverrideDomain : DeliveryQueueDomain.UseRecipientDomain;
        // A non-SMTP type (the relay route, routing.smartHostAddressSpaceType) matches only a connector with that
        // address space type, never the SMTP "*" Internet connector: without its connector the recipient is unreachable
        // rather than delivered over opportunistic TLS. DNS-routed routes must stay SMTP (Exchange looks up MX records
        // only for SMTP domains), so a missing DNS-routed connector is caught by Test-LinkSecureInstallation.ps1.
        var domain = string.Equals(routingDomainType, RoutingSettings.SmtpAddressSpaceType, StringComparison.OrdinalIgnoreCase)
            ? new RoutingDomain(routingDomain)
            : new RoutingDomain(routingDomain, routingDomainType);
        source.SetRoutingOverride(recipient, new RoutingOverride(domain, queue));
        if (tlsDomain is not null)
        {
            source.SetTlsDomain(recipient, tlsDomain);
        }
    }

    private void ClearRoute(ResolvedMessageEventSource source, EnvelopeRecipient recipient)
    {
        try
        {
            source.SetRoutingOverride(recipient, null!);
        }
#pragma warning disable CA1031 // The recipient is re-decided or bounced anyway.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            runtime.Log.Warn("clearing the routing override of " + recipient.Address + " failed: " + ex.Message);
        }
    }

    private MessageAge Age(CopyWork work)
    {
        DateTime received;
        try
        {
            received = work.MailItem.DateTimeReceived;
        }
#pragma warning disable CA1031 // An unknown age never expires a deferral into the fallback.
        catch (Exception)
#pragma warning restore CA1031
        {
            return MessageAge.Unknown;
        }

        return MessageAge.FromReceived(received, Now);
    }

    private static List<MessageRecipient> Inputs(CopyWork work)
    {
        var list = new List<MessageRecipient>(work.Undecided.Count);
        foreach (var pair in work.Undecided)
        {
            list.Add(pair.Value);
        }

        return list;
    }

    private List<MessageRecipient> Inputs(List<EnvelopeRecipient> recipients)
    {
        var list = new List<MessageRecipient>(recipients.Count);
        foreach (var recipient in recipients)
        {
            list.Add(new MessageRecipient(recipient.Address.ToString(), Internals.HostSaysInternal(recipient)));
        }

        return list;
    }

    private static List<EnvelopeRecipient> Concat(List<EnvelopeRecipient> first, List<EnvelopeRecipient>? second, List<KeyValuePair<EnvelopeRecipient, SmtpReply>>? third)
    {
        var list = new List<EnvelopeRecipient>(first);
        if (second is not null)
        {
            list.AddRange(second);
        }

        if (third is not null)
        {
            foreach (var pair in third)
            {
                list.Add(pair.Key);
            }
        }

        return list;
    }

    private void CompleteSafely(AgentAsyncContext context)
    {
        try
        {
            context.Complete();
        }
#pragma warning disable CA1031
        catch (Exception ex)
#pragma warning restore CA1031
        {
            runtime.Log.Error("AgentAsyncContext.Complete failed", ex);
        }
    }

    private static string Describe(CopyWork? work, string what) =>
        work is null ? what : string.Format(CultureInfo.InvariantCulture, "{0} messageId={1} request={2}: {3}", work.EventName, work.MessageId, work.Request, what);

    private void LogDecision(CopyWork work, RecipientDecision decision)
    {
        if (runtime.Log.DecisionsEnabled)
        {
            runtime.Log.Decision(work.MessageId, () => work.MailItem.FromAddress.ToString(), decision, work.ElapsedMicroseconds());
        }
    }
}
