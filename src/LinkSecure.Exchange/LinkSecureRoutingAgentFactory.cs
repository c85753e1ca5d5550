using System;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using LinkSecure.Exchange.Logging;
using LinkSecure.Exchange.Runtime;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Routing;

namespace LinkSecure.Exchange;

/// <summary>
/// The transport agent factory Exchange loads (<c>Install-TransportAgent -TransportAgentFactory
/// LinkSecure.Exchange.LinkSecureRoutingAgentFactory</c>). It never throws: when it cannot start, it logs why
/// and hands out inert agents: untagged mail keeps flowing untouched, mail that requests link security is deferred.
/// </summary>
public sealed class LinkSecureRoutingAgentFactory : RoutingAgentFactory
{
    private readonly object gate = new();
    private readonly EventLogWriter inertLog = new();
    private AgentRuntime? runtime;

    static LinkSecureRoutingAgentFactory()
    {
        // Before any type from a dependency (NLog, MimeKit, System.Text.Json, ...) is touched.
        DependencyResolver.Register();
    }

    /// <summary>Creates the factory: loads the configuration and logging from the agent's folder. Never throws.</summary>
    public LinkSecureRoutingAgentFactory()
    {
        try
        {
            runtime = StartRuntime(DependencyResolver.AgentDirectory);
        }
#pragma warning disable CA1031 // A failing factory constructor crash-loops the transport service at every start.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ReportStartFailure(ex);
        }
    }

    /// <summary>Creates the factory over an existing runtime (tests and benchmarks).</summary>
    /// <param name="runtime">The runtime; the factory disposes it in <see cref="Close"/>.</param>
    internal LinkSecureRoutingAgentFactory(AgentRuntime runtime)
    {
        this.runtime = runtime;
    }

    /// <summary>Gets a value indicating whether the factory failed to start and hands out inert agents.</summary>
    internal bool IsInert => runtime is null;

    /// <summary>Creates the agent for one mail item: a new instance on every call. Never throws.</summary>
    /// <param name="server">The server.</param>
    /// <returns>The agent, or an inert agent when the factory could not start.</returns>
    public override RoutingAgent CreateAgent(SmtpServer server)
    {
        try
        {
            var current = runtime;
            return current is null ? new InertRoutingAgent(inertLog) : new LinkSecureRoutingAgent(current, server);
        }
#pragma warning disable CA1031 // Never throw into Exchange.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            try
            {
                runtime?.Log.Lifecycle(AgentEventId.CreateAgentFailed, EventLogEntryType.Error, "CreateAgent failed; this mail item gets the inert agent (a message that requests link security is deferred).", ex);
                return new InertRoutingAgent(inertLog);
            }
#pragma warning disable CA1031
            catch (Exception)
#pragma warning restore CA1031
            {
                return new InertRoutingAgent(inertLog);
            }
        }
    }

    /// <summary>Shuts the agent down: stops the configuration watcher and flushes the log. Never throws.</summary>
    public override void Close()
    {
        try
        {
            AgentRuntime? closing;
            lock (gate)
            {
                closing = runtime;
                runtime = null;
            }

            if (closing is not null)
            {
                closing.Log.Lifecycle(AgentEventId.Stopped, EventLogEntryType.Information, "ExchangeLinkSecure agent stopped.");
                closing.Dispose();
            }
        }
#pragma warning disable CA1031
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static AgentRuntime StartRuntime(string directory)
    {
        var started = new AgentRuntime(new AgentRuntimeOptions { Directory = directory, CreateNetwork = true });
        var state = started.Current;
        started.Log.Lifecycle(
            AgentEventId.Started,
            EventLogEntryType.Information,
            string.Format(
                CultureInfo.InvariantCulture,
                "ExchangeLinkSecure agent {0} started from {1}; configuration: {2}; routing mode {3}.",
                typeof(LinkSecureRoutingAgentFactory).Assembly.GetName().Version,
                directory,
                state.Origin,
                state.Settings.Routing.Mode));
        return started;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ReportStartFailure(Exception ex)
    {
        try
        {
            new EventLogWriter().Write(AgentEventId.FactoryFailed, EventLogEntryType.Error, "ExchangeLinkSecure agent failed to start and is inert (untagged mail passes untouched; mail that requests link security is deferred): " + ex);
        }
#pragma warning disable CA1031
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
