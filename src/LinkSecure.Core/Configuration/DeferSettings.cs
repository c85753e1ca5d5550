using System;
using LinkSecure.Core.Internal;

namespace LinkSecure.Core.Configuration;

/// <summary>How long tagged mail waits when a lookup fails temporarily (JSON section <c>defer</c>).</summary>
public sealed class DeferSettings
{
    internal static readonly string[] Properties = { "retryMinutes", "maxDeferMinutes" };

    /// <summary>Gets the defaults: retry every 15 minutes, for at most 4 hours.</summary>
    public static DeferSettings Default { get; } = new();

    /// <summary>Gets the interval after which a deferred message is retried.</summary>
    public TimeSpan RetryAfter { get; private set; } = TimeSpan.FromMinutes(15);

    /// <summary>Gets how long after the message arrived deferral stops and the request's fallback applies.</summary>
    public TimeSpan MaxDefer { get; private set; } = TimeSpan.FromHours(4);

    internal static DeferSettings Read(JsonDocumentReader reader, System.Text.Json.JsonElement element, string path)
    {
        if (!reader.ExpectObject(element, path))
        {
            return Default;
        }

        reader.CheckProperties(element, path, Properties);
        var retry = reader.ReadInt(element, path, "retryMinutes", 15, 1, 1440);
        var max = reader.ReadInt(element, path, "maxDeferMinutes", 240, 0, 7 * 1440);
        return new DeferSettings { RetryAfter = TimeSpan.FromMinutes(retry), MaxDefer = TimeSpan.FromMinutes(max) };
    }
}
