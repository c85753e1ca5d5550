using System;
using System.IO;
using LinkSecure.Exchange.Downgrade;
using LinkSecure.Exchange.Logging;
using LinkSecure.Exchange.Runtime;
using LinkSecure.Exchange.Simulator;

namespace LinkSecure.Exchange.Tests.Support;

/// <summary>An agent (runtime + factory) in a temporary folder, wired to a pipeline simulator. With a
/// <paramref name="clock"/>, the agent reads the simulator's virtual wall clock too (message age across retries).</summary>
internal sealed class AgentHarness : IDisposable
{
    public const string MemoryNlogConfig = """
        <nlog xmlns="http://www.nlog-project.org/schemas/NLog.xsd" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" throwExceptions="false">
          <targets>
            <target xsi:type="Memory" name="decisions" layout="${message}" maxLogsCount="100000" />
            <target xsi:type="Memory" name="agent" layout="${level} ${message}" maxLogsCount="100000" />
          </targets>
          <rules>
            <logger name="LinkSecure.Decisions" minlevel="Info" writeTo="decisions" final="true" />
            <logger name="LinkSecure.Agent" minlevel="Info" writeTo="agent" />
          </rules>
        </nlog>
        """;

    public AgentHarness(string? configJson = null, IDowngradeRewriter? rewriter = null, bool watch = false, bool withLog = true, FakeProfileSource? profiles = null, SimSmtpServer? server = null, bool createNetwork = false, TimeSpan? selfTestTimeout = null, ForkMode forkMode = ForkMode.ReentersSameEvent, VirtualClock? clock = null)
    {
        Directory = Path.Combine(Path.GetTempPath(), "linksecure-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        if (configJson is not null)
        {
            File.WriteAllText(Path.Combine(Directory, AgentRuntime.ConfigFileName), configJson);
        }

        if (withLog)
        {
            File.WriteAllText(Path.Combine(Directory, AgentLog.ConfigFileName), MemoryNlogConfig);
        }

        Profiles = profiles ?? new FakeProfileSource();
        Rewriter = rewriter ?? new SafePartTestRewriter();
        Runtime = new AgentRuntime(new AgentRuntimeOptions
        {
            Directory = Directory,
            // createNetwork: each generation builds its live NetworkProfileSource from the resolver settings, as in Exchange.
            Network = createNetwork ? null : Profiles,
            CreateNetwork = createNetwork,
            SelfTestTimeout = selfTestTimeout ?? TimeSpan.FromSeconds(30),
            Rewriter = Rewriter,
            WatchConfiguration = watch,
            ReloadDebounce = TimeSpan.FromMilliseconds(100),
            Log = withLog ? null : AgentLog.Null,
            Time = clock is null ? TimeProvider.System : new VirtualTimeProvider(clock),
        });
        Factory = new LinkSecureRoutingAgentFactory(Runtime);
        Pipeline = new TransportPipeline(Factory, server ?? new SimSmtpServer("contoso.example")) { ForkMode = forkMode };
        if (clock is not null)
        {
            Pipeline.Clock = clock;
        }
    }

    public string Directory { get; }

    public FakeProfileSource Profiles { get; }

    public IDowngradeRewriter Rewriter { get; }

    public AgentRuntime Runtime { get; }

    public LinkSecureRoutingAgentFactory Factory { get; }

    public TransportPipeline Pipeline { get; }

    public string ConfigPath => Path.Combine(Directory, AgentRuntime.ConfigFileName);

    public string[] DecisionLines => Lines("decisions");

    public string[] AgentLines => Lines("agent");

    public void Dispose()
    {
        Factory.Close();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string[] Lines(string target)
    {
        var memory = Runtime.Log.Factory?.Configuration?.FindTargetByName<NLog.Targets.MemoryTarget>(target);
        if (memory is null)
        {
            return Array.Empty<string>();
        }

        lock (memory.Logs)
        {
            return System.Linq.Enumerable.ToArray(memory.Logs);
        }
    }
}
