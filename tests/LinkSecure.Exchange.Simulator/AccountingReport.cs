using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace LinkSecure.Exchange.Simulator;

/// <summary>
/// Checks that every submitted recipient ended exactly once: delivered by exactly one copy, or bounced exactly once, or
/// still deferred; never delivered twice, never delivered and bounced, never lost, and no outcome for an address that
/// was not submitted.
/// </summary>
public sealed class AccountingReport
{
    private readonly List<string> problems;
    private readonly Dictionary<string, int> problemCounts;

    private AccountingReport(int messages, int recipients, int delivered, int bounced, int deferred, int unreachable, List<string> problems, Dictionary<string, int> problemCounts)
    {
        Unreachable = unreachable;
        Messages = messages;
        Recipients = recipients;
        Delivered = delivered;
        Bounced = bounced;
        Deferred = deferred;
        this.problems = problems;
        this.problemCounts = problemCounts;
    }

    /// <summary>Gets how many submitted messages were checked.</summary>
    public int Messages { get; }

    /// <summary>Gets how many submitted recipients were checked.</summary>
    public int Recipients { get; }

    /// <summary>Gets how many recipients ended delivered (once).</summary>
    public int Delivered { get; }

    /// <summary>Gets how many recipients ended bounced (once).</summary>
    public int Bounced { get; }

    /// <summary>Gets how many recipients are still deferred (once).</summary>
    public int Deferred { get; }

    /// <summary>Gets how many recipients ended in the Unreachable queue (once): held, never delivered.</summary>
    public int Unreachable { get; }

    /// <summary>Gets one line per recipient that did not end exactly once.</summary>
    public IReadOnlyList<string> Problems => problems;

    /// <summary>Gets the problems counted by kind ("delivered more than once", "lost", ...).</summary>
    public IReadOnlyDictionary<string, int> ProblemCounts => problemCounts;

    /// <summary>Gets a value indicating whether every recipient ended exactly once.</summary>
    public bool IsBalanced => problems.Count == 0;

    /// <summary>Checks a pipeline's submissions against its outcomes.</summary>
    /// <param name="pipeline">The pipeline (not running).</param>
    /// <returns>The report.</returns>
    public static AccountingReport Check(TransportPipeline pipeline)
    {
        if (pipeline is null)
        {
            throw new ArgumentNullException(nameof(pipeline));
        }

        return Check(pipeline.Submissions, pipeline.SnapshotOutcomes());
    }

    /// <summary>Checks submissions against outcomes.</summary>
    /// <param name="submissions">The submitted messages.</param>
    /// <param name="outcomes">Every outcome of their copies.</param>
    /// <returns>The report.</returns>
    public static AccountingReport Check(IEnumerable<SubmittedMessage> submissions, IEnumerable<RecipientOutcome> outcomes)
    {
        if (submissions is null)
        {
            throw new ArgumentNullException(nameof(submissions));
        }

        if (outcomes is null)
        {
            throw new ArgumentNullException(nameof(outcomes));
        }

        var byRecipient = new Dictionary<(int, string), List<RecipientOutcome>>();
        foreach (var outcome in outcomes)
        {
            var key = (outcome.SubmissionId, outcome.Address.ToUpperInvariant());
            if (!byRecipient.TryGetValue(key, out var list))
            {
                byRecipient[key] = list = new List<RecipientOutcome>(1);
            }

            list.Add(outcome);
        }

        var problems = new List<string>();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        int messages = 0, recipients = 0, delivered = 0, bounced = 0, deferred = 0, unreachable = 0;
        foreach (var submission in submissions)
        {
            messages++;
            foreach (var address in submission.Recipients)
            {
                recipients++;
                var key = (submission.SubmissionId, address.ToUpperInvariant());
                var found = byRecipient.TryGetValue(key, out var list) ? list : new List<RecipientOutcome>();
                byRecipient.Remove(key);
                var kind = Classify(found);
                switch (kind)
                {
                    case null when found[0].Kind == OutcomeKind.Delivered:
                        delivered++;
                        continue;
                    case null when found[0].Kind == OutcomeKind.Bounced:
                        bounced++;
                        continue;
                    case null when found[0].Kind == OutcomeKind.Unreachable:
                        unreachable++;
                        continue;
                    case null:
                        deferred++;
                        continue;
                }

                Add(problems, counts, kind, string.Format(CultureInfo.InvariantCulture, "message {0}: {1} {2}: {3}", submission.SubmissionId, address, kind, Describe(found)));
            }
        }

        foreach (var stray in byRecipient)
        {
            Add(problems, counts, "never submitted", string.Format(CultureInfo.InvariantCulture, "message {0}: {1} was never submitted: {2}", stray.Key.Item1, stray.Value[0].Address, Describe(stray.Value)));
        }

        return new AccountingReport(messages, recipients, delivered, bounced, deferred, unreachable, problems, counts);
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendFormat(CultureInfo.InvariantCulture, "{0} messages, {1} recipients: {2} delivered, {3} bounced, {4} deferred, {5} unreachable", Messages, Recipients, Delivered, Bounced, Deferred, Unreachable);
        if (problems.Count == 0)
        {
            return text.Append("; every recipient ended exactly once").ToString();
        }

        text.Append("; ").Append(string.Join(", ", problemCounts.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value.ToString(CultureInfo.InvariantCulture) + " " + p.Key)));
        foreach (var problem in problems.Take(20))
        {
            text.AppendLine().Append("  ").Append(problem);
        }

        return text.ToString();
    }

    private static string? Classify(List<RecipientOutcome> found)
    {
        if (found.Count == 1)
        {
            return null;
        }

        if (found.Count == 0)
        {
            return "lost";
        }

        int d = 0, b = 0, w = 0;
        foreach (var outcome in found)
        {
            switch (outcome.Kind)
            {
                case OutcomeKind.Delivered: d++; break;
                case OutcomeKind.Bounced: b++; break;
                default: w++; break; // deferred or unreachable: waiting in a queue
            }
        }

        return d > 1 ? "delivered more than once"
            : b > 1 ? "bounced more than once"
            : w > 1 ? "deferred in more than one copy"
            : d == 1 && b == 1 ? "delivered and bounced"
            : d == 1 ? "delivered and still deferred"
            : "bounced and still deferred";
    }

    private static string Describe(List<RecipientOutcome> found) =>
        found.Count == 0 ? "no outcome" : string.Join(", ", found.Select(o => o.Kind + " by item " + o.Item.Id.ToString(CultureInfo.InvariantCulture)));

    private static void Add(List<string> problems, Dictionary<string, int> counts, string kind, string line)
    {
        problems.Add(line);
        counts[kind] = counts.TryGetValue(kind, out var n) ? n + 1 : 1;
    }
}
