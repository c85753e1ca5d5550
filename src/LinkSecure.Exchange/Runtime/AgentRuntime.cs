using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Database;
using LinkSecure.Core.Network;
using LinkSecure.Core.Profiles;
using LinkSecure.Exchange.Downgrade;
using LinkSecure.Exchange.Logging;

namespace LinkSecure.Exchange.Runtime;

/// <summary>What the runtime is built from (the factory's defaults, or a test's).</summary>
internal sealed class AgentRuntimeOptions
{
    /// <summary>Gets or sets the agent's folder (configuration, NLog configuration, dependencies).</summary>
    public string Directory { get; set; } = string.Empty;

    /// <summary>Gets or sets a network profile source supplied from outside (tests). When <see langword="null"/>, each configuration
    /// generation creates its own from the <c>resolver</c> settings if <see cref="CreateNetwork"/> is set.</summary>
    public IDomainProfileSource? Network { get; set; }

    /// <summary>Gets or sets a value indicating whether generations create a live network source (DNS, MTA-STS, DANE) when
    /// <see cref="Network"/> is <see langword="null"/>. The factory sets it; tests that decide offline leave it off.</summary>
    public bool CreateNetwork { get; set; }

    /// <summary>Gets or sets the downgrade rewriter.</summary>
    public IDowngradeRewriter Rewriter { get; set; } = new CoreDowngradeRewriter();

    /// <summary>Gets or sets the clock.</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>Gets or sets how long the configuration file must stay quiet before it is reloaded.</summary>
    public TimeSpan ReloadDebounce { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets or sets the log; <see langword="null"/> creates one from the NLog configuration in <see cref="Directory"/>.</summary>
    public AgentLog? Log { get; set; }

    /// <summary>Gets or sets a value indicating whether to watch the configuration file for changes.</summary>
    public bool WatchConfiguration { get; set; } = true;

    /// <summary>Gets or sets how long the DNSSEC self-test of a new network source may take before it is reported as
    /// not finished (it runs in the background; no thread waits for it).</summary>
    public TimeSpan SelfTestTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// State shared by every agent instance (one per mail item): the current <see cref="AgentState"/> generation,
/// the log, the downgrade rewriter, and the configuration watcher. Thread-safe. Created by the factory, disposed
/// in <c>AgentFactory.Close()</c>.
/// </summary>
internal sealed class AgentRuntime : IDisposable
{
    /// <summary>The configuration file name, beside the agent DLL.</summary>
    public const string ConfigFileName = "LinkSecure.config.json";

    private readonly AgentRuntimeOptions options;
    private readonly object reloadGate = new();
    private FileSystemWatcher? watcher;
    private Timer? debounce;
    private AgentState? current;
    private bool disposed;

    /// <summary>Creates the runtime and loads the configuration (defaults when the file is absent or invalid); never throws for a bad file.</summary>
    /// <param name="options">The options.</param>
    public AgentRuntime(AgentRuntimeOptions options)
    {
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        Log = options.Log ?? AgentLog.Create(options.Directory, new EventLogWriter());
        Rewriter = options.Rewriter;
        ConfigPath = Path.Combine(options.Directory, ConfigFileName);
        current = LoadInitial();
        if (options.WatchConfiguration)
        {
            StartWatching();
        }
    }

    /// <summary>Gets the log.</summary>
    public AgentLog Log { get; }

    /// <summary>Gets the downgrade rewriter.</summary>
    public IDowngradeRewriter Rewriter { get; }

    /// <summary>Gets the clock.</summary>
    public TimeProvider Time => options.Time;

    /// <summary>Gets the configuration file path.</summary>
    public string ConfigPath { get; }

    /// <summary>Gets the generation in force. Read it once per message.</summary>
    public AgentState Current => Volatile.Read(ref current)!;

    private string CurrentOrigin => Volatile.Read(ref current)?.Origin ?? "embedded defaults";

    /// <summary>Gets how many times the configuration was (re)loaded successfully, including the first load.</summary>
    public int Generation { get; private set; }

    /// <summary>Reloads the configuration now: validates the file, swaps the generation atomically, or keeps the
    /// last good one and logs every error. Never throws.</summary>
    /// <returns><see langword="true"/> when a new generation is in force.</returns>
    public bool Reload()
    {
        lock (reloadGate)
        {
            if (disposed)
            {
                return false;
            }

            try
            {
                if (!File.Exists(ConfigPath))
                {
                    var defaults = AgentState.Build(LinkSecureSettings.Default, "embedded defaults", options.Network, options.Time, options.CreateNetwork, Volatile.Read(ref current));
                    Swap(defaults);
                    Log.Lifecycle(AgentEventId.ConfigurationAbsent, EventLogEntryType.Warning, $"{ConfigPath} is absent: embedded defaults are in force.");
                    Announce(defaults);
                    return true;
                }

                var settings = LinkSecureSettings.LoadFile(ConfigPath);
                var state = AgentState.Build(settings, ConfigPath, options.Network, options.Time, options.CreateNetwork, Volatile.Read(ref current));
                Swap(state);
                Log.Lifecycle(AgentEventId.ConfigurationReloaded, EventLogEntryType.Information, $"{ConfigPath} loaded (generation {Generation}).");
                Announce(state);
                return true;
            }
            catch (DocumentException ex)
            {
                var errors = ex.Errors.Count == 0 ? ex.Message : string.Join(Environment.NewLine, ex.Errors.Select(e => "  " + e));
                Log.Lifecycle(AgentEventId.ConfigurationInvalid, EventLogEntryType.Error, $"{ConfigPath} is invalid; the settings from {CurrentOrigin} stay in force:{Environment.NewLine}{errors}");
                return false;
            }
#pragma warning disable CA1031 // A reload runs on a timer thread inside EdgeTransport.exe: nothing may escape.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.Lifecycle(AgentEventId.ConfigurationInvalid, EventLogEntryType.Error, $"{ConfigPath} could not be loaded; the settings from {CurrentOrigin} stay in force: {ex.Message}", ex);
                return false;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (reloadGate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
        }

        try
        {
            watcher?.Dispose();
            debounce?.Dispose();
            Volatile.Read(ref current)?.OwnedNetwork?.Dispose();
        }
#pragma warning disable CA1031
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        Log.Dispose();
    }

    private AgentState LoadInitial()
    {
        if (File.Exists(ConfigPath) && Reload())
        {
            return Current;
        }

        try
        {
            var state = AgentState.Build(LinkSecureSettings.Default, "embedded defaults", options.Network, options.Time, options.CreateNetwork);
            Generation++;
            if (!File.Exists(ConfigPath))
            {
                Log.Lifecycle(AgentEventId.ConfigurationAbsent, EventLogEntryType.Warning, $"{ConfigPath} is absent: embedded defaults are in force.");
            }

            Announce(state);
            return state;
        }
#pragma warning disable CA1031 // The embedded database is part of the build; if even it fails, decide with an empty one.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.Lifecycle(AgentEventId.FactoryFailed, EventLogEntryType.Error, "The embedded known-domain database could not be loaded; deciding without it.", ex);
            var fallback = AgentState.Build(SettingsWithoutEmbeddedDatabase(), "embedded defaults (no database)", options.Network, options.Time);
            Announce(fallback);
            return fallback;
        }
    }

    /// <summary>
    /// Logs what a new generation means for the trust rule: a Warning for each opt-in that weakens it, and, when the
    /// generation created its own network source, each resolver warning and (in the background) the DNSSEC self-test.
    /// Only logging; never throws, never waits.
    /// </summary>
    private void Announce(AgentState state)
    {
        try
        {
            const string PassiveOnly = " is on: tagged mail is protected against passive eavesdroppers only";
            if (state.Settings.Resolver.AcceptUnauthenticatedDeclarations)
            {
                Log.Lifecycle(AgentEventId.UnauthenticatedOptIn, EventLogEntryType.Warning, "resolver.acceptUnauthenticatedDeclarations" + PassiveOnly + " (declarations an attacker on the path can forge count toward levels; " + state.Origin + ").");
            }

            if (state.Settings.Routing.AllowUnauthenticatedRoutes)
            {
                Log.Lifecycle(AgentEventId.UnauthenticatedOptIn, EventLogEntryType.Warning, "routing.allowUnauthenticatedRoutes" + PassiveOnly + " (routes that do not authenticate the receiving server carry Secure recipients; " + state.Origin + ").");
            }

            if (state.OwnedNetwork is { } network)
            {
                foreach (var warning in network.ResolverWarnings)
                {
                    Log.Lifecycle(AgentEventId.ResolverWarning, EventLogEntryType.Warning, warning);
                }

                StartSelfTest(network);
            }
        }
#pragma warning disable CA1031 // Runs in the factory constructor or on a timer thread inside EdgeTransport.exe: nothing may escape.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.Warn("announcing the configuration generation failed: " + ex.Message);
        }
    }

    /// <summary>Starts the DNSSEC self-test of a new network source on the thread pool and returns at once; a continuation
    /// logs the result with the resolver description (event 1004 when it passes, 2003 otherwise or when it does not finish
    /// within <see cref="AgentRuntimeOptions.SelfTestTimeout"/>).</summary>
    private void StartSelfTest(NetworkProfileSource network)
    {
        var timeout = options.SelfTestTimeout;
        var description = network.ResolverDescription;
        var cancellation = new CancellationTokenSource(timeout);
        try
        {
            // Task.Run: not even the synchronous start of the test runs on the caller's (transport) thread.
            var test = Task.Run(() => network.SelfTestAsync(cancellation.Token), CancellationToken.None);
            var deadline = Task.Delay(timeout + TimeSpan.FromSeconds(1), CancellationToken.None);
            _ = Task.WhenAny(test, deadline).ContinueWith(
                _ =>
                {
                    try
                    {
                        LogSelfTest(test, description, timeout);
                    }
#pragma warning disable CA1031 // A continuation on a pool thread inside EdgeTransport.exe: nothing may escape.
                    catch (Exception)
#pragma warning restore CA1031
                    {
                    }
                    finally
                    {
                        // Observe a late fault so that it never surfaces as an unobserved task exception.
                        _ = test.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                        _ = test.ContinueWith(_ => cancellation.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.None,
                TaskScheduler.Default);
        }
#pragma warning disable CA1031 // Starting a background test must never fail the start or the reload.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            cancellation.Dispose();
            Log.Lifecycle(AgentEventId.DnssecSelfTestFailed, EventLogEntryType.Warning, "The DNSSEC self-test could not be started (" + ex.Message + "); resolver: " + description + ". DANE and signed declarations will not be used.");
        }
    }

    private void LogSelfTest(Task<DnssecSelfTestResult> test, string description, TimeSpan timeout)
    {
        const string NotUsed = " DANE and signed declarations will not be used.";
        if (test.Status == TaskStatus.RanToCompletion && test.Result is { } result)
        {
            var text = string.Format(CultureInfo.InvariantCulture, "DNSSEC self-test {0}: {1} (probe '{2}' DNSKEY via {3}); resolver: {4}.", result.Status, result.Detail, result.ProbeName, result.Server, description);
            if (result.IsOk)
            {
                Log.Lifecycle(AgentEventId.DnssecSelfTestPassed, EventLogEntryType.Information, text);
            }
            else
            {
                var said = result.Detail.IndexOf(NotUsed.Trim().TrimEnd('.'), StringComparison.OrdinalIgnoreCase) >= 0;
                Log.Lifecycle(AgentEventId.DnssecSelfTestFailed, EventLogEntryType.Warning, said ? text : text + NotUsed);
            }

            return;
        }

        var why = test.IsFaulted
            ? "failed: " + test.Exception?.GetBaseException().Message
            : test.IsCanceled
                ? "was cancelled"
                : string.Format(CultureInfo.InvariantCulture, "did not finish within {0:0} s", timeout.TotalSeconds);
        Log.Lifecycle(AgentEventId.DnssecSelfTestFailed, EventLogEntryType.Warning, "DNSSEC self-test " + why + "; resolver: " + description + "." + NotUsed);
    }

    private static LinkSecureSettings SettingsWithoutEmbeddedDatabase()
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes("{\"knownDomains\":{\"useEmbedded\":false}}"));
        return LinkSecureSettings.Load(stream, "fallback settings");
    }

    private void Swap(AgentState state)
    {
        var retired = Interlocked.Exchange(ref current, state);
        Generation++;
        if (retired?.OwnedNetwork is { } network && !ReferenceEquals(network, state.OwnedNetwork))
        {
            // Messages that started on the old generation may still be waiting on its lookups: dispose it only after
            // their time budget has certainly run out. Dispose turns any late lookup into a temporary failure (defer).
            var grace = retired.Settings.Agent.LookupBudget + TimeSpan.FromSeconds(30);
            _ = System.Threading.Tasks.Task.Delay(grace).ContinueWith(_ => DisposeQuietly(network), System.Threading.Tasks.TaskScheduler.Default);
        }
    }

    private void DisposeQuietly(NetworkProfileSource disposable)
    {
        try
        {
            disposable.Dispose();
        }
#pragma warning disable CA1031 // Runs on a timer thread inside EdgeTransport.exe: nothing may escape.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.Warn("disposing a retired network source failed: " + ex.Message);
        }
    }

    private void StartWatching()
    {
        try
        {
            debounce = new Timer(_ => Reload(), null, Timeout.Infinite, Timeout.Infinite);
            watcher = new FileSystemWatcher(options.Directory, ConfigFileName)
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            FileSystemEventHandler changed = (_, _) => ScheduleReload();
            watcher.Changed += changed;
            watcher.Created += changed;
            watcher.Deleted += changed;
            watcher.Renamed += (_, _) => ScheduleReload();
            watcher.Error += (_, e) =>
            {
                // A buffer overflow loses the change notification itself: reload anyway.
                Log.Warn("configuration watcher error: " + e.GetException()?.Message);
                ScheduleReload();
            };
            watcher.EnableRaisingEvents = true;
        }
#pragma warning disable CA1031 // Without a watcher the agent still works; changes then need a service restart.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.Lifecycle(AgentEventId.ConfigurationInvalid, EventLogEntryType.Warning, string.Format(CultureInfo.InvariantCulture, "Cannot watch {0} for changes ({1}); restart the transport service after editing it.", ConfigPath, ex.Message));
        }
    }

    private void ScheduleReload()
    {
        try
        {
            // Debounce: editors write a file in several steps; reload once it has been quiet for a while.
            debounce?.Change(options.ReloadDebounce, Timeout.InfiniteTimeSpan);
        }
#pragma warning disable CA1031 // Runs on a FileSystemWatcher thread: nothing may escape.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
