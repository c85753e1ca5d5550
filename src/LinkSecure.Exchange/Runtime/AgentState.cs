using System;
using System.Collections.Generic;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Database;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Profiles;

namespace LinkSecure.Exchange.Runtime;

/// <summary>
/// One immutable generation of everything a message needs: settings, decision engine, profile resolver. The
/// runtime swaps the whole object atomically on a configuration reload, so a message sees one generation from
/// start to end.
/// </summary>
internal sealed class AgentState
{
    private AgentState(LinkSecureSettings settings, ProfileResolver profiles, string origin)
    {
        Settings = settings;
        Engine = new DecisionEngine(settings);
        Profiles = profiles;
        Origin = origin;
    }

    /// <summary>Gets the settings.</summary>
    public LinkSecureSettings Settings { get; }

    /// <summary>Gets the decision engine.</summary>
    public DecisionEngine Engine { get; }

    /// <summary>Gets the profile resolver (database, overrides, optional network source).</summary>
    public ProfileResolver Profiles { get; }

    /// <summary>Gets where the settings came from: a file path or "embedded defaults".</summary>
    public string Origin { get; }

    /// <summary>Builds a generation; loads the known-domain databases the settings name.</summary>
    /// <param name="settings">Validated settings.</param>
    /// <param name="origin">Where they came from.</param>
    /// <param name="network">The optional network profile source.</param>
    /// <param name="time">The clock.</param>
    /// <returns>The generation.</returns>
    /// <exception cref="DocumentException">A database file is invalid.</exception>
    /// <exception cref="System.IO.IOException">A database file cannot be read.</exception>
    public static AgentState Build(LinkSecureSettings settings, string origin, IDomainProfileSource? network, TimeProvider time)
    {
        var databases = new List<KnownDomainDatabase>();
        if (settings.UseEmbeddedDatabase)
        {
            databases.Add(KnownDomainDatabase.LoadEmbedded());
        }

        foreach (var file in settings.DatabaseFiles)
        {
            databases.Add(KnownDomainDatabase.LoadFile(settings.ResolvePath(file)));
        }

        var database = databases.Count == 1 ? databases[0] : KnownDomainDatabase.Merge(databases);
        return new AgentState(settings, new ProfileResolver(settings, database, network, time), origin);
    }
}
