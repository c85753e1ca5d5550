using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using LinkSecure.Core.Internal;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Network;

/// <summary>A fetched MTA-STS policy as cached for a domain: its id, when it was fetched and when it expires
/// (fetched + <c>max_age</c>, RFC 8461 §5.1).</summary>
internal sealed class StoredMtaStsPolicy
{
    public StoredMtaStsPolicy(string domain, string id, MtaStsPolicy policy, DateTimeOffset fetched, DateTimeOffset expires)
    {
        Domain = domain;
        Id = id;
        Policy = policy;
        Fetched = fetched;
        Expires = expires;
    }

    public string Domain { get; }

    public string Id { get; }

    public MtaStsPolicy Policy { get; }

    public DateTimeOffset Fetched { get; }

    public DateTimeOffset Expires { get; }
}

/// <summary>
/// The MTA-STS policy cache keyed by domain, optionally backed by one JSON file that the CLI and the agent share, so a
/// policy survives configuration reloads and restarts: the downgrade resistance of MTA-STS is the cached policy
/// (RFC 8461 §5.1, §10).
/// </summary>
/// <remarks>
/// <para>The file uses the learned store's mechanism (<see cref="LockedJsonFile{T}"/>): writes under a lock file with
/// an atomic replace, re-read when it changes (at most once a second). A damaged or unreadable file is read as empty
/// and reported in <see cref="LastLoadError"/>; a file from a newer version is ignored with a note and not
/// overwritten. A write that fails is reported in <see cref="LastWriteError"/>, never thrown; the policy stays in
/// this instance's memory and the next write retries it.</para>
/// <para>Bounded at <see cref="MaxEntries"/>: expired policies are dropped on every write; when still over the bound,
/// policies other than <c>enforce</c> go first, then the <c>enforce</c> policies that expire soonest. No read-recency
/// (LRU) eviction: an unexpired <c>enforce</c> policy stays as long as the bound allows.</para>
/// </remarks>
internal sealed class MtaStsPolicyStore
{
    /// <summary>The file format version this code writes; a file with a higher version is not read or overwritten.</summary>
    public const int FormatVersion = 1;

    /// <summary>The largest store file read (16 MiB).</summary>
    public const long MaxFileBytes = 16 * 1024 * 1024;

    /// <summary>The file name used next to the learned store when <c>resolver.mtaStsCachePath</c> is not set.</summary>
    public const string DefaultFileName = "mta-sts-cache.json";

    private static readonly Dictionary<string, StoredMtaStsPolicy> Empty = new(StringComparer.Ordinal);

    private readonly TimeProvider time;
    private readonly LockedJsonFile<Dictionary<string, StoredMtaStsPolicy>>? file;
    private readonly object writeLock = new();
    private Dictionary<string, StoredMtaStsPolicy> memory = new(StringComparer.Ordinal);
    private Dictionary<string, StoredMtaStsPolicy> pending = new(StringComparer.Ordinal);

    private MtaStsPolicyStore(string? path, TimeProvider time, int maxEntries)
    {
        this.time = time;
        MaxEntries = Math.Max(1, maxEntries);
        if (path is not null)
        {
            var full = System.IO.Path.GetFullPath(path);
            file = new LockedJsonFile<Dictionary<string, StoredMtaStsPolicy>>(full, "MTA-STS policy cache", MaxFileBytes, Empty, root => Parse(full, root), Write);
        }
    }

    /// <summary>Gets the full path of the file; <see langword="null"/> for a store in memory only.</summary>
    public string? Path => file?.Path;

    /// <summary>Gets the largest number of policies kept.</summary>
    public int MaxEntries { get; }

    /// <summary>Gets the problem of the last load (unreadable, damaged, or from a newer version); otherwise <see langword="null"/>.</summary>
    public string? LastLoadError => file?.LastLoadError;

    /// <summary>Gets why the last write failed; <see langword="null"/> after a successful one.</summary>
    public string? LastWriteError { get; private set; }

    /// <summary>Opens the store over a file (which need not exist yet), or returns <see langword="null"/> when there is
    /// no path: the caller then keeps policies in memory only. Never throws for a missing, unreadable or damaged file.</summary>
    /// <param name="path">The file (<see cref="Configuration.LinkSecureSettings.EffectiveMtaStsCachePath"/>), or <see langword="null"/>.</param>
    /// <param name="time">The clock for expiry.</param>
    /// <param name="maxEntries">The largest number of policies kept (<c>resolver.cacheSize</c>).</param>
    /// <returns>The store, or <see langword="null"/>.</returns>
    public static MtaStsPolicyStore? Open(string? path, TimeProvider time, int maxEntries = 10_000) =>
        string.IsNullOrWhiteSpace(path) ? null : new MtaStsPolicyStore(path, time ?? throw new ArgumentNullException(nameof(time)), maxEntries);

    /// <summary>Creates a store kept in this process's memory only.</summary>
    /// <param name="time">The clock for expiry.</param>
    /// <param name="maxEntries">The largest number of policies kept.</param>
    /// <returns>The store.</returns>
    public static MtaStsPolicyStore InMemory(TimeProvider time, int maxEntries) => new(null, time, maxEntries);

    /// <summary>Returns a domain's unexpired policy.</summary>
    /// <param name="domain">The normalised domain.</param>
    /// <param name="policy">The policy.</param>
    /// <returns><see langword="true"/> when an unexpired policy is cached.</returns>
    public bool TryGet(string domain, [NotNullWhen(true)] out StoredMtaStsPolicy? policy)
    {
        StoredMtaStsPolicy? found;
        lock (writeLock)
        {
            if (!pending.TryGetValue(domain, out found) && !memory.TryGetValue(domain, out found))
            {
                found = null;
            }
        }

        if (found is null && file is not null)
        {
            file.Read(force: false).TryGetValue(domain, out found);
        }

        if (found is not null && found.Expires > time.GetUtcNow())
        {
            policy = found;
            return true;
        }

        policy = null;
        return false;
    }

    /// <summary>Returns every unexpired policy (re-reading the file first), by domain.</summary>
    /// <returns>The policies.</returns>
    public IReadOnlyList<StoredMtaStsPolicy> GetAll()
    {
        var all = new Dictionary<string, StoredMtaStsPolicy>(file?.Read(force: true) ?? Empty, StringComparer.Ordinal);
        lock (writeLock)
        {
            foreach (var entry in memory.Concat(pending))
            {
                all[entry.Key] = entry.Value;
            }
        }

        var now = time.GetUtcNow();
        return all.Values.Where(p => p.Expires > now).OrderBy(p => p.Domain, StringComparer.Ordinal).ToList();
    }

    /// <summary>Adds or replaces a domain's policy (after a fetch: a new policy, a new id, or a refresh after
    /// <c>max_age</c>). With a file, writes it at once under the lock; a failed write is kept in memory, noted in
    /// <see cref="LastWriteError"/> and retried by the next save. Never throws for I/O problems.</summary>
    /// <param name="policy">The policy.</param>
    public void Save(StoredMtaStsPolicy policy)
    {
        if (policy is null)
        {
            throw new ArgumentNullException(nameof(policy));
        }

        lock (writeLock)
        {
            if (file is null)
            {
                var next = new Dictionary<string, StoredMtaStsPolicy>(memory, StringComparer.Ordinal) { [policy.Domain] = policy };
                memory = Bound(next, time.GetUtcNow(), MaxEntries);
                return;
            }

            var batch = new Dictionary<string, StoredMtaStsPolicy>(pending, StringComparer.Ordinal) { [policy.Domain] = policy };
            try
            {
                var written = file.Update(current =>
                {
                    var next = new Dictionary<string, StoredMtaStsPolicy>(current, StringComparer.Ordinal);
                    foreach (var entry in batch)
                    {
                        next[entry.Key] = entry.Value;
                    }

                    return Bound(next, time.GetUtcNow(), MaxEntries);
                });
                if (written)
                {
                    pending = new Dictionary<string, StoredMtaStsPolicy>(StringComparer.Ordinal);
                    LastWriteError = null;
                }
                else
                {
                    // The file comes from a newer version: it is kept, and the policies stay in this process's memory.
                    pending = Bound(batch, time.GetUtcNow(), MaxEntries);
                    LastWriteError = "MTA-STS policy cache " + file.Path + " was not written: " + (file.LastLoadError ?? "it comes from a newer version");
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                pending = Bound(batch, time.GetUtcNow(), MaxEntries);
                LastWriteError = "MTA-STS policy cache " + file.Path + " could not be written: " + ex.Message;
            }
        }
    }

    /// <summary>Removes a domain's policy from an in-memory store (see <see cref="MtaStsClient.Forget"/>); a file's
    /// policies are never removed this way: only a newer fetched policy replaces them (RFC 8461 §5.1, §10).</summary>
    /// <param name="domain">The normalised domain.</param>
    public void Remove(string domain)
    {
        if (file is not null)
        {
            return;
        }

        lock (writeLock)
        {
            if (memory.ContainsKey(domain))
            {
                var next = new Dictionary<string, StoredMtaStsPolicy>(memory, StringComparer.Ordinal);
                next.Remove(domain);
                memory = next;
            }
        }
    }

    /// <summary>Drops expired policies, then, when over the bound, policies other than <c>enforce</c> and then the
    /// <c>enforce</c> policies that expire soonest (an unexpired <c>enforce</c> policy is the last thing to go,
    /// RFC 8461 §10).</summary>
    private static Dictionary<string, StoredMtaStsPolicy> Bound(Dictionary<string, StoredMtaStsPolicy> entries, DateTimeOffset now, int maxEntries)
    {
        var kept = entries.Values.Where(p => p.Expires > now);
        var list = kept.ToList();
        if (list.Count > maxEntries)
        {
            list = list
                .OrderByDescending(p => p.Policy.Mode == MtaStsMode.Enforce)
                .ThenByDescending(p => p.Expires)
                .Take(maxEntries)
                .ToList();
        }

        var result = new Dictionary<string, StoredMtaStsPolicy>(list.Count, StringComparer.Ordinal);
        foreach (var entry in list)
        {
            result[entry.Domain] = entry;
        }

        return result;
    }

    private static JsonFileContent<Dictionary<string, StoredMtaStsPolicy>> Parse(string path, JsonElement root)
    {
        var result = new Dictionary<string, StoredMtaStsPolicy>(StringComparer.Ordinal);
        if (root.ValueKind != JsonValueKind.Object)
        {
            return new JsonFileContent<Dictionary<string, StoredMtaStsPolicy>>(result, $"MTA-STS policy cache {path} is not a JSON object and was ignored");
        }

        if (root.TryGetProperty("version", out var version) && version.TryGetInt32(out var v) && v > FormatVersion)
        {
            return new JsonFileContent<Dictionary<string, StoredMtaStsPolicy>>(result, $"MTA-STS policy cache {path} has format version {v} from a newer LinkSecure (this one reads {FormatVersion}); it was ignored and is not overwritten", preserve: true);
        }

        if (!root.TryGetProperty("policies", out var policies) || policies.ValueKind != JsonValueKind.Array)
        {
            return new JsonFileContent<Dictionary<string, StoredMtaStsPolicy>>(result, $"MTA-STS policy cache {path} has no 'policies' array and was ignored");
        }

        var skipped = 0;
        foreach (var item in policies.EnumerateArray())
        {
            if (TryReadEntry(item, out var entry))
            {
                result[entry.Domain] = entry;
            }
            else
            {
                skipped++;
            }
        }

        var note = skipped == 0 ? null : string.Format(CultureInfo.InvariantCulture, "MTA-STS policy cache {0}: {1} invalid entr{2} ignored", path, skipped, skipped == 1 ? "y" : "ies");
        return new JsonFileContent<Dictionary<string, StoredMtaStsPolicy>>(result, note);
    }

    private static bool TryReadEntry(JsonElement item, [NotNullWhen(true)] out StoredMtaStsPolicy? entry)
    {
        entry = null;
        if (item.ValueKind != JsonValueKind.Object
            || !item.TryGetProperty("domain", out var domain) || domain.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(domain.GetString())
            || !item.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(id.GetString())
            || !item.TryGetProperty("mode", out var modeText) || modeText.ValueKind != JsonValueKind.String
            || !item.TryGetProperty("maxAgeSeconds", out var maxAge) || !maxAge.TryGetInt64(out var seconds)
            || !item.TryGetProperty("mx", out var mx) || mx.ValueKind != JsonValueKind.Array
            || !item.TryGetProperty("fetched", out var fetched) || !fetched.TryGetDateTimeOffset(out var fetchedAt)
            || !item.TryGetProperty("expires", out var expires) || !expires.TryGetDateTimeOffset(out var expiresAt))
        {
            return false;
        }

        MtaStsMode mode;
        switch (modeText.GetString())
        {
            case "enforce":
                mode = MtaStsMode.Enforce;
                break;
            case "testing":
                mode = MtaStsMode.Testing;
                break;
            case "none":
                mode = MtaStsMode.None;
                break;
            default:
                return false;
        }

        var patterns = new List<string>();
        foreach (var pattern in mx.EnumerateArray())
        {
            if (pattern.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            patterns.Add(pattern.GetString()!);
        }

        LinkSecurityLevel? level = null;
        if (item.TryGetProperty("linksecure", out var l))
        {
            if (!l.TryGetInt32(out var lv) || lv is < 1 or > 4)
            {
                return false;
            }

            level = (LinkSecurityLevel)lv;
        }

        var problem = item.TryGetProperty("linksecureProblem", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

        // A stored policy never outlives its own max_age (RFC 8461 §5.1), whatever the file says.
        if (!MtaStsPolicy.TryCreate(mode, seconds, patterns, level, problem, out var policy) || expiresAt > fetchedAt + policy.MaxAge)
        {
            return false;
        }

        entry = new StoredMtaStsPolicy(domain.GetString()!, id.GetString()!, policy, fetchedAt, expiresAt);
        return true;
    }

    private static void Write(Utf8JsonWriter writer, Dictionary<string, StoredMtaStsPolicy> content)
    {
        writer.WriteStartObject();
        writer.WriteNumber("version", FormatVersion);
        writer.WriteStartArray("policies");
        foreach (var entry in content.Values.OrderBy(p => p.Domain, StringComparer.Ordinal))
        {
            var policy = entry.Policy;
            writer.WriteStartObject();
            writer.WriteString("domain", entry.Domain);
            writer.WriteString("id", entry.Id);
            writer.WriteString("mode", policy.Mode.ToString().ToLowerInvariant());
            writer.WriteNumber("maxAgeSeconds", (long)policy.MaxAge.TotalSeconds);
            writer.WriteStartArray("mx");
            foreach (var pattern in policy.MxPatterns)
            {
                writer.WriteStringValue(pattern);
            }

            writer.WriteEndArray();
            if (policy.DeclaredLevel is { } level)
            {
                writer.WriteNumber("linksecure", (int)level);
            }

            if (policy.DeclaredLevelProblem is not null)
            {
                writer.WriteString("linksecureProblem", policy.DeclaredLevelProblem);
            }

            writer.WriteString("fetched", Format(entry.Fetched));
            writer.WriteString("expires", Format(entry.Expires));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static string Format(DateTimeOffset value) => value.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
