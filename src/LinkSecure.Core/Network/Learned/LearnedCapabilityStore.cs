using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using LinkSecure.Core.Internal;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Network;

/// <summary>
/// The learned-capability store: what SMTP probes observed at MX hosts, kept in one JSON file that several processes
/// on a server share (the CLI's probe writes it, the transport agent and the CLI read it).
/// </summary>
/// <remarks>
/// <para>Writers take an exclusive lock file (<c>&lt;path&gt;.lock</c>), read the current file, merge, write a
/// temporary file in the same folder, flush it to disk and rename it over the store, so readers never see a
/// half-written file. Readers re-read the file when its time stamp or size changes, at most once a second.</para>
/// <para>Entries expire by their own expiry (the <c>LINKSECURE</c> max-age or the default TTL) and are dropped on the
/// next write. A damaged file is reported in <see cref="LastLoadError"/> and treated as empty; it is never thrown at a
/// reader. Thread-safe.</para>
/// <para>Observations can also be <see cref="Stage">staged</see>: held in this instance's memory, visible at once to its
/// own <see cref="TryGet"/> and <see cref="GetAll"/>, and written by the next <see cref="Flush"/> (bulk checks write
/// in coalesced batches instead of rewriting the file per domain). Other processes see them only once flushed.</para>
/// </remarks>
public sealed class LearnedCapabilityStore
{
    /// <summary>The largest store file read (16 MiB).</summary>
    public const long MaxFileBytes = 16 * 1024 * 1024;

    private static readonly Dictionary<string, LearnedCapabilities> Empty = new(StringComparer.Ordinal);

    private readonly TimeProvider time;
    private readonly LockedJsonFile<Dictionary<string, LearnedCapabilities>> file;
    private Dictionary<string, LearnedCapabilities> staged = new(StringComparer.Ordinal);
    private readonly object stageLock = new();
    private readonly object flushLock = new();

    /// <summary>Creates a store over a file; the file need not exist yet.</summary>
    /// <param name="path">The store file.</param>
    /// <param name="timeProvider">The clock for expiry; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    public LearnedCapabilityStore(string path, TimeProvider? timeProvider = null)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ArgumentException("The store path is required.", nameof(path));
        }

        var full = System.IO.Path.GetFullPath(path);
        time = timeProvider ?? TimeProvider.System;
        file = new LockedJsonFile<Dictionary<string, LearnedCapabilities>>(full, "learned store", MaxFileBytes, Empty, root => Parse(full, root), Write);
    }

    /// <summary>Gets the full path of the store file.</summary>
    public string Path => file.Path;

    /// <summary>Gets the problem of the last load, when the file could not be read or parsed; otherwise <see langword="null"/>.</summary>
    public string? LastLoadError => file.LastLoadError;

    /// <summary>Returns the unexpired observation of a host.</summary>
    /// <param name="domain">The recipient domain the host was probed for.</param>
    /// <param name="host">The MX host name.</param>
    /// <param name="capabilities">The observation.</param>
    /// <returns><see langword="true"/> when an unexpired observation exists.</returns>
    public bool TryGet(string domain, string host, [NotNullWhen(true)] out LearnedCapabilities? capabilities)
    {
        if (domain is null)
        {
            throw new ArgumentNullException(nameof(domain));
        }

        if (host is null)
        {
            throw new ArgumentNullException(nameof(host));
        }

        var current = file.Read(force: false);
        var key = domain.TrimEnd('.').ToLowerInvariant() + " " + host.TrimEnd('.').ToLowerInvariant();
        LearnedCapabilities? found = null;
        lock (stageLock)
        {
            if (staged.Count > 0)
            {
                staged.TryGetValue(key, out found);
            }
        }

        if ((found is not null || current.TryGetValue(key, out found)) && found.Expires > time.GetUtcNow())
        {
            capabilities = found;
            return true;
        }

        capabilities = null;
        return false;
    }

    /// <summary>Returns every unexpired observation, re-reading the file first.</summary>
    /// <returns>The observations, by host name.</returns>
    public IReadOnlyList<LearnedCapabilities> GetAll()
    {
        var now = time.GetUtcNow();
        var all = new Dictionary<string, LearnedCapabilities>(file.Read(force: true), StringComparer.Ordinal);
        lock (stageLock)
        {
            foreach (var entry in staged)
            {
                all[entry.Key] = entry.Value;
            }
        }

        return all.Values.Where(c => c.Expires > now).OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
    }

    /// <summary>Gets how many staged observations are not written to the file yet.</summary>
    public int StagedCount
    {
        get
        {
            lock (stageLock)
            {
                return staged.Count;
            }
        }
    }

    /// <summary>Holds observations in this instance's memory, visible at once to its <see cref="TryGet"/> and
    /// <see cref="GetAll"/>; the next <see cref="Flush"/> writes them to the file.</summary>
    /// <param name="observations">The new observations.</param>
    public void Stage(IEnumerable<LearnedCapabilities> observations)
    {
        if (observations is null)
        {
            throw new ArgumentNullException(nameof(observations));
        }

        lock (stageLock)
        {
            foreach (var observation in observations)
            {
                var item = observation ?? throw new ArgumentException("An observation is null.", nameof(observations));
                staged[item.Key] = item;
            }
        }
    }

    /// <summary>Writes the staged observations (see <see cref="Record(IEnumerable{LearnedCapabilities})"/>); when the
    /// write fails they stay staged for the next flush.</summary>
    /// <returns>How many observations were written.</returns>
    /// <exception cref="IOException">The lock could not be taken within 10 seconds, or the file could not be written.</exception>
    public int Flush()
    {
        lock (flushLock)
        {
            Dictionary<string, LearnedCapabilities> batch;
            lock (stageLock)
            {
                if (staged.Count == 0)
                {
                    return 0;
                }

                batch = staged;
                staged = new Dictionary<string, LearnedCapabilities>(StringComparer.Ordinal);
            }

            try
            {
                Record(batch.Values);
                return batch.Count;
            }
            catch
            {
                lock (stageLock)
                {
                    // Newer staged observations of the same host win over the failed batch.
                    foreach (var entry in batch)
                    {
                        if (!staged.ContainsKey(entry.Key))
                        {
                            staged[entry.Key] = entry.Value;
                        }
                    }
                }

                throw;
            }
        }
    }

    /// <summary>Adds or replaces observations and drops expired ones, under the store's lock file, with an atomic replace.</summary>
    /// <param name="observations">The new observations.</param>
    /// <exception cref="IOException">The lock could not be taken within 10 seconds, or the file could not be written.</exception>
    public void Record(IEnumerable<LearnedCapabilities> observations)
    {
        if (observations is null)
        {
            throw new ArgumentNullException(nameof(observations));
        }

        file.Update(current =>
        {
            var now = time.GetUtcNow();
            var next = new Dictionary<string, LearnedCapabilities>(current, StringComparer.Ordinal);
            foreach (var observation in observations)
            {
                next[observation.Key] = observation;
            }

            var kept = new Dictionary<string, LearnedCapabilities>(next.Count, StringComparer.Ordinal);
            foreach (var entry in next.Values.Where(c => c.Expires > now))
            {
                kept[entry.Key] = entry;
            }

            return kept;
        });
    }

    /// <summary>Adds or replaces one observation (see <see cref="Record(IEnumerable{LearnedCapabilities})"/>).</summary>
    /// <param name="observation">The observation.</param>
    public void Record(LearnedCapabilities observation) => Record(new[] { observation ?? throw new ArgumentNullException(nameof(observation)) });

    private static JsonFileContent<Dictionary<string, LearnedCapabilities>> Parse(string path, JsonElement root)
    {
        var result = new Dictionary<string, LearnedCapabilities>(StringComparer.Ordinal);
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("hosts", out var hosts) || hosts.ValueKind != JsonValueKind.Array)
        {
            return new JsonFileContent<Dictionary<string, LearnedCapabilities>>(result, $"learned store {path} has no 'hosts' array and was ignored");
        }

        foreach (var item in hosts.EnumerateArray())
        {
            if (TryReadEntry(item, out var entry))
            {
                result[entry.Key] = entry;
            }
        }

        return new JsonFileContent<Dictionary<string, LearnedCapabilities>>(result);
    }

    private static bool TryReadEntry(JsonElement item, [NotNullWhen(true)] out LearnedCapabilities? entry)
    {
        entry = null;
        if (item.ValueKind != JsonValueKind.Object
            || !item.TryGetProperty("domain", out var domain) || domain.ValueKind != JsonValueKind.String
            || !item.TryGetProperty("host", out var host) || host.ValueKind != JsonValueKind.String
            || !item.TryGetProperty("observed", out var observed) || !observed.TryGetDateTimeOffset(out var observedAt)
            || !item.TryGetProperty("expires", out var expires) || !expires.TryGetDateTimeOffset(out var expiresAt))
        {
            return false;
        }

        var level = item.TryGetProperty("linkSecureLevel", out var l) && l.TryGetInt32(out var lv) && lv is >= 0 and <= 4 ? (LinkSecurityLevel)lv : LinkSecurityLevel.None;
        var maxAge = item.TryGetProperty("linkSecureMaxAgeSeconds", out var m) && m.TryGetInt64(out var mv) && mv >= 0 ? TimeSpan.FromSeconds(Math.Min(mv, DeclaredRecord.MaxMaxAgeSeconds)) : TimeSpan.Zero;
        var problem = item.TryGetProperty("certificateProblem", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        entry = new LearnedCapabilities(domain.GetString()!, host.GetString()!, observedAt, expiresAt, Flag(item, "startTls"), Flag(item, "certificateValid"), problem, Flag(item, "daneMatched"), Flag(item, "requireTls"), level, maxAge);
        return true;
    }

    private static bool Flag(JsonElement item, string name) => item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;

    private static void Write(Utf8JsonWriter writer, Dictionary<string, LearnedCapabilities> content)
    {
        var entries = content.Values.OrderBy(c => c.Key, StringComparer.Ordinal);
        writer.WriteStartObject();
        writer.WriteNumber("version", 2);
        writer.WriteStartArray("hosts");
        foreach (var entry in entries)
        {
            writer.WriteStartObject();
            writer.WriteString("domain", entry.Domain);
            writer.WriteString("host", entry.Host);
            writer.WriteString("observed", entry.ObservedAt.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            writer.WriteString("expires", entry.Expires.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            writer.WriteBoolean("startTls", entry.StartTls);
            writer.WriteBoolean("certificateValid", entry.CertificateValid);
            if (entry.CertificateProblem is not null)
            {
                writer.WriteString("certificateProblem", entry.CertificateProblem);
            }

            writer.WriteBoolean("daneMatched", entry.DaneMatched);
            writer.WriteBoolean("requireTls", entry.RequireTls);
            writer.WriteNumber("linkSecureLevel", (int)entry.LinkSecureLevel);
            writer.WriteNumber("linkSecureMaxAgeSeconds", (long)entry.LinkSecureMaxAge.TotalSeconds);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
