using System;
using System.CommandLine;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Downgrade;

namespace LinkSecure.Cli;

/// <summary><c>linksecure downgrade</c>: write the copy of a message that may travel over an insecure link (docs/downgrade.md).</summary>
internal sealed class DowngradeCommand
{
    /// <summary>The trace reason written into <c>Link-Security-Downgraded</c> by the CLI.</summary>
    internal const string Reason = "manual downgrade (linksecure CLI)";

    private readonly CommonOptions common = new();

    private readonly Argument<FileInfo> input = new("in.eml")
    {
        Description = "The message to downgrade (RFC 5322).",
    };

    private readonly Option<FileInfo?> output = new("--output", "-o")
    {
        Description = "Write the downgraded message to this file (replaced atomically). Default: standard output.",
    };

    public Command Build()
    {
        var command = new Command(
            "downgrade",
            "Write the downgraded copy of a message: only the MIME part marked 'Link-Security-Part: safe', under the kept top-level headers, or the administrator's notice when there is no safe part (docs/downgrade.md). This is what a recipient on an insecure link receives when the sender asked for fallback=safe-part.\n\n" +
            "Exit codes: 0 written; 2 usage error (bad option or configuration); 3 no safe part and no notice template (the agent would bounce); 4 the message is malformed or unreadable.");
        command.Arguments.Add(input);
        command.Options.Add(output);
        command.Options.Add(common.Config);
        command.SetAction((result, cancellationToken) => RunAsync(result, cancellationToken));
        return command;
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        var settings = common.LoadSettings(result);
        var file = result.GetValue(input)!;
        var target = result.GetValue(output);
        using var buffer = new MemoryStream();
        DowngradeResult outcome;
        try
        {
            using var stream = file.OpenRead();
            outcome = await new SafePartDowngrader(settings.Downgrade).DowngradeAsync(stream, buffer, new DowngradeContext(Reason), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"linksecure downgrade: cannot read {file.FullName}: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.BadMessage;
        }

        switch (outcome.Outcome)
        {
            case DowngradeOutcome.Downgraded:
            case DowngradeOutcome.NoticeUsed:
                break;
            case DowngradeOutcome.NoSafePart:
                await Console.Error.WriteLineAsync($"linksecure downgrade: {outcome.Reason}").ConfigureAwait(false);
                return ExitCodes.NoSafePart;
            default:
                await Console.Error.WriteLineAsync($"linksecure downgrade: malformed message: {outcome.Reason}").ConfigureAwait(false);
                return ExitCodes.BadMessage;
        }

        buffer.Position = 0;
        if (target is null)
        {
            using var stdout = Console.OpenStandardOutput();
            await buffer.CopyToAsync(stdout, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            AtomicFile.Write(target.FullName, buffer.CopyTo);
            await Console.Error.WriteLineAsync($"{(outcome.Outcome == DowngradeOutcome.NoticeUsed ? "Notice" : "Safe part")} written to {target.FullName} ({outcome.BytesWritten} bytes).").ConfigureAwait(false);
        }

        return ExitCodes.Ok;
    }
}
