using System;
using System.Collections.Generic;
using LinkSecure.Core.Internal;

namespace LinkSecure.Core.Configuration;

/// <summary>Safe-part downgrade: extra headers to keep and the administrator's notice (JSON section <c>downgrade</c>;
/// docs/downgrade.md).</summary>
public sealed class DowngradeSettings
{
    internal static readonly string[] Properties = { "extraKeepHeaders" };

    /// <summary>Gets the defaults: the documented keep-list only, no notice template.</summary>
    public static DowngradeSettings Default { get; } = new();

    /// <summary>Gets header names kept in a downgraded copy in addition to the documented keep-list.</summary>
    public IReadOnlyList<string> ExtraKeepHeaders { get; private set; } = Array.Empty<string>();

    internal static DowngradeSettings Read(JsonDocumentReader reader, System.Text.Json.JsonElement element, string path)
    {
        if (!reader.ExpectObject(element, path))
        {
            return Default;
        }

        reader.CheckProperties(element, path, Properties);
        return new DowngradeSettings
        {
            ExtraKeepHeaders = reader.ReadStringArray(element, path, "extraKeepHeaders"),
        };
    }
}
