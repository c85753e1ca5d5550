using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;
using LinkSecure.Exchange.Simulator;
using Microsoft.Exchange.Data.Transport;

namespace LinkSecure.Exchange.Tests.Support;

/// <summary>What a fault run injects, and how much of it.</summary>
internal sealed class FaultRunOptions
{
    public int Seed { get; init; } = 20260512;

    public int Messages { get; init; } = 10_000;

    public ForkMode ForkMode { get; init; }

    /// <summary>Gets a value indicating whether lookups take time: answers after a few milliseconds, lookups that time out
    /// and lookups that never finish. The current agent blocks a pool thread for each (issue 12), which makes a run of
    /// it crawl on Mono's slowly growing pool; without them every lookup answers at once (failures included).</summary>
    public bool SlowLookups { get; init; }

    /// <summary>Gets a value indicating whether Exchange calls throw, removals are refused and header values are malformed.</summary>
    public bool ExchangeFaults { get; init; }

    /// <summary>Gets a value indicating whether Defer reverts the item (documented) rather than only recording.</summary>
    public bool DeferReverts { get; init; }

    /// <summary>Gets a value indicating whether recipients in an internal-relay accepted domain and mail contacts (both external) are sent to.</summary>
    public bool RelayAndContacts { get; init; }

    public int Parallelism { get; init; } = 4;

    public int BatchSize { get; init; } = 2_000;

    public int MaxRounds { get; init; } = 8;

    /// <summary>Gets how many copies are under way at once. The current agent blocks a pool thread per asynchronous copy
    /// for the lookup budget (issue 12) while the lookups' continuations need pool threads too; Mono's pool grows slowly,
    /// so an unbounded run would measure that stall instead of the invariants.</summary>
    public int MaxItemsInFlight { get; init; } = 32;
}

/// <summary>
/// A randomized, seeded run of many messages through the simulator and the real agent, with lookups that fail, time
/// out or never finish, and (optionally) faults in the Exchange calls, refused removals, malformed headers, internal-relay
/// recipients and mail contacts. The invariants are checked per batch and counted, not asserted, so that a run reports
/// every kind of breach at once:
/// <list type="number">
/// <item>no exception escapes the agent, no pipeline rule is broken (violations);</item>
/// <item>every recipient ends exactly once (<see cref="AccountingReport"/>);</item>
/// <item>no external recipient of a tagged message receives the secret token unless its copy is routed to a routing
/// domain whose connector authenticates the receiving server (read from the agent's settings);</item>
/// <item>untagged messages are delivered untouched (same bytes, no routing override);</item>
/// <item>a rewritten copy carries the safe part or the notice and never the token.</item>
/// </list>
/// </summary>
internal sealed class FaultRun
{
    private const string SafeText = "Your statement is ready in the customer portal.";
    private const string NoticeText = "A message is waiting for you in the LinkSecure portal.";

    private static readonly (string Header, string Value)[] Requests =
    {
        ("Link-Security", "level=1"), ("Link-Security", "level=2"), ("Link-Security", "level=1; fallback=safe-part"),
        ("Link-Security", "level=2; fallback=safe-part"), ("Link-Security", "level=3; fallback=bounce"), ("Link-Security", "level=4; fallback=safe-part"),
        ("Link-Security", "LEVEL=2 ; FALLBACK=SAFE-PART"), ("Link-Security", "level=banana"), ("X-Link-Security", "level=2; fallback=safe-part"),
        ("X-Link-Security", "level=1"), ("Require-TLS-ESMTP", "yes"),
    };

    private readonly FaultRunOptions options;
    private readonly Random rng;
    private readonly Dictionary<int, Sent> sent = new();
    private readonly Dictionary<string, int> breaches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> accounting = new(StringComparer.Ordinal);
    private readonly List<string> examples = new();
    private readonly List<string> domains = new();
    private readonly List<string> cached = new();
    private readonly List<string> lookedUp = new();
    private VirtualClock clock = new();
    private RoutingSettings routing = RoutingSettings.Default;

    private FaultRun(FaultRunOptions options)
    {
        this.options = options;
        rng = new Random(options.Seed);
    }

    public int MessagesSent { get; private set; }

    public int RecipientsSent { get; private set; }

    public int Delivered { get; private set; }

    public int Bounced { get; private set; }

    public int StillDeferred { get; private set; }

    /// <summary>Gets how many deliveries were of a contained copy (header fields only, no body).</summary>
    public int Contained { get; private set; }

    /// <summary>Gets how many recipients ended held: routed to a domain no connector serves (the Unreachable queue).</summary>
    public int Held { get; private set; }

    public int Downgrades { get; private set; }

    public int SecureDeliveries { get; private set; }

    public int Copies { get; private set; }

    public int Forks { get; private set; }

    public int Deferrals { get; private set; }

    public int Retries { get; private set; }

    public int Ndrs { get; private set; }

    public int EscapedExceptions { get; private set; }

    public int InjectedFaults { get; private set; }

    public int RefusedRemoves { get; private set; }

    public int AsyncInvocations { get; private set; }

    public List<string> Violations { get; } = new();

    public TimeSpan Elapsed { get; private set; }

    public IReadOnlyDictionary<string, int> Breaches => breaches;

    public IReadOnlyDictionary<string, int> AccountingProblems => accounting;

    public IReadOnlyList<string> Examples => examples;

    public bool Clean => Violations.Count == 0 && EscapedExceptions == 0 && breaches.Count == 0 && accounting.Count == 0;

    public static FaultRun Execute(FaultRunOptions options)
    {
        var run = new FaultRun(options);
        run.Run();
        return run;
    }

    public string Describe()
    {
        var text = new StringBuilder();
        text.AppendLine(string.Format(
            CultureInfo.InvariantCulture,
            "fault run: seed {0}, fork mode {1}, slow lookups {6}, Exchange faults {2}, Defer reverts {3}, relay and contacts {4}, {5} transport threads, {7} copies in flight",
            options.Seed,
            options.ForkMode,
            options.ExchangeFaults ? "on" : "off",
            options.DeferReverts ? "on" : "off",
            options.RelayAndContacts ? "on" : "off",
            options.Parallelism,
            options.SlowLookups ? "on" : "off",
            options.MaxItemsInFlight));
        text.AppendLine(string.Format(
            CultureInfo.InvariantCulture,
            "  messages {0}, recipients {1}, copies {2}, forks {3}, deferrals {4}, retries {5}, bounces {6}, downgrades {7}, secure deliveries {8}, async invocations {9}",
            MessagesSent,
            RecipientsSent,
            Copies,
            Forks,
            Deferrals,
            Retries,
            Ndrs,
            Downgrades,
            SecureDeliveries,
            AsyncInvocations));
        text.AppendLine(string.Format(
            CultureInfo.InvariantCulture,
            "  outcomes: {0} delivered, {1} bounced, {2} still deferred, {8} held (Unreachable queue), {9} got a contained copy; injected faults {3}, refused removes {4}; exceptions escaped {5}, violations {6}; elapsed {7:0.0} s",
            Delivered,
            Bounced,
            StillDeferred,
            InjectedFaults,
            RefusedRemoves,
            EscapedExceptions,
            Violations.Count,
            Elapsed.TotalSeconds,
            Held,
            Contained));
        foreach (var pair in accounting.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.AppendLine(string.Format(CultureInfo.InvariantCulture, "  accounting: {0} recipients {1}", pair.Value, pair.Key));
        }

        foreach (var pair in breaches.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.AppendLine(string.Format(CultureInfo.InvariantCulture, "  breach: {0} × {1}", pair.Value, pair.Key));
        }

        foreach (var violation in Violations.Take(5))
        {
            text.AppendLine("  violation: " + Truncate(violation));
        }

        foreach (var example in examples)
        {
            text.AppendLine("  example: " + example);
        }

        return text.ToString();
    }

    private static string Truncate(string text) => text.Length <= 400 ? text : text.Substring(0, 400) + "…";

    private void Run()
    {
        var watch = Stopwatch.StartNew();
        clock = new VirtualClock(new DateTimeOffset(2026, 5, 12, 6, 0, 0, TimeSpan.Zero));
        const string Config = """
            {
              "agent": { "lookupBudgetMilliseconds": 100 },
              "defer": { "retryMinutes": 15, "maxDeferMinutes": 30 },
              "downgrade": { "notice": { "text": "A message is waiting for you in the LinkSecure portal." } }
            }
            """;
        var server = new SimSmtpServer("contoso.example").WithAcceptedDomain("relay.contoso.example", AcceptedDomainType.InternalRelay);
        using var harness = new AgentHarness(Config, withLog: false, server: server, forkMode: options.ForkMode, clock: clock);
        routing = harness.Runtime.Current.Settings.Routing;

        AddDomains(harness.Profiles);
        var faults = new RandomFaultPlan(options.Seed)
        {
            CallFaultRate = options.ExchangeFaults ? 0.02 : 0,
            RemoveRefusalRate = options.ExchangeFaults ? 0.01 : 0,
            MalformedHeaderRate = options.ExchangeFaults ? 0.02 : 0,
        };
        foreach (var name in new[] { "Link-Security", "X-Link-Security", "Subject" })
        {
            faults.MalformedHeaderNames.Add(name);
        }

        // The unverified variants rotate per batch: property survival, content conversion, agent lifetime, received kind.
        var variants = new[]
        {
            Pipeline(harness, server, faults, keep: true, TnefUntil.Routed, AgentLifetime.PerMailItem, DateTimeKind.Utc),
            Pipeline(harness, server, faults, keep: false, TnefUntil.Routed, AgentLifetime.PerEventInvocation, DateTimeKind.Local),
            Pipeline(harness, server, faults, keep: true, TnefUntil.Categorized, AgentLifetime.PerEventInvocation, DateTimeKind.Unspecified),
            Pipeline(harness, server, faults, keep: false, TnefUntil.None, AgentLifetime.PerMailItem, DateTimeKind.Utc),
        };

        for (var batch = 0; MessagesSent < options.Messages; batch++)
        {
            var pipeline = variants[batch % variants.Length];
            var items = new List<SimMailItem>();
            while (items.Count < options.BatchSize && MessagesSent < options.Messages)
            {
                items.Add(NextMessage());
            }

            pipeline.SubmitMany(items, options.Parallelism);
            pipeline.RunUntilSettled(options.MaxRounds, options.Parallelism);
            Check(pipeline);
            pipeline.ClearResults();
            sent.Clear();
        }

        foreach (var pipeline in variants)
        {
            Copies += pipeline.CopyCount;
            Forks += pipeline.ForkCount;
            Deferrals += pipeline.DeferralCount;
            Retries += pipeline.RetryCount;
            Ndrs += pipeline.BounceCount;
            EscapedExceptions += pipeline.EscapedExceptionCount;
            InjectedFaults += pipeline.InjectedFaultCount;
            RefusedRemoves += pipeline.RefusedRemoveCount;
            AsyncInvocations += pipeline.AsyncCount;
            Violations.AddRange(pipeline.Violations);
        }

        Elapsed = watch.Elapsed;
    }

    private TransportPipeline Pipeline(AgentHarness harness, SimSmtpServer server, IFaultPlan faults, bool keep, TnefUntil tnef, AgentLifetime lifetime, DateTimeKind kind) =>
        new(harness.Factory, server)
        {
            ForkMode = options.ForkMode,
            ForkKeepsProperties = keep,
            DeferReverts = options.DeferReverts,
            TnefUntil = tnef,
            AgentLifetime = lifetime,
            ReceivedKind = kind,
            Clock = clock,
            Faults = faults,
            AsyncTimeout = TimeSpan.FromSeconds(20),
            MaxItemsInFlight = options.MaxItemsInFlight,
            TraceEnabled = false,

            // The Send connectors the installer creates serve exactly the routing domains of the settings.
            ServedRoutingDomains = new HashSet<string>(new[] { routing.DomainValidationDomain, routing.CertificateValidationDomain, routing.EncryptionOnlyDomain, routing.SmartHostDomain }, StringComparer.OrdinalIgnoreCase),
        };

    /// <summary>Domain classes: what the recipient's link offers, and how its lookup behaves.</summary>
    private void AddDomains(FakeProfileSource profiles)
    {
        for (var i = 0; i < 8; i++)
        {
            // Authenticating route: MTA-STS-style pinned names under one TLS domain; levels 1-4.
            profiles.WithCached(Add("dv" + i, isCached: true), 1 + (i % 4), "*.mx.dv" + i + ".example");

            // Levels from DANE alone: no route of Exchange authenticates the server.
            profiles.WithCached(Add("dane" + i, isCached: true), 1 + (i % 3));

            // Unknown domains, cached or looked up (level 0).
            profiles.WithCached(Add("plain" + i, isCached: true), 0);
            Add("fresh" + i);

            // Asynchronous lookups that answer within a few milliseconds (at once without slow lookups).
            var slow = Add("slow" + i);
            var delay = 1 + (i * 2);
            var level = 1 + (i % 4);
            if (options.SlowLookups)
            {
                profiles.WithLookup(slow, async ct =>
                {
                    await Task.Delay(delay, ct).ConfigureAwait(false);
                    return FakeProfileSource.Profile(slow, level, "*.mx." + slow);
                });
            }
            else
            {
                profiles.WithAsync(slow, level, "*.mx." + slow);
            }
        }

        for (var i = 0; i < 3; i++)
        {
            // Pinned names no one TLS domain covers.
            profiles.WithCached(Add("split" + i, isCached: true), 2, "*.mx.split" + i + ".example", "*.mail.hoster" + i + ".example");

            // SERVFAIL every time: deferred until maxDeferMinutes, then the fallback.
            profiles.WithTemporaryFailure(Add("tempfail" + i));

            // SERVFAIL during the first 20 minutes of every virtual hour, then level 2 with pinned names.
            var flaky = Add("flaky" + i);
            profiles.WithLookup(flaky, _ => Task.FromResult(clock.UtcNow.Minute < 20
                ? DomainProfile.TemporaryFailure(flaky, TemporaryFailureKind.Lookup, "SERVFAIL (flaky)")
                : FakeProfileSource.Profile(flaky, 2, "*.mx." + flaky)));

            profiles.WithFailure(Add("broken" + i));
        }

        // A lookup that honours cancellation but never answers, one that never finishes at all, and one that answers
        // after the budget, ignoring cancellation.
        profiles.WithHang(Add("hang"));
        var never = new TaskCompletionSource<DomainProfile>();
        profiles.WithLookup(Add("void"), _ => never.Task);
        var late = Add("late");
        profiles.WithLookup(late, async _ =>
        {
            await Task.Delay(250, CancellationToken.None).ConfigureAwait(false);
            return FakeProfileSource.Profile(late, 2, "*.mx." + late);
        });
    }

    private string Add(string name, bool isCached = false)
    {
        var domain = name + ".example";
        domains.Add(domain);
        if (name is not ("hang" or "void" or "late"))
        {
            (isCached ? cached : lookedUp).Add(domain);
        }

        return domain;
    }

    private SimMailItem NextMessage()
    {
        var n = MessagesSent++;
        var tagged = rng.Next(100) < 60;
        (string? Header, string? Value) request = tagged ? Requests[rng.Next(Requests.Length)] : rng.Next(20) == 0 ? ("TLS-Required", "No") : (null, null);
        var safePart = rng.Next(2) == 0;
        var token = string.Format(CultureInfo.InvariantCulture, "SECRET-{0}-{1}", options.Seed, n);
        var mime = Mime(n, request.Header, request.Value, safePart, token);
        var parsed = request.Header is null
            ? LinkSecurityRequest.None
            : RequestParser.Parse(new[] { new KeyValuePair<string, string>(request.Header, request.Value!) });

        var count = 1 + rng.Next(6);
        var recipients = new List<SimRecipient>();
        var internals = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var r = 0; r < count; r++)
        {
            var local = "u" + r.ToString(CultureInfo.InvariantCulture);
            var pick = rng.Next(1000);
            SimRecipient recipient;
            if (pick < 100)
            {
                recipient = new SimRecipient(local + "@contoso.example", RecipientCategory.InSameOrganization);
                internals.Add(recipient.Address.ToString());
            }
            else if (options.RelayAndContacts && pick < 130)
            {
                recipient = new SimRecipient(local + "@relay.contoso.example");
            }
            else if (options.RelayAndContacts && pick < 160)
            {
                recipient = new SimRecipient(local + "@" + domains[rng.Next(domains.Count)]) { IsMailContact = true };
            }
            else if (options.SlowLookups && pick < 163)
            {
                recipient = new SimRecipient(local + "@" + (pick == 160 ? "hang" : pick == 161 ? "void" : "late") + ".example");
            }
            else
            {
                // Mostly domains whose profile is cached, as on a server that has run for a while; a tenth need a lookup.
                var pool = pick < 260 ? lookedUp : cached;
                recipient = new SimRecipient(local + "@" + pool[rng.Next(pool.Count)]);
            }

            recipients.Add(recipient);
        }

        var item = new SimMailItem(mime, recipients, "alice@contoso.example", isTnef: rng.Next(10) == 0)
        {
            Lineage = options.Seed.ToString(CultureInfo.InvariantCulture) + "-" + n.ToString(CultureInfo.InvariantCulture),
        };
        sent[item.SubmissionId] = new Sent(parsed.IsRequested, token, mime, internals);
        RecipientsSent += count;
        return item;
    }

    private static byte[] Mime(int n, string? header, string? value, bool safePart, string token)
    {
        var text = new StringBuilder(512);
        text.Append("From: alice@contoso.example\r\n");
        text.Append("To: partner@partner.example\r\n");
        text.Append("Subject: statement ").Append(n.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        text.Append("Message-ID: <fault").Append(n.ToString(CultureInfo.InvariantCulture)).Append("@contoso.example>\r\n");
        text.Append("MIME-Version: 1.0\r\n");

        // Submitted inside the organisation: the request and waiver fields count (docs/agent.md).
        text.Append("X-MS-Exchange-Organization-AuthAs: Internal\r\n");
        if (header is not null)
        {
            text.Append(header).Append(": ").Append(value).Append("\r\n");
        }

        if (safePart)
        {
            text.Append("Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n");
            text.Append("--b1\r\nContent-Type: text/plain\r\nLink-Security-Part: safe\r\n\r\n").Append(SafeText).Append("\r\n");
            text.Append("--b1\r\nContent-Type: text/plain\r\n\r\nConfidential: ").Append(token).Append("\r\n--b1--\r\n");
        }
        else
        {
            text.Append("Content-Type: text/plain\r\n\r\nConfidential: ").Append(token).Append("\r\n");
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }

    private void Check(TransportPipeline pipeline)
    {
        var outcomes = pipeline.SnapshotOutcomes();
        var report = AccountingReport.Check(pipeline.Submissions, outcomes);
        Delivered += report.Delivered;
        Bounced += report.Bounced;
        StillDeferred += report.Deferred;
        Held += report.Unreachable;
        foreach (var pair in report.ProblemCounts)
        {
            accounting[pair.Key] = accounting.TryGetValue(pair.Key, out var n) ? n + pair.Value : pair.Value;
        }

        if (!report.IsBalanced && examples.Count < 12)
        {
            examples.Add("accounting: " + report.Problems[0]);
        }

        foreach (var outcome in outcomes)
        {
            if (outcome.Kind == OutcomeKind.Delivered)
            {
                CheckDelivery(outcome, sent[outcome.SubmissionId]);
            }
        }
    }

    private void CheckDelivery(RecipientOutcome outcome, Sent message)
    {
        var rewritten = !outcome.Mime.SequenceEqual(message.Mime);
        var text = Encoding.UTF8.GetString(outcome.Mime);
        var leaks = text.Contains(message.Token);
        var authenticated = Authenticates(outcome);
        if (authenticated)
        {
            SecureDeliveries++;
        }

        if (rewritten)
        {
            Downgrades++;
            if (leaks)
            {
                Breach("a rewritten copy carries the secret token", outcome);
            }

            if (text.Contains("X-MS-Exchange-Organization-LinkSecure-Downgraded: level=") && text.Contains("; contained\r\n"))
            {
                // The agent's last resort when a recipient could neither be bounced nor held: header fields only.
                Contained++;
            }
            else if (!text.Contains("Link-Security-Downgraded") || !(text.Contains(SafeText) || text.Contains(NoticeText)))
            {
                Breach("a rewritten copy lacks the safe part or the notice", outcome);
            }
        }

        if (!message.Tagged)
        {
            if (rewritten || outcome.Override is not null)
            {
                Breach("an untagged message was not delivered untouched", outcome);
            }

            return;
        }

        if (leaks && !authenticated && !message.Internal.Contains(outcome.Address))
        {
            Breach("a tagged external recipient got the secret over a route that does not authenticate the server", outcome);
        }
    }

    /// <summary>Invariant 3's route: the DomainValidation connector's routing domain with a TLS domain set, or the smart host
    /// in smartHost mode; the names come from the agent's settings.</summary>
    private bool Authenticates(RecipientOutcome outcome)
    {
        var domain = outcome.Override?.RoutingDomain.Domain;
        if (domain is null)
        {
            return false;
        }

        return routing.Mode == RoutingMode.SmartHost
            ? string.Equals(domain, routing.SmartHostDomain, StringComparison.OrdinalIgnoreCase)
            : string.Equals(domain, routing.DomainValidationDomain, StringComparison.OrdinalIgnoreCase) && !string.IsNullOrEmpty(outcome.TlsDomain);
    }

    private void Breach(string kind, RecipientOutcome outcome)
    {
        breaches[kind] = breaches.TryGetValue(kind, out var n) ? n + 1 : 1;
        if (examples.Count < 12)
        {
            examples.Add(string.Format(CultureInfo.InvariantCulture, "{0}: message {1} ({2}), {3}, item {4}, route {5}", kind, outcome.SubmissionId, outcome.Item.Lineage, outcome.Address, outcome.Item.Id, outcome.Override?.ToString() ?? "none"));
        }
    }

    private sealed class Sent
    {
        public Sent(bool tagged, string token, byte[] mime, HashSet<string> internals)
        {
            Tagged = tagged;
            Token = token;
            Mime = mime;
            Internal = internals;
        }

        public bool Tagged { get; }

        public string Token { get; }

        public byte[] Mime { get; }

        public HashSet<string> Internal { get; }
    }
}
