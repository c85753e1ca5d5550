using System.IO;
using LinkSecure.Exchange.Simulator;
using LinkSecure.Exchange.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace LinkSecure.Exchange.Tests.Pipeline;

/// <summary>
/// Randomized fault runs of the real agent through the simulator (<see cref="FaultRun"/>): seeded, parallel, bounded.
/// Each run prints its seed and figures (test output, and fault-run-*.txt beside the test assembly).
/// </summary>
public class FaultRunTests
{
    private readonly ITestOutputHelper output;

    public FaultRunTests(ITestOutputHelper output)
    {
        this.output = output;
    }

    /// <summary>Lookups that fail (temporarily, with an exception, for part of each virtual hour), TNEF, both property-bag
    /// readings, parallel transport threads, retries, with Defer only recording: what the current agent is built for.
    /// Proves the harness finds nothing where nothing is wrong. Lookups that take time are left to
    /// <see cref="AllFaults_InvariantsHold"/>: the current agent blocks a pool thread on each.</summary>
    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void LookupFaults_InvariantsHold(ForkMode mode)
    {
        // Arrange
        var options = new FaultRunOptions { Seed = 20260512, Messages = 20_000, ForkMode = mode };

        // Act
        var run = FaultRun.Execute(options);

        // Assert
        Report(run, "lookup-faults-" + mode);
        Assert.True(run.Clean, run.Describe());
        Assert.Equal(options.Messages, run.MessagesSent);
        Assert.True(run.Forks > 0 && run.Deferrals > 0 && run.Retries > 0 && run.Ndrs > 0 && run.Downgrades > 0 && run.SecureDeliveries > 0, run.Describe());
    }

    /// <summary>Everything at once, 100,000 messages per fork mode: lookups that fail, answer late, time out or never
    /// finish, Exchange calls that throw, removals refused, malformed request headers, internal-relay recipients and
    /// mail contacts, Defer reverting the item.</summary>
    [Theory]
    [InlineData(ForkMode.ReentersSameEvent)]
    [InlineData(ForkMode.LaterEventsOnly)]
    public void AllFaults_InvariantsHold(ForkMode mode)
    {
        // Arrange
        var options = new FaultRunOptions
        {
            Seed = 20260513,
            Messages = 100_000,
            ForkMode = mode,
            SlowLookups = true,
            ExchangeFaults = true,
            DeferReverts = true,
            RelayAndContacts = true,
        };

        // Act
        var run = FaultRun.Execute(options);

        // Assert
        Report(run, "all-faults-" + mode);
        Assert.True(run.Clean, run.Describe());
        Assert.Equal(options.Messages, run.MessagesSent);
        Assert.True(run.InjectedFaults > 0 && run.RefusedRemoves > 0, run.Describe());
    }

    private void Report(FaultRun run, string name)
    {
        var text = run.Describe();
        output.WriteLine(text);
        File.WriteAllText(Path.Combine(System.AppDomain.CurrentDomain.BaseDirectory, "fault-run-" + name + ".txt"), text);
    }
}
