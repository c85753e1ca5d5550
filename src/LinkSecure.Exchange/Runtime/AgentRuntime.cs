using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Database;
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
                    Swap(AgentState.Build(LinkSecureSettings.Default, "embedded defaults", options.Network, options.Time, options.CreateNetwork));
                    Log.Lifecycle(AgentEventId.ConfigurationAbsent, EventLogEntryType.Warning, $"{ConfigPath} is absent: embedded defaults are in force.");
                    return true;
                }

                var settings = LinkSecureSettings.LoadFile(ConfigPath);
                Swap(AgentState.Build(settings, ConfigPath, options.Network, options.Time, options.CreateNetwork));
                Log.Lifecycle(AgentEventId.ConfigurationReloaded, EventLogEntryType.Information, $"{ConfigPath} loaded (generation {Generation}).");
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

            return state;
        }
#pragma warning disable CA1031 // The embedded database is part of the build; if even it fails, decide with an empty one.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.Lifecycle(AgentEventId.FactoryFailed, EventLogEntryType.Error, "The embedded known-domain database could not be loaded; deciding without it.", ex);
            return AgentState.Build(SettingsWithoutEmbeddedDatabase(), "embedded defaults (no database)", options.Network, options.Time);
        }
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
        if (retired?.OwnedNetwork is { } network)
        {
            // Messages that started on the old generation may still be waiting on its lookups: dispose it only after
            // their time budget has certainly run out. Dispose turns any late lookup into a temporary failure (defer).
            var grace = retired.Settings.Agent.LookupBudget + TimeSpan.FromSeconds(30);
            _ = System.Threading.Tasks.Task.Delay(grace).ContinueWith(_ => DisposeQuietly(network), System.Threading.Tasks.TaskScheduler.Default);
        }
    }

    private void DisposeQuietly(IDisposable disposable)
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
            watcher.Error += (_, e) => Log.Warn("configuration watcher error: " + e.GetException()?.Message);
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
