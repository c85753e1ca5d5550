using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using LinkSecure.Exchange.Simulator;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Routing;

namespace LinkSecure.Exchange.LoadTest;

/// <summary>Loads the published agent like Exchange does and pushes messages through it.</summary>
internal static class Program
{
    private const string FactoryType = "LinkSecure.Exchange.LinkSecureRoutingAgentFactory";
    private const string OfflineConfiguration =
        "{ \"resolver\": { \"enabled\": false }, \"overrides\": [ { \"domain\": \"partner.example\", \"level\": 2, \"mx\": [\"*.mx.partner.example\"] } ] }";
    private static readonly List<string> Failures = new();
    private static int passed;

    private static int Main(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine("usage: LinkSecure.Exchange.LoadTest.exe <published-agent-folder> [--bench] [--messages N]");
            return 2;
        }

        if (args[0] == "--refs")
        {
            // Prints an assembly's references, one per line, sorted (to compare two builds).
            foreach (var reference in Assembly.LoadFrom(args[1]).GetReferencedAssemblies().Select(r => r.FullName).OrderBy(n => n, StringComparer.Ordinal))
            {
                Console.WriteLine(reference);
            }

            return 0;
        }

        var published = Path.GetFullPath(args[0]);
        var bench = args.Contains("--bench");
        var messages = args.SkipWhile(a => a != "--messages").Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault();
        if (messages == 0)
        {
            messages = 2000;
        }

        Console.WriteLine($"runtime: {RuntimeDescription()}");
        Check("published folder is complete and carries no Exchange SDK assembly", () => CheckPublishedFolder(published));
        Check("host carries none of the agent's dependencies", CheckHostFolder);

        // Deploy a copy, as an installer would, with a configuration beside the DLL. Offline (resolver.enabled false):
        // the outcome must not depend on the machine's DNS, so profiles come from the override and the database alone
        // (partner.example: level 2 with pinned MX names; every other domain: level 0). The agent's lookups are covered
        // by tests/LinkSecure.Exchange.Tests (fake profile sources, a loopback DNS responder for the DNSSEC self-test).
        var agentDir = Path.Combine(Path.GetTempPath(), "linksecure-loadtest", Guid.NewGuid().ToString("N"));
        CopyDirectory(published, agentDir);
        File.WriteAllText(Path.Combine(agentDir, "LinkSecure.config.json"), OfflineConfiguration);

        RoutingAgentFactory? factory = null;
        Check("Assembly.LoadFrom + CreateInstance of the factory by type name", () =>
        {
            var assembly = Assembly.LoadFrom(Path.Combine(agentDir, "LinkSecure.Exchange.dll"));
            var instance = assembly.CreateInstance(FactoryType) ?? throw new InvalidOperationException(FactoryType + " not found");
            factory = instance as RoutingAgentFactory ?? throw new InvalidOperationException("agent version mismatch: the factory is not a RoutingAgentFactory of the host's SDK");
        });

        if (factory is not null)
        {
            var pipeline = new TransportPipeline(factory, new SimSmtpServer("contoso.example"));
            Check("tagged safe-part message end to end", () => TaggedSafePart(pipeline));
            Check("untagged message passes untouched", () => Untagged(pipeline));
            Check("every reference of every agent DLL resolves", () => CheckReferences(agentDir));
            Check("dependencies were loaded from the agent folder", () => CheckLoadedFrom(agentDir));
            Check($"load: {messages} mixed messages", () => Load(pipeline, messages));
            if (bench)
            {
                Check("benchmark", () => Benchmark(factory, QuietFactory(agentDir)));
            }

            factory.Close();
            Check("decision log written through the agent's private NLog configuration", () => CheckLog(agentDir));
        }

        try
        {
            Directory.Delete(agentDir, recursive: true);
        }
        catch (IOException)
        {
        }

        foreach (var failure in Failures)
        {
            Console.WriteLine("FAILED: " + failure);
        }

        Console.WriteLine($"load-test: {passed} passed, {Failures.Count} failed");
        return Failures.Count == 0 ? 0 : 1;
    }

    private static void Check(string name, Action action)
    {
        try
        {
            action();
            passed++;
            Console.WriteLine("ok   " + name);
        }
        catch (Exception ex)
        {
            Failures.Add(name + ": " + ex.Message);
            Console.WriteLine("FAIL " + name + ": " + ex);
        }
    }

    private static void Assert(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }

    private static string RuntimeDescription()
    {
        var mono = Type.GetType("Mono.Runtime");
        var display = mono?.GetMethod("GetDisplayName", BindingFlags.NonPublic | BindingFlags.Static)?.Invoke(null, null);
        return display is null ? ".NET Framework " + Environment.Version : "Mono " + display;
    }

    private static void CheckPublishedFolder(string dir)
    {
        Assert(Directory.Exists(dir), dir + " does not exist");
        var files = Directory.GetFiles(dir).Select(Path.GetFileName).ToList();
        var exchange = files.Where(f => f!.StartsWith("Microsoft.Exchange.", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert(exchange.Count == 0, "Exchange SDK assemblies in the published folder: " + string.Join(", ", exchange));
        foreach (var required in new[] { "LinkSecure.Exchange.dll", "LinkSecure.Core.dll", "NLog.dll", "MimeKit.dll", "DnsClient.dll", "System.Text.Json.dll", "System.ValueTuple.dll", "LinkSecure.nlog.config", "LinkSecure.config.json" })
        {
            Assert(files.Contains(required, StringComparer.OrdinalIgnoreCase), required + " missing from the published folder");
        }

        var names = Directory.GetFiles(dir, "*.dll").Select(f => AssemblyName.GetAssemblyName(f)).ToList();
        var duplicates = names.GroupBy(n => n.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert(duplicates.Count == 0, "several versions of: " + string.Join(", ", duplicates));
        Console.WriteLine($"     {names.Count} assemblies: {string.Join(", ", names.Select(n => n.Name + " " + n.Version).OrderBy(s => s, StringComparer.Ordinal))}");
    }

    private static void CheckHostFolder()
    {
        var hostDir = AppDomain.CurrentDomain.BaseDirectory;
        foreach (var dependency in new[] { "LinkSecure.Exchange.dll", "LinkSecure.Core.dll", "NLog.dll", "MimeKit.dll", "System.Text.Json.dll" })
        {
            Assert(!File.Exists(Path.Combine(hostDir, dependency)), dependency + " is in the host folder");
        }
    }

    /// <summary>Every reference binds under Mono. Mono ignores versions, so whether .NET Framework 4.8 would bind them too is
    /// the closure check's question (tests/LinkSecure.Exchange.ClosureCheck, run before this test).</summary>
    private static void CheckReferences(string dir)
    {
        var shipped = new HashSet<string>(Directory.GetFiles(dir, "*.dll").Select(f => AssemblyName.GetAssemblyName(f).Name!), StringComparer.OrdinalIgnoreCase);
        var problems = new List<string>();
        foreach (var file in Directory.GetFiles(dir, "*.dll"))
        {
            var assembly = Assembly.LoadFrom(file);
            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                if (reference.Name!.StartsWith("Microsoft.Exchange.", StringComparison.OrdinalIgnoreCase) || shipped.Contains(reference.Name))
                {
                    continue;
                }

                try
                {
                    Assembly.Load(reference);
                }
                catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
                {
                    problems.Add($"{Path.GetFileName(file)} -> {reference.FullName}: {ex.Message}");
                }
            }
        }

        Assert(problems.Count == 0, string.Join("; ", problems));
    }

    private static void CheckLoadedFrom(string dir)
    {
        var full = Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        foreach (var name in new[] { "LinkSecure.Exchange", "LinkSecure.Core", "NLog", "System.Text.Json" })
        {
            var loaded = AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name == name).ToList();
            Assert(loaded.Count == 1, $"{name} loaded {loaded.Count} times");
            Assert(loaded[0].Location.StartsWith(full, StringComparison.Ordinal), $"{name} loaded from {loaded[0].Location}");
        }
    }

    private static byte[] Message(string? linkSecurity, bool safePart, int n)
    {
        var builder = new StringBuilder();
        builder.Append("From: alice@contoso.example\r\n");
        builder.Append("To: bob@partner.example\r\n");
        builder.Append("Subject: load test ").Append(n).Append("\r\n");
        builder.Append("Message-ID: <load").Append(n).Append("@contoso.example>\r\n");
        builder.Append("MIME-Version: 1.0\r\n");
        if (linkSecurity is not null)
        {
            builder.Append("Link-Security: ").Append(linkSecurity).Append("\r\n");
        }

        if (safePart)
        {
            builder.Append("Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n");
            builder.Append("--b1\r\nContent-Type: text/plain\r\nLink-Security-Part: safe\r\n\r\nA message is waiting in the secure portal.\r\n");
            builder.Append("--b1\r\nContent-Type: text/plain\r\n\r\nConfidential figures.\r\n--b1--\r\n");
        }
        else
        {
            builder.Append("Content-Type: text/plain\r\n\r\nHello.\r\n");
        }

        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private static void TaggedSafePart(TransportPipeline pipeline)
    {
        pipeline.Outcomes.Clear();
        var item = new SimMailItem(
            Message("level=1; fallback=safe-part", safePart: true, 1),
            new[]
            {
                new SimRecipient("ann@contoso.example", RecipientCategory.InSameOrganization),
                new SimRecipient("bob@partner.example"),
                new SimRecipient("cat@plain.example"),
            });
        pipeline.Submit(item);
        Assert(pipeline.Violations.IsEmpty, string.Join("; ", pipeline.Violations));
        var outcomes = pipeline.Outcomes.ToDictionary(o => o.Address);
        Assert(outcomes.Count == 3, "expected 3 outcomes, got " + outcomes.Count);
        Assert(outcomes["ann@contoso.example"].Kind == OutcomeKind.Delivered && outcomes["ann@contoso.example"].Override is null, "internal recipient was altered");
        var bob = outcomes["bob@partner.example"];
        Assert(bob.Kind == OutcomeKind.Delivered && bob.Override?.RoutingDomain.Domain == "linksecure-dv.invalid" && bob.Override.DeliveryQueueDomain == DeliveryQueueDomain.UseRecipientDomain && bob.TlsDomain == "*.mx.partner.example", "partner.example not routed to the authenticating DomainValidation connector with TLS domain *.mx.partner.example");

        // plain.example is not link-secure: it gets the core's downgraded copy — the safe part only, no route override.
        var cat = outcomes["cat@plain.example"];
        Assert(cat.Kind == OutcomeKind.Delivered && cat.Override is null, "plain.example should get the downgraded copy, got " + cat.Kind + " " + cat.Response);
        var copy = Encoding.UTF8.GetString(cat.Mime);
        Assert(copy.Contains("Link-Security-Downgraded:"), "the downgraded copy has no Link-Security-Downgraded trace header");
        Assert(copy.Contains("A message is waiting in the secure portal."), "the safe part is missing from the downgraded copy");
        Assert(!copy.Contains("Confidential figures."), "the downgraded copy leaks the confidential part");
        Assert(pipeline.Outcomes.Where(o => o.Address != "cat@plain.example").All(o => !Encoding.UTF8.GetString(o.Mime).Contains("Link-Security-Downgraded:")), "a recipient other than the downgraded one got the rewritten copy");
        Console.WriteLine($"     forks={pipeline.ForkCount}; bob -> {bob.Override}; cat -> downgraded copy of {cat.Mime.Length} bytes");
    }

    private static void Untagged(TransportPipeline pipeline)
    {
        pipeline.Outcomes.Clear();
        var mime = Message(null, safePart: false, 2);
        var item = new SimMailItem(mime, new[] { new SimRecipient("bob@partner.example"), new SimRecipient("cat@plain.example") });
        pipeline.Submit(item);
        Assert(pipeline.Violations.IsEmpty, string.Join("; ", pipeline.Violations));
        Assert(pipeline.Outcomes.All(o => o.Kind == OutcomeKind.Delivered && o.Override is null && ReferenceEquals(o.Mime, mime)), "untagged mail was altered");
    }

    private static void Load(TransportPipeline pipeline, int count)
    {
        var random = new Random(7);
        var requests = new[] { null, null, null, "level=1", "level=1; fallback=safe-part", "level=2; fallback=bounce", "level=3" };
        var domains = new[] { "partner.example", "plain.example", "contoso.example", "other.example" };
        var watch = Stopwatch.StartNew();
        var recipients = 0;
        for (var i = 0; i < count; i++)
        {
            pipeline.Outcomes.Clear();
            pipeline.Trace.Clear();
            var n = random.Next(1, 6);
            var list = Enumerable.Range(0, n).Select(r => new SimRecipient("u" + r + "@" + domains[random.Next(domains.Length)])).ToList();
            pipeline.Submit(new SimMailItem(Message(requests[random.Next(requests.Length)], random.Next(2) == 0, i + 10), list));
            Assert(pipeline.Outcomes.Count == n, $"message {i}: {n} recipients, {pipeline.Outcomes.Count} outcomes");
            recipients += n;
        }

        watch.Stop();
        Assert(pipeline.Violations.IsEmpty, string.Join("; ", pipeline.Violations.Take(5)));
        Console.WriteLine($"     {count} messages, {recipients} recipients in {watch.ElapsedMilliseconds} ms ({count / watch.Elapsed.TotalSeconds:0} messages/s, simulator included)");
    }

    /// <summary>A second factory from the same folder whose NLog configuration logs nothing (to separate the logging cost).</summary>
    private static RoutingAgentFactory QuietFactory(string agentDir)
    {
        var config = Path.Combine(agentDir, "LinkSecure.nlog.config");
        var original = File.ReadAllText(config);
        File.WriteAllText(config, "<nlog><rules><logger name=\"*\" minlevel=\"Off\" final=\"true\" /></rules></nlog>");
        try
        {
            var assembly = Assembly.LoadFrom(Path.Combine(agentDir, "LinkSecure.Exchange.dll"));
            return (RoutingAgentFactory)assembly.CreateInstance(FactoryType)!;
        }
        finally
        {
            File.WriteAllText(config, original);
        }
    }

    private static void Benchmark(RoutingAgentFactory factory, RoutingAgentFactory quiet)
    {
        const int N = 5000;
        var untagged = Enumerable.Range(0, 2 * N).Select(i => Message(null, false, i)).ToArray();
        var tagged = Enumerable.Range(0, 2 * N).Select(i => Message("level=1", false, i)).ToArray();
        var baseline = new TransportPipeline(new NoAgentFactory(), new SimSmtpServer("contoso.example"));
        var agent = new TransportPipeline(factory, new SimSmtpServer("contoso.example"));
        var quietAgent = new TransportPipeline(quiet, new SimSmtpServer("contoso.example"));

        double PerMessage(TransportPipeline pipeline, byte[][] mimes)
        {
            // Items are built outside the timed region; the pipeline bookkeeping is the same for both pipelines.
            var items = mimes.Select(m => new SimMailItem(m, new[] { new SimRecipient("bob@partner.example"), new SimRecipient("carol@partner.example") })).ToArray();
            for (var i = 0; i < N; i++)
            {
                pipeline.Submit(items[i]);
            }

            pipeline.Outcomes.Clear();
            pipeline.Trace.Clear();
            var watch = Stopwatch.StartNew();
            for (var i = N; i < 2 * N; i++)
            {
                pipeline.Submit(items[i]);
            }

            watch.Stop();
            pipeline.Outcomes.Clear();
            pipeline.Trace.Clear();
            return watch.Elapsed.TotalMilliseconds * 1000 / N;
        }

        // Best of three rounds: the machine is shared, so the minimum is the most repeatable figure.
        double baseUntagged = double.MaxValue, agentUntagged = double.MaxValue, baseTagged = double.MaxValue, agentTagged = double.MaxValue, quietTagged = double.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            quietTagged = Math.Min(quietTagged, PerMessage(quietAgent, tagged));
            baseUntagged = Math.Min(baseUntagged, PerMessage(baseline, untagged));
            agentUntagged = Math.Min(agentUntagged, PerMessage(agent, untagged));
            baseTagged = Math.Min(baseTagged, PerMessage(baseline, tagged));
            agentTagged = Math.Min(agentTagged, PerMessage(agent, tagged));
        }

        Console.WriteLine($"     simulator without agent: {baseUntagged:0.0} µs/message");
        Console.WriteLine($"     agent overhead, untagged message (2 recipients): {agentUntagged - baseUntagged:0.0} µs/message");
        Console.WriteLine($"     agent overhead, tagged message, cached profiles (2 recipients, secure route), decision log on: {agentTagged - baseTagged:0.0} µs/message");
        Console.WriteLine($"     agent overhead, tagged message, cached profiles (2 recipients, secure route), decision log off: {quietTagged - baseTagged:0.0} µs/message");
        Assert(agent.Violations.IsEmpty && quietAgent.Violations.IsEmpty, string.Join("; ", agent.Violations.Concat(quietAgent.Violations).Take(5)));
        quiet.Close();
    }

    private static void CheckLog(string dir)
    {
        var logs = Path.Combine(dir, "logs");
        Assert(Directory.Exists(logs), "no logs folder in the agent folder");
        var decisions = Directory.GetFiles(logs, "decisions-*.jsonl");
        Assert(decisions.Length == 1, "no decision log");
        var lines = File.ReadAllLines(decisions[0]);
        Assert(lines.Any(l => l.Contains("\"decision\":\"Secure\"") && l.Contains("\"recipientDomain\":\"partner.example\"")), "no structured Secure decision line: " + lines.FirstOrDefault());
        Console.WriteLine($"     {lines.Length} decision lines; first: {lines[0]}");
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    private sealed class NoAgentFactory : RoutingAgentFactory
    {
        public override RoutingAgent CreateAgent(SmtpServer server) => new NoAgent();
    }

    private sealed class NoAgent : RoutingAgent
    {
    }
}
