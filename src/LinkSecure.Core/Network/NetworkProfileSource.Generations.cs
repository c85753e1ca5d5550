using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using LinkSecure.Core.Configuration;

namespace LinkSecure.Core.Network;

/// <summary>Keeping one source, and its caches, across configuration generations.</summary>
public sealed partial class NetworkProfileSource
{
    // Everything Create read from the settings; null for a source built by the internal constructor.
    private IReadOnlyList<string>? createdFrom;

    /// <summary>
    /// Tells whether a source created from <paramref name="settings"/> would be equivalent to this one, so a host can
    /// keep this source — and its profile, MTA-STS and declaration caches — across a configuration reload. Compares
    /// every setting <see cref="Create"/> reads: each property of the <c>resolver</c> section (servers, validating
    /// servers, timeouts, retries, budgets, TTLs, cache size, HTTPS port, DNSSEC probe name, …), the learned-store and
    /// durable MTA-STS cache paths resolved against the configuration's folder, and the CA files by full path, size and
    /// last-write time (so replacing a CA file's contents counts as a change).
    /// </summary>
    /// <param name="settings">The new settings.</param>
    /// <returns><see langword="true"/> when equivalent; <see langword="false"/> when anything differs, when
    /// <c>resolver.enabled</c> is off, when this source was disposed, or when it was not built by <see cref="Create"/>.</returns>
    public bool CanServe(LinkSecureSettings settings)
    {
        if (settings is null)
        {
            throw new ArgumentNullException(nameof(settings));
        }

        return createdFrom is { } mine && settings.Resolver.Enabled && !disposal.IsCancellationRequested
            && mine.SequenceEqual(Fingerprint(settings), StringComparer.Ordinal);
    }

    /// <summary>Every input of <see cref="Create"/>, as text: the resolver section's properties (found by reflection, so
    /// a new setting is compared without anyone remembering to add it), with the paths resolved.</summary>
    internal static IReadOnlyList<string> Fingerprint(LinkSecureSettings settings)
    {
        var resolver = settings.Resolver;
        var lines = new List<string>();
        foreach (var property in typeof(ResolverSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            if (property.Name is nameof(ResolverSettings.CaFiles) or nameof(ResolverSettings.LearnedStorePath) or nameof(ResolverSettings.MtaStsCachePath))
            {
                continue;
            }

            lines.Add(property.Name + "=" + Format(property.GetValue(resolver)));
        }

        lines.Add("learnedStore=" + (resolver.LearnedStorePath is { } learned ? FullPath(settings.ResolvePath(learned)) : string.Empty));
        lines.Add("mtaStsCache=" + (settings.EffectiveMtaStsCachePath() is { } cache ? FullPath(cache) : string.Empty));
        foreach (var file in resolver.CaFiles)
        {
            lines.Add("caFile=" + Stamp(FullPath(settings.ResolvePath(file))));
        }

        return lines;
    }

    private static string Format(object? value) => value switch
    {
        null => "(null)",
        string text => text,
        TimeSpan span => span.Ticks.ToString(CultureInfo.InvariantCulture),
        IEnumerable items => string.Join("\u001f", items.Cast<object?>().Select(Format)),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    private static string FullPath(string path)
    {
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException or System.Security.SecurityException)
        {
            return path;
        }
    }

    private static string Stamp(string path)
    {
        try
        {
            var file = new FileInfo(path);
            return file.Exists
                ? string.Format(CultureInfo.InvariantCulture, "{0}|{1}|{2}", path, file.Length, file.LastWriteTimeUtc.Ticks)
                : path + "|missing";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            // An unreadable file is never equivalent to the one that was loaded: a fresh Create reports the error.
            return path + "|unreadable " + Guid.NewGuid().ToString("N");
        }
    }
}
