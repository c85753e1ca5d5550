using System;
using System.Collections;
using System.Collections.Generic;
using System.Net;
using Microsoft.Exchange.Data.Transport;

namespace LinkSecure.Exchange.Simulator;

/// <summary>
/// A property bag (<c>MailItem.Properties</c>, <c>EnvelopeRecipient.Properties</c>). Every operation made while one of
/// the agent's handlers runs for the owning item obeys the event's rules (after <c>Defer</c> it throws
/// <see cref="NullReferenceException"/>, from an unresumed worker thread <see cref="InvalidOperationException"/>), and a
/// value of a type the bags are not known to accept is refused (the reference lists simple serializable types: bool,
/// integers, string, DateTime, Guid, IPAddress, RoutingAddress, arrays of them; unverified, §2).
/// </summary>
public sealed class SimPropertyDictionary : IDictionary<string, object>
{
    private readonly Dictionary<string, object> values = new(StringComparer.OrdinalIgnoreCase);

    internal SimPropertyDictionary(SimMailItem? owner)
    {
        Owner = owner;
    }

    /// <inheritdoc />
    public int Count
    {
        get
        {
            Check();
            return values.Count;
        }
    }

    /// <inheritdoc />
    public bool IsReadOnly => false;

    /// <inheritdoc />
    public ICollection<string> Keys
    {
        get
        {
            Check();
            return values.Keys;
        }
    }

    /// <inheritdoc />
    public ICollection<object> Values
    {
        get
        {
            Check();
            return values.Values;
        }
    }

    internal SimMailItem? Owner { get; set; }

    /// <inheritdoc />
    public object this[string key]
    {
        get
        {
            Check();
            return values[key];
        }

        set
        {
            Check();
            CheckValue(key, value);
            values[key] = value;
        }
    }

    /// <summary>Tells whether a value may be stored in a property bag.</summary>
    /// <param name="value">The value.</param>
    /// <returns><see langword="true"/> for a type the bags are known to accept.</returns>
    public static bool IsAcceptedValue(object? value)
    {
        switch (value)
        {
            case null:
                return false;
            case string or bool or byte or sbyte or short or ushort or int or uint or long or ulong or DateTime or Guid or IPAddress or RoutingAddress:
                return true;
            case Array array:
                var element = array.GetType().GetElementType();
                return element is not null && element != typeof(object) && !element.IsArray && (element.IsPrimitive || element == typeof(string) || element == typeof(DateTime) || element == typeof(Guid) || element == typeof(RoutingAddress));
            default:
                return false;
        }
    }

    /// <inheritdoc />
    public void Add(string key, object value)
    {
        Check();
        CheckValue(key, value);
        values.Add(key, value);
    }

    /// <inheritdoc />
    public void Add(KeyValuePair<string, object> item) => Add(item.Key, item.Value);

    /// <inheritdoc />
    public void Clear()
    {
        Check();
        values.Clear();
    }

    /// <inheritdoc />
    public bool Contains(KeyValuePair<string, object> item)
    {
        Check();
        return ((ICollection<KeyValuePair<string, object>>)values).Contains(item);
    }

    /// <inheritdoc />
    public bool ContainsKey(string key)
    {
        Check();
        return values.ContainsKey(key);
    }

    /// <inheritdoc />
    public void CopyTo(KeyValuePair<string, object>[] array, int arrayIndex)
    {
        Check();
        ((ICollection<KeyValuePair<string, object>>)values).CopyTo(array, arrayIndex);
    }

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, object>> GetEnumerator()
    {
        Check();
        return values.GetEnumerator();
    }

    /// <inheritdoc />
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public bool Remove(string key)
    {
        Check();
        return values.Remove(key);
    }

    /// <inheritdoc />
    public bool Remove(KeyValuePair<string, object> item)
    {
        Check();
        return ((ICollection<KeyValuePair<string, object>>)values).Remove(item);
    }

    /// <inheritdoc />
    public bool TryGetValue(string key, out object value)
    {
        Check();
        return values.TryGetValue(key, out value!);
    }

    /// <summary>A copy of the contents, unchecked (the pipeline's own snapshots).</summary>
    internal Dictionary<string, object> CopyValues() => new(values, StringComparer.OrdinalIgnoreCase);

    /// <summary>Replaces the contents, unchecked (fork copies and reverts).</summary>
    internal void Load(Dictionary<string, object>? contents)
    {
        values.Clear();
        if (contents is null)
        {
            return;
        }

        foreach (var pair in contents)
        {
            values[pair.Key] = pair.Value;
        }
    }

    private void Check() => Owner?.CheckLifecycle("a property bag");

    private void CheckValue(string key, object value)
    {
        if (IsAcceptedValue(value))
        {
            return;
        }

        var problem = $"property '{key}' set to a value of type {value?.GetType().FullName ?? "null"}, which a property bag is not known to accept";
        Owner?.Pipeline?.RecordViolation($"item {Owner.Id}: {problem}");
        throw new ArgumentException(problem, nameof(value));
    }
}
