using System;
using System.Collections.Generic;
using System.Text.Json;
using LinkSecure.Core.Internal;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Configuration;

/// <summary>
/// Settings of the compose-time status service <c>linksecure serve</c> and the Outlook add-in it serves (JSON section
/// <c>status</c>; docs/configuration.md, docs/serve.md): the request the add-in proposes by default, label rules, and
/// the service's batch, time and rate limits. Immutable.
/// </summary>
public sealed class StatusSettings
{
    /// <summary>The largest batch the API contract allows (docs/serve.md).</summary>
    public const int MaxBatchLimit = 100;

    internal static readonly string[] Properties =
    {
        "defaultLevel", "defaultFallback", "labelRules", "maxBatch", "budgetMilliseconds", "pollAfterSeconds",
        "requestsPerMinute", "burst", "concurrentRequestsPerClient",
    };

    private static readonly string[] LabelRuleProperties = { "label", "level", "fallback" };
    private static readonly string[] Fallbacks = { "bounce", "safe-part" };

    /// <summary>Gets the defaults.</summary>
    public static StatusSettings Default { get; } = new();

    /// <summary>Gets the level the add-in proposes when the sender turns the request on (1 to 4; default 1).</summary>
    public LinkSecurityLevel DefaultLevel { get; private set; } = LinkSecurityLevel.TransportSecure;

    /// <summary>Gets the fallback the add-in proposes and the API assumes when a query names none (default bounce).</summary>
    public FallbackAction DefaultFallback { get; private set; } = FallbackAction.Bounce;

    /// <summary>Gets the label rules: a sensitivity label (or category) name that proposes a level and fallback.</summary>
    public IReadOnlyList<StatusLabelRule> LabelRules { get; private set; } = Array.Empty<StatusLabelRule>();

    /// <summary>Gets the most addresses one query may name (1 to 100; default 100).</summary>
    public int MaxBatch { get; private set; } = MaxBatchLimit;

    /// <summary>Gets how long a query waits for lookups before it answers "checking" (default 1.5 s).</summary>
    public TimeSpan Budget { get; private set; } = TimeSpan.FromMilliseconds(1500);

    /// <summary>Gets after how many seconds a client polls an entry that is still being checked (default 2).</summary>
    public int PollAfterSeconds { get; private set; } = 2;

    /// <summary>Gets the sustained number of queries per minute one client (remote address) may make (default 120).</summary>
    public int RequestsPerMinute { get; private set; } = 120;

    /// <summary>Gets how many queries one client may make at once above the sustained rate (token bucket size; default 20).</summary>
    public int Burst { get; private set; } = 20;

    /// <summary>Gets how many queries of one client are answered concurrently (default 4); more are refused with 429.</summary>
    public int ConcurrentRequestsPerClient { get; private set; } = 4;

    internal static StatusSettings Read(JsonDocumentReader reader, JsonElement element, string path)
    {
        if (!reader.ExpectObject(element, path))
        {
            return Default;
        }

        reader.CheckProperties(element, path, Properties);
        return new StatusSettings
        {
            DefaultLevel = (LinkSecurityLevel)reader.ReadInt(element, path, "defaultLevel", 1, 1, 4),
            DefaultFallback = ParseFallback(reader.ReadEnum(element, path, "defaultFallback", "bounce", Fallbacks)),
            LabelRules = ReadLabelRules(reader, element, path),
            MaxBatch = reader.ReadInt(element, path, "maxBatch", MaxBatchLimit, 1, MaxBatchLimit),
            Budget = TimeSpan.FromMilliseconds(reader.ReadInt(element, path, "budgetMilliseconds", 1500, 100, 10_000)),
            PollAfterSeconds = reader.ReadInt(element, path, "pollAfterSeconds", 2, 1, 60),
            RequestsPerMinute = reader.ReadInt(element, path, "requestsPerMinute", 120, 1, 60_000),
            Burst = reader.ReadInt(element, path, "burst", 20, 1, 10_000),
            ConcurrentRequestsPerClient = reader.ReadInt(element, path, "concurrentRequestsPerClient", 4, 1, 256),
        };
    }

    private static FallbackAction ParseFallback(string? text) => text == "safe-part" ? FallbackAction.SafePart : FallbackAction.Bounce;

    private static List<StatusLabelRule> ReadLabelRules(JsonDocumentReader reader, JsonElement element, string path)
    {
        var rules = new List<StatusLabelRule>();
        if (!JsonDocumentReader.TryGet(element, "labelRules", out var array))
        {
            return rules;
        }

        var arrayPath = JsonDocumentReader.Child(path, "labelRules");
        if (array.ValueKind != JsonValueKind.Array)
        {
            reader.Error(arrayPath, $"expected an array of {{ \"label\": ..., \"level\": 1-4, \"fallback\": \"bounce\" | \"safe-part\" }}, found {JsonDocumentReader.Describe(array)}");
            return rules;
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            var itemPath = JsonDocumentReader.Index(arrayPath, i++);
            if (!reader.ExpectObject(item, itemPath))
            {
                continue;
            }

            reader.CheckProperties(item, itemPath, LabelRuleProperties);
            var label = reader.ReadString(item, itemPath, "label", null)?.Trim();
            if (label is null)
            {
                reader.Error(JsonDocumentReader.Child(itemPath, "label"), "is required");
                continue;
            }

            if (label.Length > 256)
            {
                reader.Error(JsonDocumentReader.Child(itemPath, "label"), "is longer than 256 characters");
                continue;
            }

            if (!seen.Add(label))
            {
                reader.Error(JsonDocumentReader.Child(itemPath, "label"), $"'{label}' has another rule already");
                continue;
            }

            var level = (LinkSecurityLevel)reader.ReadInt(item, itemPath, "level", 1, 1, 4);
            var fallback = ParseFallback(reader.ReadEnum(item, itemPath, "fallback", "bounce", Fallbacks));
            rules.Add(new StatusLabelRule(label, level, fallback));
        }

        return rules;
    }
}
