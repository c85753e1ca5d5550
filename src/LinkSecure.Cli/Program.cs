using System;
using System.CommandLine;
using System.Threading.Tasks;

namespace LinkSecure.Cli;

/// <summary>Entry point of the <c>linksecure</c> administration tool.</summary>
public static class Program
{
    /// <summary>Runs the tool.</summary>
    /// <param name="args">The command line.</param>
    /// <returns>The exit code (docs/cli.md).</returns>
    public static async Task<int> Main(string[] args)
    {
        var root = BuildRootCommand();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync($"linksecure: {error.Message}").ConfigureAwait(false);
            }

            await Console.Error.WriteLineAsync("Run 'linksecure --help' for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        try
        {
            var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
            if (PolicyServerCommand.IsInvoked(parse))
            {
                // The server drains in-flight answers on SIGTERM; the default 2 s would force exit 143 first.
                invocation.ProcessTerminationTimeout = PolicyServerCommand.TerminationTimeout;
            }
            else if (ServeCommand.IsInvoked(parse))
            {
                invocation.ProcessTerminationTimeout = ServeCommand.TerminationTimeout;
            }

            return await parse.InvokeAsync(invocation).ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            await Console.Error.WriteLineAsync($"linksecure: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
    }

    /// <summary>Builds the command tree.</summary>
    /// <returns>The root command.</returns>
    internal static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("ExchangeLinkSecure administration: explain what the agent decides for a message, and manage link-security policy.");
        root.Subcommands.Add(new ExplainCommand().Build());
        root.Subcommands.Add(new DowngradeCommand().Build());
        root.Subcommands.Add(new CheckCommand().Build());
        root.Subcommands.Add(new DbCommand().Build());
        root.Subcommands.Add(ConfigCommand.Build());
        root.Subcommands.Add(new PolicyServerCommand().Build());
        root.Subcommands.Add(new RelayCommand().Build());
        root.Subcommands.Add(new ServeCommand().Build());
        return root;
    }
}
