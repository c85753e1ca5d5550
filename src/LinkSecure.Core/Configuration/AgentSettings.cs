using System;
using System.Globalization;
using System.Text.Json;
using LinkSecure.Core.Internal;

namespace LinkSecure.Core.Configuration;

/// <summary>Host settings for the transport agent (JSON section <c>agent</c>).</summary>
public sealed class AgentSettings
{
    // The longest lookup budget accepted: the lookups run while the message waits in the transport pipeline.
    internal const int MaxLookupBudgetMilliseconds = 10_000;

    internal static readonly string[] Properties = { "lookupBudgetMilliseconds", "rewriteBudgetMilliseconds" };

    /// <summary>Gets the defaults.</summary>
    public static AgentSettings Default { get; } = new();

    /// <summary>Gets the time budget for the lookups of one message (at most 10 s); recipients still undecided after it
    /// are deferred.</summary>
    public TimeSpan LookupBudget { get; private set; } = TimeSpan.FromSeconds(3);

    /// <summary>Gets the cancellation budget of one downgrade rewrite in the agent (reading, rewriting and writing the
    /// message); a rewrite that runs out of it is an internal error: the copy is deferred, then bounced after <c>defer.maxDeferMinutes</c>.</summary>
    public TimeSpan RewriteBudget { get; private set; } = TimeSpan.FromSeconds(30);

    internal static AgentSettings Read(JsonDocumentReader reader, JsonElement element, string path)
    {
        if (!reader.ExpectObject(element, path))
        {
            return Default;
        }

        reader.CheckProperties(element, path, Properties);
        return new AgentSettings
        {
            LookupBudget = TimeSpan.FromMilliseconds(ReadLookupBudget(reader, element, path)),
            RewriteBudget = TimeSpan.FromMilliseconds(reader.ReadInt(element, path, "rewriteBudgetMilliseconds", 30_000, 1_000, 120_000)),
        };
    }

    private static int ReadLookupBudget(JsonDocumentReader reader, JsonElement element, string path)
    {
        const string Name = "lookupBudgetMilliseconds";
        if (JsonDocumentReader.TryGet(element, Name, out var value) && value.ValueKind == JsonValueKind.Number
            && value.TryGetInt32(out var number) && number > MaxLookupBudgetMilliseconds)
        {
            reader.Error(
                JsonDocumentReader.Child(path, Name),
                string.Format(CultureInfo.InvariantCulture, "{0} is too long; at most {1} (10 s): the message waits in the transport pipeline while its lookups run, and a recipient whose lookup is unfinished then is deferred and retried, not lost", number, MaxLookupBudgetMilliseconds));
            return 3_000;
        }

        return reader.ReadInt(element, path, Name, 3_000, 100, MaxLookupBudgetMilliseconds);
    }
}
