using System;
using System.Diagnostics.CodeAnalysis;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Database;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Profiles;

namespace LinkSecure.Core.Handling;

/// <summary>
/// The one place that builds settings → profile resolver → decision engine → message handler. Every host (the
/// Exchange agent's configuration generation, <c>linksecure explain</c>, <c>check</c>'s <see cref="Probing.DomainChecker"/>)
/// builds through it, so they decide alike. Immutable and thread-safe.
/// </summary>
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "A stack of layers (settings, resolver, engine, handler), not a LIFO collection; the name is the agreed API of issue 12.")]
public sealed class DecisionStack
{
    private DecisionStack(LinkSecureSettings settings, DecisionEngine engine, ProfileResolver profiles, MessageHandler messages, TimeProvider time)
    {
        Settings = settings;
        Engine = engine;
        Profiles = profiles;
        Messages = messages;
        Time = time;
    }

    /// <summary>Gets the settings.</summary>
    public LinkSecureSettings Settings { get; }

    /// <summary>Gets the per-recipient decision engine.</summary>
    public DecisionEngine Engine { get; }

    /// <summary>Gets the profile resolver (overrides, known-domain database, network source).</summary>
    public ProfileResolver Profiles { get; }

    /// <summary>Gets the per-message handler.</summary>
    public MessageHandler Messages { get; }

    /// <summary>Gets the clock (profile expiry, the lookup budget).</summary>
    public TimeProvider Time { get; }

    /// <summary>Builds the stack.</summary>
    /// <param name="settings">Validated settings.</param>
    /// <param name="database">The known-domain database (<see cref="KnownDomainDatabase.LoadConfigured"/>).</param>
    /// <param name="network">The network source, owned (and disposed) by the caller; <see langword="null"/> offline.</param>
    /// <param name="time">The clock; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <returns>The stack.</returns>
    public static DecisionStack Create(LinkSecureSettings settings, KnownDomainDatabase database, IDomainProfileSource? network, TimeProvider? time = null)
    {
        if (settings is null)
        {
            throw new ArgumentNullException(nameof(settings));
        }

        if (database is null)
        {
            throw new ArgumentNullException(nameof(database));
        }

        var clock = time ?? TimeProvider.System;
        var engine = new DecisionEngine(settings);
        var profiles = new ProfileResolver(settings, database, network, clock);
        return new DecisionStack(settings, engine, profiles, new MessageHandler(engine, profiles, clock), clock);
    }
}
