using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Network;
using LinkSecure.Core.Probing;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Cli;

/// <summary><c>linksecure check</c>: probe domains like a sending MTA and say what the agent will do (docs/cli.md).</summary>
internal sealed class CheckCommand
{
    /// <summary>The version of the JSON output's shape (docs/cli.md, docs/schemas/check-output.schema.json).</summary>
    public const int SchemaVersion = 2;

    private readonly CommonOptions common = new();

    private readonly Argument<string[]> domains = new("domain")
    {
        Description = "Domains to check.",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private readonly Option<FileInfo?> fromFile = new("--from-file")
    {
        Description = "Read more domains from a file, one per line ('#' starts a comment); '-' reads standard input.",
    };

    private readonly Option<bool> json = new("--json") { Description = "Print JSON (docs/cli.md, \"check JSON output\") instead of tables." };

    private readonly Option<int> requireLevel = new("--require-level")
    {
        Description = "The level every domain must reach for exit code 0 (0-4).",
        DefaultValueFactory = _ => 1,
    };

    private readonly Option<int> requestLevel = new("--request-level")
    {
        Description = "The level of the tagged message the decision is shown for (Link-Security: level=N; fallback=bounce; 1-4).",
        DefaultValueFactory = _ => 1,
    };

    private readonly Option<int> concurrency = new("--concurrency")
    {
        Description = "How many domains are checked at once (1-500).",
        DefaultValueFactory = _ => 10,
    };

    private readonly Option<int> smtpPort = new("--smtp-port")
    {
        Description = "The SMTP port to probe (25; other values for private setups and tests).",
        DefaultValueFactory = _ => 25,
    };

    private readonly Option<double> timeout = new("--timeout")
    {
        Description = "Time budget in seconds of the SMTP conversation with one MX address (1-600).",
        DefaultValueFactory = _ => 30,
    };

    private readonly Option<string?> heloName = new("--helo-name")
    {
        Description = "The name sent with EHLO. Default: the address literal of the local end, e.g. [192.0.2.1].",
    };

    private readonly Option<FileInfo?> learnedStore = new("--learned-store")
    {
        Description = "The learned-capability store to write (replaces resolver.learnedStorePath).",
    };

    private readonly Option<int?> learnedTtl = new("--learned-ttl")
    {
        Description = "Seconds an observation without a LINKSECURE max-age stays in the learned store (replaces resolver.learnedDefaultTtlSeconds).",
    };

    private readonly Option<bool> noRecord = new("--no-record")
    {
        Description = "Do not write what the probes observed to the learned store.",
    };

    private readonly Option<bool> noProgress = new("--no-progress")
    {
        Description = "No progress bar or progress lines for bulk checks.",
    };

    public Command Build()
    {
        var command = new Command("check", "Probe each domain's MX hosts like a sending MTA (STARTTLS, TLS, certificate, MTA-STS and DANE match, REQUIRETLS, LINKSECURE), record what was learned, and show the level and what ExchangeLinkSecure will do with a tagged message.\n\nExit codes: 0 every domain at or above --require-level; 1 some domain below it; 2 usage error (also an invalid domain in --from-file); 3 runtime failure (a lookup failed temporarily, the learned store could not be written).");
        command.Arguments.Add(domains);
        command.Options.Add(fromFile);
        command.Options.Add(json);
        command.Options.Add(requireLevel);
        command.Options.Add(requestLevel);
        command.Options.Add(concurrency);
        command.Options.Add(smtpPort);
        command.Options.Add(timeout);
        command.Options.Add(heloName);
        command.Options.Add(learnedStore);
        command.Options.Add(learnedTtl);
        command.Options.Add(noRecord);
        command.Options.Add(noProgress);
        common.AddTo(command);
        common.AddNetworkTo(command, offline: false);
        command.SetAction((result, cancellationToken) => RunAsync(result, cancellationToken));
        return command;
    }

    internal static string Verdict(DomainCheckResult r, int required) =>
        r.Profile.Status == ProfileStatus.TemporaryFailure ? "unknown" : (int)r.Level >= required ? "at-or-above" : "below";

    private static void Check(bool ok, string message)
    {
        if (!ok)
        {
            throw new UsageException(message);
        }
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        var required = result.GetValue(requireLevel);
        var requested = result.GetValue(requestLevel);
        var parallel = result.GetValue(concurrency);
        var port = result.GetValue(smtpPort);
        var seconds = result.GetValue(timeout);
        var ttl = result.GetValue(learnedTtl);
        Check(required is >= 0 and <= 4, $"--require-level {required} is out of range; expected 0 to 4.");
        Check(requested is >= 1 and <= 4, $"--request-level {requested} is out of range; expected 1 to 4.");
        Check(parallel is >= 1 and <= 500, $"--concurrency {parallel} is out of range; expected 1 to 500.");
        Check(port is >= 1 and <= 65_535, $"--smtp-port {port} is out of range; expected 1 to 65535.");
        Check(seconds is >= 1 and <= 600, $"--timeout {seconds.ToString(CultureInfo.InvariantCulture)} is out of range; expected 1 to 600 seconds.");
        Check(ttl is null or (>= 60 and <= 31_557_600), $"--learned-ttl {ttl} is out of range; expected 60 to 31557600 seconds.");

        var named = result.GetValue(domains) ?? Array.Empty<string>();
        foreach (var name in named)
        {
            Check(DomainName.TryNormalize(name, out _), $"'{name}' is not a valid domain name.");
        }

        var file = result.GetValue(fromFile);
        long? total = named.Length;
        if (file is not null)
        {
            if (file.Name == "-")
            {
                total = null;
            }
            else
            {
                Check(file.Exists, $"--from-file {file.FullName} does not exist.");
                total = named.Length + CountLines(file);
            }
        }

        Check(named.Length > 0 || file is not null, "Name at least one domain, or --from-file.");

        var settings = common.ApplyNetworkOverrides(result, common.LoadSettings(result), result.GetValue(learnedStore)?.FullName, ttl is { } t ? TimeSpan.FromSeconds(t) : null);
        var database = common.LoadDatabase(result, settings);
        DomainChecker checker;
        try
        {
            checker = DomainChecker.Create(settings, database, new DomainCheckOptions
            {
                Probe = new SmtpProbeOptions { Port = port, Budget = TimeSpan.FromSeconds(seconds), ConnectTimeout = TimeSpan.FromSeconds(Math.Min(10, seconds)), HeloName = result.GetValue(heloName) },
                RecordLearned = !result.GetValue(noRecord),
                RequestLevel = (LinkSecurityLevel)requested,
            });
        }
        catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new UsageException("Cannot set up the check (resolver.caFiles, --ca-file, DNS servers): " + ex.Message, ex);
        }
        catch (NoNameServerException ex)
        {
            throw new UsageException(ex.Message, ex);
        }

        using (checker)
        {
            // Once per invocation, not per domain: does the resolver whose AD bit is believed validate DNSSEC?
            var selfTest = await checker.SelfTestAsync(cancellationToken).ConfigureAwait(false);
            var resolver = new ResolverReport(checker.ResolverDescription, checker.ResolverWarnings.Concat(TrustText.SettingsWarnings(settings)).ToArray(), selfTest);
            var run = new Run(checker, required, result.GetValue(json), CheckProgress.Create(total != 1, !result.GetValue(noProgress), total), settings.Resolver.Enabled, settings.Routing, resolver);
            return await run.ExecuteAsync(Sources(named, file), parallel, cancellationToken).ConfigureAwait(false);
        }
    }

    private static long CountLines(FileInfo file)
    {
        long count = 0;
        foreach (var line in File.ReadLines(file.FullName))
        {
            if (Clean(line).Length > 0)
            {
                count++;
            }
        }

        return count;
    }

    private static string Clean(string line)
    {
        var hash = line.IndexOf('#', StringComparison.Ordinal);
        return (hash >= 0 ? line.Substring(0, hash) : line).Trim();
    }

    private static IEnumerable<Source> Sources(string[] named, FileInfo? file)
    {
        foreach (var name in named)
        {
            yield return new Source(name, null);
        }

        if (file is null)
        {
            yield break;
        }

        using var reader = file.Name == "-" ? new StreamReader(Console.OpenStandardInput()) : file.OpenText();
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            var text = Clean(line);
            if (text.Length > 0)
            {
                yield return new Source(text, number);
            }
        }
    }

    private sealed record Source(string Domain, int? Line);

    /// <summary>One invocation: runs checks concurrently, prints results in input order as they become ready, keeps
    /// at most a bounded window of results in memory, and counts the summary.</summary>
    private sealed class Run
    {
        private readonly DomainChecker checker;
        private readonly int required;
        private readonly bool asJson;
        private readonly CheckProgress progress;
        private readonly bool resolverEnabled;
        private readonly RoutingSettings routing;
        private readonly ResolverReport resolver;
        private readonly long[] levels = new long[5];
        private readonly Stopwatch watch = Stopwatch.StartNew();
        private long count;
        private long below;
        private long unknown;
        private long failed;
        private long recordErrors;
        private long invalid;
        private string? storeError;
        private bool first = true;

        public Run(DomainChecker checker, int required, bool asJson, CheckProgress progress, bool resolverEnabled, RoutingSettings routing, ResolverReport resolver)
        {
            this.routing = routing;
            this.resolver = resolver;
            this.checker = checker;
            this.required = required;
            this.asJson = asJson;
            this.progress = progress;
            this.resolverEnabled = resolverEnabled;
        }

        public async Task<int> ExecuteAsync(IEnumerable<Source> sources, int parallel, CancellationToken cancellationToken)
        {
            if (asJson)
            {
                progress.Write(string.Format(CultureInfo.InvariantCulture, "{{\n  \"schemaVersion\": {0},\n  \"requireLevel\": {1},\n  \"learnedStore\": {2},\n  \"resolver\": {3},\n  \"domains\": [", SchemaVersion, required, JsonSerializer.Serialize(checker.LearnedStorePath), Indent(ResolverJson(), "  ").TrimStart()));
            }
            else
            {
                progress.Write(CheckText.Header(resolver));
            }

            using var slots = new SemaphoreSlim(parallel, parallel);
            var window = new Queue<Task<Outcome>>();
            foreach (var source in sources)
            {
                if (!DomainName.TryNormalize(source.Domain, out var domain))
                {
                    invalid++;
                    await Console.Error.WriteLineAsync($"linksecure check: line {source.Line}: '{source.Domain}' is not a valid domain name; skipped.").ConfigureAwait(false);
                    continue;
                }

                await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                window.Enqueue(CheckOneAsync(domain, slots, cancellationToken));
                while (window.Count > 0 && (window.Peek().IsCompleted || window.Count >= parallel * 4))
                {
                    Emit(await window.Dequeue().ConfigureAwait(false));
                }
            }

            while (window.Count > 0)
            {
                Emit(await window.Dequeue().ConfigureAwait(false));
            }

            // Observations are written in coalesced batches during the run; write the rest before the summary.
            storeError = await checker.FlushLearnedStoreAsync().ConfigureAwait(false);
            progress.Finish();
            WriteSummary();
            return invalid > 0 ? ExitCodes.Usage
                : unknown > 0 || failed > 0 || recordErrors > 0 || storeError is not null ? ExitCodes.RuntimeFailure
                : below > 0 ? ExitCodes.Negative
                : ExitCodes.Ok;
        }

        private async Task<Outcome> CheckOneAsync(string domain, SemaphoreSlim slots, CancellationToken cancellationToken)
        {
            try
            {
                var checkResult = await checker.CheckAsync(domain, cancellationToken).ConfigureAwait(false);
                var verdict = Verdict(checkResult, required);
                progress.Completed(domain, verdict + ", level " + ((int)checkResult.Level).ToString(CultureInfo.InvariantCulture), verdict == "below", verdict == "unknown");
                return new Outcome(domain, checkResult, null);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                progress.Completed(domain, "failed: " + ex.Message, false, true);
                return new Outcome(domain, null, ex.GetType().Name + ": " + ex.Message);
            }
            finally
            {
                slots.Release();
            }
        }

        private void Emit(Outcome outcome)
        {
            count++;
            if (outcome.Result is not { } r)
            {
                failed++;
                progress.Write(asJson ? JsonFailure(outcome) : $"{outcome.Domain}: CHECK FAILED: {outcome.Error}\n\n");
                return;
            }

            levels[(int)r.Level]++;
            switch (Verdict(r, required))
            {
                case "below":
                    below++;
                    break;
                case "unknown":
                    unknown++;
                    break;
            }

            if (r.RecordError is not null)
            {
                recordErrors++;
            }

            progress.Write(asJson ? Json(r) : CheckText.Format(r, required, resolverEnabled, routing));
        }

        private string Separator()
        {
            var separator = first ? "\n" : ",\n";
            first = false;
            return separator;
        }

        private string Json(DomainCheckResult r)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                CheckJson.WriteDomain(writer, r, required, routing);
            }

            return Separator() + Indent(Encoding.UTF8.GetString(buffer.ToArray()), "    ");
        }

        private string ResolverJson()
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                CheckJson.WriteResolver(writer, resolver);
            }

            return Encoding.UTF8.GetString(buffer.ToArray());
        }

        private string JsonFailure(Outcome outcome)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                writer.WriteStartObject();
                writer.WriteString("domain", outcome.Domain);
                writer.WriteString("verdict", "failed");
                writer.WriteString("error", outcome.Error);
                writer.WriteEndObject();
            }

            return Separator() + Indent(Encoding.UTF8.GetString(buffer.ToArray()), "    ");
        }

        private static string Indent(string text, string prefix) =>
            string.Join("\n", text.Split('\n').Select(l => prefix + l));

        private void WriteSummary()
        {
            var atOrAbove = Math.Max(0, count - below - unknown - failed);
            if (asJson)
            {
                using var buffer = new MemoryStream();
                using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("domains", count);
                    writer.WriteNumber("atOrAbove", atOrAbove);
                    writer.WriteNumber("below", below);
                    writer.WriteNumber("unknown", unknown);
                    writer.WriteNumber("failed", failed);
                    writer.WriteNumber("invalid", invalid);
                    writer.WriteNumber("recordErrors", recordErrors);
                    writer.WriteStartObject("levels");
                    for (var i = 0; i < levels.Length; i++)
                    {
                        writer.WriteNumber(i.ToString(CultureInfo.InvariantCulture), levels[i]);
                    }

                    writer.WriteEndObject();
                    writer.WriteNumber("elapsedMs", (long)watch.Elapsed.TotalMilliseconds);
                    writer.WriteNumber("learnedStoreWrites", checker.LearnedStoreWrites);
                    writer.WriteString("learnedStoreError", storeError);
                    writer.WriteEndObject();
                }

                progress.Write((first ? string.Empty : "\n") + "  ],\n  \"summary\": " + Indent(Encoding.UTF8.GetString(buffer.ToArray()), "  ").TrimStart() + "\n}\n");
                return;
            }

            var text = new StringBuilder();
            text.Append(string.Format(CultureInfo.InvariantCulture, "Summary: {0} domain(s) checked in {1:0.0} s; required level {2}: {3} at or above, {4} below, {5} unknown", count, watch.Elapsed.TotalSeconds, required, atOrAbove, below, unknown));
            if (failed > 0)
            {
                text.Append(string.Format(CultureInfo.InvariantCulture, ", {0} failed", failed));
            }

            if (recordErrors > 0)
            {
                text.Append(string.Format(CultureInfo.InvariantCulture, ", {0} not recorded in the learned store", recordErrors));
            }

            if (invalid > 0)
            {
                text.Append(string.Format(CultureInfo.InvariantCulture, ", {0} invalid line(s) skipped", invalid));
            }

            text.Append(".\n");
            if (storeError is not null)
            {
                text.Append("Learned store NOT written: ").Append(storeError).Append('\n');
            }

            text.Append("Levels:  ").Append(string.Join("  ", levels.Select((n, i) => string.Format(CultureInfo.InvariantCulture, "{0}: {1}", i, n)))).Append('\n');
            progress.Write(text.ToString());
        }

        private sealed record Outcome(string Domain, DomainCheckResult? Result, string? Error);
    }
}

/// <summary>The resolver every lookup of one <c>check</c> invocation goes through, and its DNSSEC self-test.</summary>
/// <param name="Description">Which servers are asked and whose AD bit is believed.</param>
/// <param name="Warnings">Warnings about the resolver and about settings that weaken the trust rule.</param>
/// <param name="SelfTest">The DNSSEC self-test, run once per invocation.</param>
internal sealed record ResolverReport(string Description, IReadOnlyList<string> Warnings, DnssecSelfTestResult SelfTest);
