using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;
using LinkSecure.Exchange.Downgrade;
using LinkSecure.Exchange.Logging;
using LinkSecure.Exchange.Runtime;
using Microsoft.Exchange.Data.Mime;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Email;
using Microsoft.Exchange.Data.Transport.Routing;

namespace LinkSecure.Exchange.Pipeline;

/// <summary>
/// Handles <c>OnResolvedMessage</c> for one mail item: reads the request, asks the core for a decision per
/// recipient, and applies it with Exchange calls (routing override, TLS domain, NDR, fork, rewrite, defer).
/// </summary>
/// <remarks>
/// <para>Three phases, run again on every copy that re-enters after a <c>Fork</c>:</para>
/// <list type="number">
/// <item>Decide: every recipient without a mark gets a decision from the core; bounces are removed with a DSN at
/// once; the others are marked with their treatment (pass, secure, downgrade, defer).</item>
/// <item>Separate: when the remaining recipients need more than one treatment, fork once, keeping the first
/// treatment group (pass/secure, then downgrade, then defer) in this copy; the rest re-enters later.</item>
/// <item>Apply: this copy has one treatment: set routing overrides, or rewrite the MIME, or defer.</item>
/// </list>
/// <para>Never throws: an unexpected error defers tagged mail and leaves untagged mail untouched.</para>
/// </remarks>
internal sealed class ResolvedMessageProcessor
{
    /// <summary>Messages larger than this are not buffered for a rewrite; they bounce instead.</summary>
    internal const long MaxRewriteBytes = 64L * 1024 * 1024;

    private readonly AgentRuntime runtime;
    private readonly AcceptedDomainCollection? acceptedDomains;

    /// <summary>Creates a processor for one agent instance.</summary>
    /// <param name="runtime">The shared runtime.</param>
    /// <param name="server">The server, for accepted domains; may be <see langword="null"/>.</param>
    public ResolvedMessageProcessor(AgentRuntime runtime, SmtpServer? server)
    {
        this.runtime = runtime;
        try
        {
            acceptedDomains = server?.AcceptedDomains;
        }
#pragma warning disable CA1031 // Without accepted domains, RecipientCategory and the configured internal domains still apply.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            runtime.Log.Warn("accepted domains unavailable: " + ex.Message);
        }
    }

    /// <summary>Handles the event. Never throws.</summary>
    /// <param name="source">The event source.</param>
    /// <param name="mailItem">The mail item.</param>
    /// <param name="goAsync">Gets the agent's asynchronous context (<c>Agent.GetAgentAsyncContext</c>).</param>
    public void Handle(ResolvedMessageEventSource source, MailItem mailItem, Func<AgentAsyncContext> goAsync)
    {
        var work = new MessageWork(source, mailItem, runtime.Current, Stopwatch.GetTimestamp());
        try
        {
            if (source is null || mailItem is null)
            {
                return;
            }

            var recipients = mailItem.Recipients;
            if (recipients is null || recipients.Count == 0)
            {
                // Another agent may have removed every recipient; nothing to do.
                return;
            }

            var message = mailItem.Message;
            if (message is null || message.IsSystemMessage || RecipientMarks.IsDowngraded(mailItem))
            {
                // NDRs and other system messages are read-only; a rewritten copy is never processed twice.
                return;
            }

            work.MessageId = message.MessageId;
            work.Request = ReadRequest(message);
            work.IsTnef = message.TnefPart is not null;
            if (!work.State.Engine.NeedsProfile(work.Request) && !RecipientMarks.AnyDecided(recipients))
            {
                // Untagged (or waived) mail is never altered, unless enforceForAllMail.
                runtime.Log.Untagged(work.MessageId, recipients.Count, work.ElapsedMicroseconds());
                return;
            }

            var missing = FindMissingProfiles(work);
            if (missing.Count == 0)
            {
                DecideAndApply(work, null);
                return;
            }

            GoAsync(work, missing, goAsync);
        }
#pragma warning disable CA1031 // Never throw into Exchange: apply the fail-safe decision instead.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            FailSafe(work, ex);
        }
    }

    private static LinkSecurityRequest ReadRequest(EmailMessage message)
    {
        var headers = message.RootPart?.Headers;
        if (headers is null)
        {
            return LinkSecurityRequest.None;
        }

        List<KeyValuePair<string, string>>? found = null;
        foreach (Header header in headers)
        {
            var name = header.Name;
            if (RequestParser.IsRequestHeader(name))
            {
                (found ??= new List<KeyValuePair<string, string>>()).Add(new KeyValuePair<string, string>(name, header.Value ?? string.Empty));
            }
        }

        return found is null ? LinkSecurityRequest.None : RequestParser.Parse(found);
    }

    private List<string> FindMissingProfiles(MessageWork work)
    {
        var missing = new List<string>();
        if (!work.State.Engine.NeedsProfile(work.Request!))
        {
            return missing;
        }

        var recipients = work.MailItem.Recipients;
        for (var i = 0; i < recipients.Count; i++)
        {
            var recipient = recipients[i];
            if (RecipientMarks.GetTreatment(recipient) != Treatment.None)
            {
                continue;
            }

            var address = recipient.Address.ToString();
            if (!DomainName.TryGetAddressDomain(address, out var domain) || IsInternal(work, recipient, domain)
                || missing.Contains(domain, StringComparer.Ordinal) || work.State.Profiles.TryResolveCached(domain, out _))
            {
                continue;
            }

            missing.Add(domain);
        }

        return missing;
    }

    private void GoAsync(MessageWork work, List<string> missing, Func<AgentAsyncContext> goAsync)
    {
        var context = goAsync();
        var item = new AsyncWorkItem(this, work, missing, context);
        try
        {
            if (!ThreadPool.QueueUserWorkItem(RunAsyncWork, item))
            {
                throw new InvalidOperationException("The thread pool refused the work item.");
            }
        }
#pragma warning disable CA1031 // Not swallowed: the fail-safe decision is applied.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // Nothing was queued: apply the fail-safe here, then give the context back.
            FailSafe(work, ex);
            CompleteSafely(context);
        }
    }

    private static void RunAsyncWork(object? state)
    {
        var item = (AsyncWorkItem)state!;
        try
        {
            // First statement on the worker thread (AgentAsyncContext.Resume, API reference dd877389).
            item.Context.Resume();
            var profiles = FetchProfiles(item.Work, item.Missing);
            item.Processor.DecideAndApply(item.Work, profiles);
        }
#pragma warning disable CA1031 // An exception on a worker thread would kill EdgeTransport.exe.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            item.Processor.FailSafe(item.Work, ex);
        }
        finally
        {
            // Always, once, last (also after a Fork).
            item.Processor.CompleteSafely(item.Context);
        }
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

    private static Dictionary<string, DomainProfile> FetchProfiles(MessageWork work, List<string> domains)
    {
        var budget = work.State.Settings.Agent.LookupBudget;
        var result = new Dictionary<string, DomainProfile>(StringComparer.Ordinal);
        var tasks = new List<KeyValuePair<string, Task<DomainProfile>>>(domains.Count);
        using (var cancellation = new CancellationTokenSource(budget))
        {
            foreach (var domain in domains)
            {
                try
                {
                    var task = work.State.Profiles.ResolveAsync(domain, cancellation.Token).AsTask();
                    tasks.Add(new KeyValuePair<string, Task<DomainProfile>>(domain, task));
                }
#pragma warning disable CA1031 // A throwing source is a failed lookup: the core decides (defer for tagged mail).
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    result[domain] = DomainProfile.TemporaryFailure(domain, TemporaryFailureKind.Lookup, "lookup failed: " + ex.Message);
                }
            }

            try
            {
                Task.WaitAll(tasks.Select(t => (Task)t.Value).ToArray(), budget);
            }
            catch (AggregateException)
            {
                // Faults are read per task below.
            }

            foreach (var pair in tasks)
            {
                var task = pair.Value;
                if (task.Status == TaskStatus.RanToCompletion && task.Result is { } profile)
                {
                    result[pair.Key] = profile;
                }
                else if (task.IsFaulted && task.Exception?.GetBaseException() is { } error and not OperationCanceledException)
                {
                    result[pair.Key] = DomainProfile.TemporaryFailure(pair.Key, TemporaryFailureKind.Lookup, "lookup failed: " + error.Message);
                }
                else
                {
                    // Observe a late fault so that it never surfaces as an unobserved task exception.
                    _ = task.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                    result[pair.Key] = DomainProfile.TemporaryFailure(
                        pair.Key,
                        TemporaryFailureKind.Timeout,
                        string.Format(CultureInfo.InvariantCulture, "lookup did not finish within the {0:0} ms budget", budget.TotalMilliseconds));
                }
            }
        }

        return result;
    }

    private void DecideAndApply(MessageWork work, Dictionary<string, DomainProfile>? fetched)
    {
        var source = work.Source;
        var mailItem = work.MailItem;
        var recipients = mailItem.Recipients;
        var engine = work.State.Engine;
        var request = work.Request!;
        var needsProfile = engine.NeedsProfile(request);
        var age = MessageAge(mailItem, runtime.Time);
        var smartHost = work.State.Settings.Routing.Mode == RoutingMode.SmartHost;
        var sender = SafeSenderDomain(mailItem);

        // Phase 1: decide every undecided recipient; bounce at once.
        List<KeyValuePair<EnvelopeRecipient, RecipientDecision>>? bounces = null;
        for (var i = 0; i < recipients.Count; i++)
        {
            var recipient = recipients[i];
            if (RecipientMarks.GetTreatment(recipient) != Treatment.None)
            {
                continue;
            }

            var address = recipient.Address.ToString();
            DomainName.TryGetAddressDomain(address, out var domain);
            var isInternal = IsInternal(work, recipient, domain);
            DomainProfile? profile = null;
            if (needsProfile && !isInternal && domain is not null && !(fetched is not null && fetched.TryGetValue(domain, out profile)))
            {
                if (!work.State.Profiles.TryResolveCached(domain, out profile))
                {
                    profile = DomainProfile.TemporaryFailure(domain, TemporaryFailureKind.Lookup, "profile not cached and no lookup was made");
                }
            }

            var decision = engine.Decide(request, address, profile, age, isInternal);
            LogDecision(work, sender, decision);
            if (decision.Kind == DecisionKind.Bounce)
            {
                (bounces ??= new List<KeyValuePair<EnvelopeRecipient, RecipientDecision>>()).Add(new KeyValuePair<EnvelopeRecipient, RecipientDecision>(recipient, decision));
            }
            else
            {
                RecipientMarks.Set(recipient, decision, smartHost);
            }
        }

        if (bounces is not null)
        {
            foreach (var pair in bounces)
            {
                var decision = pair.Value;
                var code = decision.StatusCode ?? EnhancedStatusCode.RequiredLevelNotMet;
                recipients.Remove(pair.Key, DsnType.Failure, ExchangeResponses.Failure(code.ReplyCode, code.Enhanced, decision.UserExplanation ?? decision.Reason, "LinkSecure: " + (decision.TechnicalDetail ?? decision.Reason)));
            }
        }

        // Phase 2: one treatment per copy.
        var normal = new List<EnvelopeRecipient>();
        var downgrade = new List<EnvelopeRecipient>();
        var defer = new List<EnvelopeRecipient>();
        for (var i = 0; i < recipients.Count; i++)
        {
            var recipient = recipients[i];
            switch (RecipientMarks.GetTreatment(recipient))
            {
                case Treatment.Downgrade:
                    downgrade.Add(recipient);
                    break;
                case Treatment.Defer:
                    defer.Add(recipient);
                    break;
                default:
                    normal.Add(recipient);
                    break;
            }
        }

        var groups = new[] { normal, downgrade, defer };
        var current = groups.FirstOrDefault(g => g.Count > 0);
        if (current is null)
        {
            return;
        }

        if (groups.Count(g => g.Count > 0) > 1)
        {
            // This copy keeps `current`; the other recipients become a second copy that re-enters this handler.
            source.Fork(current);
        }

        // Phase 3: apply this copy's treatment, to this copy's recipients only.
        if (ReferenceEquals(current, normal))
        {
            ApplyRoutes(source, mailItem.Recipients);
        }
        else if (ReferenceEquals(current, downgrade))
        {
            ApplyDowngrade(work);
        }
        else
        {
            ApplyDefer(work);
        }
    }

    private static void ApplyRoutes(ResolvedMessageEventSource source, EnvelopeRecipientCollection recipients)
    {
        for (var i = 0; i < recipients.Count; i++)
        {
            var recipient = recipients[i];
            if (RecipientMarks.GetTreatment(recipient) != Treatment.Secure)
            {
                continue;
            }

            var routingDomain = RecipientMarks.GetString(recipient, RecipientMarks.RoutingDomainKey);
            if (routingDomain is null)
            {
                throw new InvalidOperationException("A secure recipient has no routing domain.");
            }

            var queue = RecipientMarks.GetInt(recipient, RecipientMarks.UseOverrideQueueKey, 0) == 1
                ? DeliveryQueueDomain.UseOverrideDomain
                : DeliveryQueueDomain.UseRecipientDomain;
            source.SetRoutingOverride(recipient, new RoutingOverride(new RoutingDomain(routingDomain), queue));
            if (RecipientMarks.GetString(recipient, RecipientMarks.TlsDomainKey) is { } tlsDomain)
            {
                source.SetTlsDomain(recipient, tlsDomain);
            }
        }
    }

    private void ApplyDowngrade(MessageWork work)
    {
        var mailItem = work.MailItem;
        var outcome = DowngradeOutcome.NothingSafe;
        string? why = null;
        if (work.IsTnef)
        {
            why = "the message is TNEF-encoded here and cannot be rewritten";
        }
        else if (mailItem.MimeStreamLength > MaxRewriteBytes)
        {
            why = "the message is too large to rewrite";
        }
        else
        {
            using var buffer = new MemoryStream();
            var reason = string.Format(CultureInfo.InvariantCulture, "link-security level {0} requested; the recipient's link is not known to meet it", (int)(work.Request?.Level ?? LinkSecurityLevel.TransportSecure));
            using (var read = mailItem.GetMimeReadStream())
            {
                outcome = runtime.Rewriter.Rewrite(read, buffer, work.State.Settings, reason, out why, CancellationToken.None);
            }

            if (outcome == DowngradeOutcome.Rewritten)
            {
                // GetMimeWriteStream throws on Write after Flush: build the whole message first, write it once.
                using (var write = mailItem.GetMimeWriteStream())
                {
                    write.Write(buffer.GetBuffer(), 0, checked((int)buffer.Length));
                }

                RecipientMarks.SetDowngraded(mailItem);
                runtime.Log.Info(string.Format(CultureInfo.InvariantCulture, "downgraded copy written messageId={0} recipients={1}", work.MessageId, mailItem.Recipients.Count));
                return;
            }

            why ??= "the message has no part marked safe for insecure links";
        }

        // No safe part and no template: bounce instead.
        var recipients = mailItem.Recipients;
        var targets = new List<EnvelopeRecipient>();
        for (var i = 0; i < recipients.Count; i++)
        {
            if (RecipientMarks.GetTreatment(recipients[i]) == Treatment.Downgrade)
            {
                targets.Add(recipients[i]);
            }
        }

        foreach (var recipient in targets)
        {
            var reply = RecipientMarks.GetString(recipient, RecipientMarks.ReplyCodeKey) ?? EnhancedStatusCode.RequiredLevelNotMet.ReplyCode;
            var enhanced = RecipientMarks.GetString(recipient, RecipientMarks.EnhancedCodeKey) ?? EnhancedStatusCode.RequiredLevelNotMet.Enhanced;
            var reason = RecipientMarks.GetString(recipient, RecipientMarks.ReasonKey) ?? "link security not available";
            var address = recipient.Address.ToString();
            var explanation = $"Your message was not delivered to {address} because a link-secure connection is not available for it and {why}.";
            recipients.Remove(recipient, DsnType.Failure, ExchangeResponses.Failure(reply, enhanced, explanation, "LinkSecure: " + reason + "; downgrade impossible: " + why));
            runtime.Log.Info(string.Format(CultureInfo.InvariantCulture, "downgrade impossible, bounced messageId={0} recipient={1} reason={2}", work.MessageId, address, why));
        }
    }

    private static void ApplyDefer(MessageWork work)
    {
        var recipients = work.MailItem.Recipients;
        var retry = int.MaxValue;
        string? reply = null;
        string? enhanced = null;
        string? reason = null;
        for (var i = 0; i < recipients.Count; i++)
        {
            var recipient = recipients[i];
            retry = Math.Min(retry, RecipientMarks.GetInt(recipient, RecipientMarks.RetrySecondsKey, (int)work.State.Settings.Defer.RetryAfter.TotalSeconds));
            reply ??= RecipientMarks.GetString(recipient, RecipientMarks.ReplyCodeKey);
            enhanced ??= RecipientMarks.GetString(recipient, RecipientMarks.EnhancedCodeKey);
            reason ??= RecipientMarks.GetString(recipient, RecipientMarks.ReasonKey);

            // The retry decides afresh: the lookup may succeed by then.
            RecipientMarks.Clear(recipient);
        }

        var wait = TimeSpan.FromSeconds(retry == int.MaxValue ? work.State.Settings.Defer.RetryAfter.TotalSeconds : retry);
        work.Source.Defer(wait, ExchangeResponses.Transient(reply ?? EnhancedStatusCode.LookupFailed.ReplyCode, enhanced ?? EnhancedStatusCode.LookupFailed.Enhanced, "LinkSecure: delivery delayed while link security is checked: " + (reason ?? "lookup pending")));
    }

    private void FailSafe(MessageWork work, Exception exception)
    {
        var tagged = work.Request is { IsRequested: true };
        runtime.Log.Error(
            string.Format(CultureInfo.InvariantCulture, "unexpected error messageId={0} request={1}; {2}", work.MessageId, work.Request?.ToString() ?? "unknown", tagged ? "deferring the message (fail-closed)" : "leaving the message untouched (fail-open)"),
            exception);
        if (!tagged)
        {
            return;
        }

        try
        {
            var recipients = work.MailItem.Recipients;
            for (var i = 0; i < recipients.Count; i++)
            {
                RecipientMarks.Clear(recipients[i]);
            }

            work.Source.Defer(work.State.Settings.Defer.RetryAfter, ExchangeResponses.Transient("451", "4.3.0", "LinkSecure could not process this message; delivery deferred"));
        }
#pragma warning disable CA1031 // Nothing more can be done; never throw into Exchange.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            runtime.Log.Error("fail-safe deferral failed messageId=" + work.MessageId, ex);
        }
    }

    private bool IsInternal(MessageWork work, EnvelopeRecipient recipient, string? domain)
    {
        if (recipient.RecipientCategory == RecipientCategory.InSameOrganization)
        {
            return true;
        }

        if (domain is null)
        {
            return false;
        }

        if (acceptedDomains?.Find(domain) is { IsInCorporation: true })
        {
            return true;
        }

        return work.State.Settings.IsInternalDomain(domain);
    }

    private void LogDecision(MessageWork work, string? sender, RecipientDecision decision)
    {
        if (!runtime.Log.DecisionsEnabled)
        {
            return;
        }

        runtime.Log.Decision(new DecisionLogEntry(
            work.MessageId,
            sender,
            decision.Domain,
            decision.Request.ToString(),
            (int)decision.Level,
            decision.Kind.ToString(),
            decision.Reason,
            decision.Route?.ToString(),
            decision.Profile?.DescribeEvidence() ?? "none",
            work.ElapsedMicroseconds()));
    }

    private static string? SafeSenderDomain(MailItem mailItem)
    {
        var from = mailItem.FromAddress.ToString();
        return DomainName.TryGetAddressDomain(from, out var domain) ? domain : null;
    }

    private static TimeSpan MessageAge(MailItem mailItem, TimeProvider time)
    {
        var received = mailItem.DateTimeReceived;
        if (received == default)
        {
            return TimeSpan.Zero;
        }

        var utc = received.Kind == DateTimeKind.Local ? received.ToUniversalTime() : received;
        var age = time.GetUtcNow().UtcDateTime - utc;
        return age < TimeSpan.Zero ? TimeSpan.Zero : age;
    }

    /// <summary>Per-message state carried from the handler to the worker thread.</summary>
    private sealed class MessageWork
    {
        public MessageWork(ResolvedMessageEventSource source, MailItem mailItem, AgentState state, long start)
        {
            Source = source;
            MailItem = mailItem;
            State = state;
            Start = start;
        }

        public ResolvedMessageEventSource Source { get; }

        public MailItem MailItem { get; }

        public AgentState State { get; }

        public long Start { get; }

        public string? MessageId { get; set; }

        public LinkSecurityRequest? Request { get; set; }

        public bool IsTnef { get; set; }

        public long ElapsedMicroseconds() => (Stopwatch.GetTimestamp() - Start) * 1_000_000 / Stopwatch.Frequency;
    }

    private sealed class AsyncWorkItem
    {
        public AsyncWorkItem(ResolvedMessageProcessor processor, MessageWork work, List<string> missing, AgentAsyncContext context)
        {
            Processor = processor;
            Work = work;
            Missing = missing;
            Context = context;
        }

        public ResolvedMessageProcessor Processor { get; }

        public MessageWork Work { get; }

        public List<string> Missing { get; }

        public AgentAsyncContext Context { get; }
    }
}
