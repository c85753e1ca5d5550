using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Configuration;

namespace LinkSecure.Core.Downgrade;

/// <content>Asynchronous twins of the downgrade methods.</content>
public sealed partial class SafePartDowngrader
{
    /// <summary>Downgrades a message with the given settings, asynchronously (a convenience for one-off calls).</summary>
    /// <param name="input">The message (read from its current position to the end).</param>
    /// <param name="output">Receives the downgraded message or the notice; nothing is written otherwise.</param>
    /// <param name="settings">The <c>downgrade</c> section of the configuration.</param>
    /// <param name="context">The reason for the trace header.</param>
    /// <param name="cancellationToken">The cancellation token.</param>
    /// <returns>The outcome; see <see cref="Downgrade(Stream, Stream, DowngradeContext, CancellationToken)"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> cannot read or <paramref name="output"/> cannot write.</exception>
    /// <exception cref="OperationCanceledException">The operation was cancelled.</exception>
    /// <exception cref="IOException">Writing to <paramref name="output"/> failed.</exception>
    public static Task<DowngradeResult> DowngradeAsync(Stream input, Stream output, DowngradeSettings settings, DowngradeContext context, CancellationToken cancellationToken = default) =>
        new SafePartDowngrader(settings).DowngradeAsync(input, output, context, cancellationToken);

    /// <summary>Downgrades a message asynchronously: writes its safe part, or the notice, to <paramref name="output"/>.</summary>
    /// <param name="input">The message (read from its current position to the end; seekable streams are not buffered).</param>
    /// <param name="output">Receives the downgraded message or the notice; nothing is written otherwise. Not flushed.</param>
    /// <param name="context">The reason for the trace header.</param>
    /// <param name="cancellationToken">The cancellation token.</param>
    /// <returns>The outcome; see <see cref="Downgrade(Stream, Stream, DowngradeContext, CancellationToken)"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> cannot read or <paramref name="output"/> cannot write.</exception>
    /// <exception cref="OperationCanceledException">The operation was cancelled.</exception>
    /// <exception cref="IOException">Writing to <paramref name="output"/> failed.</exception>
    public async Task<DowngradeResult> DowngradeAsync(Stream input, Stream output, DowngradeContext context, CancellationToken cancellationToken = default)
    {
        Validate(input, output, context);
        var scanInput = new ScanInputStream(input, Limits);
        var scanner = new MessageScanner(scanInput, keep, Limits, headersOnly: false);
        try
        {
            await scanner.ReadMessageAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Classify(ex, scanInput);
        }

        var plan = Plan(scanner, context, out var outcome, out var reason);
        if (plan is null)
        {
            return new DowngradeResult(outcome, reason, 0);
        }

        try
        {
            return new DowngradeResult(outcome, reason, await plan.WriteAsync(scanInput, output, cancellationToken).ConfigureAwait(false));
        }
        catch (InputReadException ex)
        {
            return DowngradeResult.Malformed("the input could not be read while the safe part was copied (the output is incomplete): " + ex.Message);
        }
    }
}
