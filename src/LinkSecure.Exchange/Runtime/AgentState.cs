using System;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Database;
using LinkSecure.Core.Handling;
using LinkSecure.Core.Network;
using LinkSecure.Core.Profiles;

namespace LinkSecure.Exchange.Runtime;

/// <summary>
/// One immutable generation of everything a message needs: the core's <see cref="DecisionStack"/> (settings, profile
/// resolver, decision engine, message handler). The runtime swaps the whole object atomically on a configuration
/// reload, so a message sees one generation from start to end.
/// </summary>
internal sealed class AgentState
{
    private AgentState(DecisionStack stack, string origin, NetworkProfileSource? ownedNetwork)
    {
        Stack = stack;
        Origin = origin;
        OwnedNetwork = ownedNetwork;
    }

    /// <summary>Gets the network source this generation holds and the runtime disposes when no generation uses it any
    /// more; <see langword="null"/> when the source was supplied from outside (tests) or network lookups are off.</summary>
    public NetworkProfileSource? OwnedNetwork { get; }

    /// <summary>Gets the core's decision stack.</summary>
    public DecisionStack Stack { get; }

    /// <summary>Gets the settings.</summary>
    public LinkSecureSettings Settings => Stack.Settings;

    /// <summary>Gets the profile resolver (database, overrides, optional network source).</summary>
    public ProfileResolver Profiles => Stack.Profiles;

    /// <summary>Gets where the settings came from: a file path or "embedded defaults".</summary>
    public string Origin { get; }

    /// <summary>Builds a generation; loads the known-domain databases the settings name and, unless a source is supplied,
    /// keeps the previous generation's network source (and its DNS and MTA-STS caches) when it can serve the new
    /// settings, or creates one from the <c>resolver</c> settings (none when <c>resolver.enabled</c> is false).</summary>
    /// <param name="settings">Validated settings.</param>
    /// <param name="origin">Where they came from.</param>
    /// <param name="network">A network profile source supplied from outside (tests); <see langword="null"/> to own one.</param>
    /// <param name="time">The clock.</param>
    /// <param name="createNetwork">Whether to own a network source when <paramref name="network"/> is <see langword="null"/>.</param>
    /// <param name="previous">The generation in force, whose network source may be kept.</param>
    /// <returns>The generation.</returns>
    /// <exception cref="DocumentException">A database file is invalid.</exception>
    /// <exception cref="System.IO.IOException">A database or CA file cannot be read.</exception>
    /// <exception cref="FormatException">A CA file is invalid.</exception>
    public static AgentState Build(LinkSecureSettings settings, string origin, IDomainProfileSource? network, TimeProvider time, bool createNetwork = false, AgentState? previous = null)
    {
        var database = KnownDomainDatabase.LoadConfigured(settings);
        NetworkProfileSource? owned = null;
        if (network is null && createNetwork && settings.Resolver.Enabled)
        {
            owned = previous?.OwnedNetwork is { } kept && kept.CanServe(settings) ? kept : NetworkProfileSource.Create(settings, time);
            network = owned;
        }

        return new AgentState(DecisionStack.Create(settings, database, network, time), origin, owned);
    }
}
