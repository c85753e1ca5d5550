using System;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Database;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Network;
using LinkSecure.Core.Profiles;

namespace LinkSecure.Exchange.Runtime;

/// <summary>
/// One immutable generation of everything a message needs: settings, decision engine, profile resolver. The
/// runtime swaps the whole object atomically on a configuration reload, so a message sees one generation from
/// start to end.
/// </summary>
internal sealed class AgentState
{
    private AgentState(LinkSecureSettings settings, ProfileResolver profiles, string origin, NetworkProfileSource? ownedNetwork)
    {
        Settings = settings;
        Engine = new DecisionEngine(settings);
        Profiles = profiles;
        Origin = origin;
        OwnedNetwork = ownedNetwork;
    }

    /// <summary>Gets the network source this generation created and must dispose when it is retired; <see langword="null"/> when
    /// the source was supplied from outside (tests) or network lookups are off.</summary>
    public NetworkProfileSource? OwnedNetwork { get; }

    /// <summary>Gets the settings.</summary>
    public LinkSecureSettings Settings { get; }

    /// <summary>Gets the decision engine.</summary>
    public DecisionEngine Engine { get; }

    /// <summary>Gets the profile resolver (database, overrides, optional network source).</summary>
    public ProfileResolver Profiles { get; }

    /// <summary>Gets where the settings came from: a file path or "embedded defaults".</summary>
    public string Origin { get; }

    /// <summary>Builds a generation; loads the known-domain databases the settings name and, unless a source is supplied,
    /// creates the network profile source from <c>resolver</c> settings (none when <c>resolver.enabled</c> is false).</summary>
    /// <param name="settings">Validated settings.</param>
    /// <param name="origin">Where they came from.</param>
    /// <param name="network">A network profile source supplied from outside (tests); <see langword="null"/> to create one from the settings.</param>
    /// <param name="time">The clock.</param>
    /// <param name="createNetwork">Whether to create a network source when <paramref name="network"/> is <see langword="null"/>.</param>
    /// <returns>The generation.</returns>
    /// <exception cref="DocumentException">A database file is invalid.</exception>
    /// <exception cref="System.IO.IOException">A database or CA file cannot be read.</exception>
    /// <exception cref="FormatException">A CA file is invalid.</exception>
    public static AgentState Build(LinkSecureSettings settings, string origin, IDomainProfileSource? network, TimeProvider time, bool createNetwork = false)
    {
        var database = KnownDomainDatabase.LoadConfigured(settings);
        NetworkProfileSource? owned = null;
        if (network is null && createNetwork && settings.Resolver.Enabled)
        {
            owned = NetworkProfileSource.Create(settings, time);
            network = owned;
        }

        return new AgentState(settings, new ProfileResolver(settings, database, network, time), origin, owned);
    }
}
