using System;
using LinkSecure.Core.Internal;

namespace LinkSecure.Core.Configuration;

/// <summary>Host settings for the transport agent (JSON section <c>agent</c>).</summary>
public sealed class AgentSettings
{
    internal static readonly string[] Properties = { "lookupBudgetMilliseconds" };

    /// <summary>Gets the defaults.</summary>
    public static AgentSettings Default { get; } = new();

    /// <summary>Gets the time budget for the lookups of one message; recipients still undecided after it are deferred.</summary>
    public TimeSpan LookupBudget { get; private set; } = TimeSpan.FromSeconds(3);

    internal static AgentSettings Read(JsonDocumentReader reader, System.Text.Json.JsonElement element, string path)
    {
        if (!reader.ExpectObject(element, path))
        {
            return Default;
        }

        reader.CheckProperties(element, path, Properties);
        return new AgentSettings { LookupBudget = TimeSpan.FromMilliseconds(reader.ReadInt(element, path, "lookupBudgetMilliseconds", 3000, 100, 120_000)) };
    }
}
