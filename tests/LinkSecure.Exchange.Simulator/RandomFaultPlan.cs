using System;
using System.Collections.Generic;
using System.Text;
using Microsoft.Exchange.Data.Transport;

namespace LinkSecure.Exchange.Simulator;

/// <summary>
/// A seeded fault plan. Every decision is a hash of the seed and the item's <see cref="SimMailItem.Lineage"/> (plus the
/// recipient or header name), not a shared random sequence, so a run gives the same faults whatever the thread
/// interleaving: each copy of a message draws at most one failing call (kind and occurrence), each recipient whether
/// its removal is refused, each submitted message which of the listed headers are malformed.
/// </summary>
public sealed class RandomFaultPlan : IFaultPlan
{
    private static readonly ExchangeCall[] AllCalls = (ExchangeCall[])Enum.GetValues(typeof(ExchangeCall));

    /// <summary>Initializes a new instance of the <see cref="RandomFaultPlan"/> class.</summary>
    /// <param name="seed">The seed.</param>
    public RandomFaultPlan(int seed)
    {
        Seed = seed;
    }

    /// <summary>Gets the seed.</summary>
    public int Seed { get; }

    /// <summary>Gets or sets the probability that a copy (one lineage) has one failing Exchange call.</summary>
    public double CallFaultRate { get; set; }

    /// <summary>Gets the calls a failing copy picks from (all by default).</summary>
    public IList<ExchangeCall> Calls { get; } = new List<ExchangeCall>(AllCalls);

    /// <summary>Gets or sets how many occurrences of the picked call the fault may wait for (the n-th call fails, n in [0, this)).</summary>
    public int MaxOccurrence { get; set; } = 3;

    /// <summary>Gets or sets the probability that removing a recipient is refused.</summary>
    public double RemoveRefusalRate { get; set; }

    /// <summary>Gets or sets the probability that each of <see cref="MalformedHeaderNames"/> is malformed in a message.</summary>
    public double MalformedHeaderRate { get; set; }

    /// <summary>Gets the header names that may be malformed.</summary>
    public ISet<string> MalformedHeaderNames { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <inheritdoc />
    public Exception? GetFault(ExchangeCall call, SimMailItem item, int occurrence)
    {
        if (item is null || CallFaultRate <= 0 || Calls.Count == 0)
        {
            return null;
        }

        var h = Hash("call", item.Lineage);
        if (Unit(h) >= CallFaultRate)
        {
            return null;
        }

        var picked = Calls[(int)((h >> 20) % (ulong)Calls.Count)];
        var at = (int)((h >> 40) % (ulong)Math.Max(1, MaxOccurrence));
        return picked == call && at == occurrence
            ? new InjectedFaultException($"injected: {call} #{occurrence} on item {item.Id} ({item.Lineage})")
            : null;
    }

    /// <inheritdoc />
    public bool RefusesRemove(SimMailItem item, EnvelopeRecipient recipient) =>
        item is not null && recipient is not null && RemoveRefusalRate > 0 && Unit(Hash("remove", item.Lineage + "|" + recipient.Address.ToString())) < RemoveRefusalRate;

    /// <inheritdoc />
    public bool IsMalformed(SimMailItem item, string headerName) =>
        item is not null && headerName is not null && MalformedHeaderRate > 0 && MalformedHeaderNames.Contains(headerName)
        && Unit(Hash("header", item.SubmissionId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "|" + headerName.ToUpperInvariant())) < MalformedHeaderRate;

    private static double Unit(ulong h) => (h & 0xFFFFF) / (double)0x100000;

    /// <summary>FNV-1a (64 bit) over the seed, a purpose and a key, then a final avalanche: stable across runtimes.</summary>
    private ulong Hash(string purpose, string key)
    {
        var h = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(Seed.ToString(System.Globalization.CultureInfo.InvariantCulture) + "|" + purpose + "|" + key))
        {
            h = (h ^ b) * 1099511628211UL;
        }

        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdUL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53UL;
        h ^= h >> 33;
        return h;
    }
}
