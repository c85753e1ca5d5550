using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace LinkSecure.Core.Network;

/// <summary>
/// A thread-safe, size-bounded map from domain to value with an expiry and a retention time per entry. Reads do not
/// allocate or lock. When the count passes the capacity, one writer trims: entries past their retention first, then
/// the least recently read, down to 90 % of the capacity.
/// </summary>
/// <typeparam name="T">The value type.</typeparam>
internal sealed class TtlCache<T>
    where T : class
{
    private readonly ConcurrentDictionary<string, Entry> map = new(StringComparer.Ordinal);
    private readonly object trimLock = new();
    private readonly int capacity;
    private int count;

    public TtlCache(int capacity)
    {
        this.capacity = Math.Max(1, capacity);
    }

    public int Count => Volatile.Read(ref count);

    /// <summary>Returns the value when it has not expired.</summary>
    public bool TryGetFresh(string key, DateTimeOffset now, out T? value)
    {
        if (map.TryGetValue(key, out var entry) && now.UtcTicks < entry.ExpiresTicks)
        {
            Touch(entry, now.UtcTicks);
            value = entry.Value;
            return true;
        }

        value = null;
        return false;
    }

    /// <summary>Returns the value while it is retained, with its expiry (it may have expired).</summary>
    public bool TryGetRetained(string key, DateTimeOffset now, out T? value, out DateTimeOffset expires)
    {
        if (map.TryGetValue(key, out var entry) && now.UtcTicks < entry.RetainTicks)
        {
            Touch(entry, now.UtcTicks);
            value = entry.Value;
            expires = new DateTimeOffset(entry.ExpiresTicks, TimeSpan.Zero);
            return true;
        }

        value = null;
        expires = default;
        return false;
    }

    /// <summary>Stores a value until <paramref name="expires"/>, kept (for stale use) until <paramref name="retainUntil"/>.</summary>
    public void Set(string key, T value, DateTimeOffset now, DateTimeOffset expires, DateTimeOffset? retainUntil = null)
    {
        var retain = retainUntil is { } r && r > expires ? r : expires;
        if (retain <= now)
        {
            Remove(key);
            return;
        }

        var entry = new Entry(value, expires.UtcTicks, retain.UtcTicks, now.UtcTicks);
        var added = false;
        map.AddOrUpdate(
            key,
            _ =>
            {
                added = true;
                return entry;
            },
            (_, _) =>
            {
                added = false;
                return entry;
            });
        if (added && Interlocked.Increment(ref count) > capacity)
        {
            Trim(now.UtcTicks);
        }
    }

    public void Remove(string key)
    {
        if (map.TryRemove(key, out _))
        {
            Interlocked.Decrement(ref count);
        }
    }

    public void Clear()
    {
        foreach (var key in map.Keys)
        {
            Remove(key);
        }
    }

    private static void Touch(Entry entry, long now)
    {
        // Written at most once a second, so hot reads do not keep dirtying a shared cache line.
        if (now - Volatile.Read(ref entry.LastUsedTicks) > TimeSpan.TicksPerSecond)
        {
            Volatile.Write(ref entry.LastUsedTicks, now);
        }
    }

    private void Trim(long now)
    {
        if (!Monitor.TryEnter(trimLock))
        {
            return;
        }

        try
        {
            if (Count <= capacity)
            {
                return;
            }

            foreach (var pair in map)
            {
                if (pair.Value.RetainTicks <= now)
                {
                    RemoveIfSame(pair);
                }
            }

            var target = capacity * 9 / 10;
            if (Count > target)
            {
                var oldest = map.OrderBy(p => Volatile.Read(ref p.Value.LastUsedTicks)).Take(Count - target).ToList();
                foreach (var pair in oldest)
                {
                    RemoveIfSame(pair);
                }
            }
        }
        finally
        {
            Monitor.Exit(trimLock);
        }
    }

    private void RemoveIfSame(KeyValuePair<string, Entry> pair)
    {
        if (((ICollection<KeyValuePair<string, Entry>>)map).Remove(pair))
        {
            Interlocked.Decrement(ref count);
        }
    }

    private sealed class Entry
    {
        public readonly T Value;
        public readonly long ExpiresTicks;
        public readonly long RetainTicks;
        public long LastUsedTicks;

        public Entry(T value, long expiresTicks, long retainTicks, long lastUsedTicks)
        {
            Value = value;
            ExpiresTicks = expiresTicks;
            RetainTicks = retainTicks;
            LastUsedTicks = lastUsedTicks;
        }
    }
}
