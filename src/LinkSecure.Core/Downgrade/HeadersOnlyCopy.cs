using System;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Internal;
using LinkSecure.Core.Protocol;
using MimeKit;

namespace LinkSecure.Core.Downgrade;

/// <summary>
/// Writes the "headers only" copy of a message: the body of a <c>text/rfc822-headers</c> part (RFC 6522, formerly RFC
/// 3462) for bounces that must not carry content (RFC 8689 §5; Postfix <c>requiretls_redact_dsn</c>). Reads only the
/// header block, never the body. Thread-safe.
/// </summary>
/// <remarks>
/// The output is the message's top-level header fields exactly as read (invalid lines dropped), each ending in a line
/// break, without the empty line that would end the header block. By default <c>Link-Security-Subject</c> replaces the
/// <c>Subject</c>, so a confidential subject does not travel back over an insecure return path.
/// </remarks>
public static class HeadersOnlyCopy
{
    /// <summary>Writes the headers-only copy.</summary>
    /// <param name="input">The message, read from its current position; only the header block is read.</param>
    /// <param name="output">Receives the header fields; nothing is written when the header cannot be read.</param>
    /// <param name="options">The options; <see langword="null"/> for <see cref="HeadersOnlyOptions.Default"/>.</param>
    /// <param name="cancellationToken">The cancellation token.</param>
    /// <returns>Whether the copy was written, and why not.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="output"/> is <see langword="null"/>.</exception>
    /// <exception cref="OperationCanceledException">The operation was cancelled.</exception>
    /// <exception cref="IOException">Writing to <paramref name="output"/> failed.</exception>
    public static HeadersOnlyResult Write(Stream input, Stream output, HeadersOnlyOptions? options = null, CancellationToken cancellationToken = default)
    {
        options = Validate(input, output, options);
        var scanInput = new ScanInputStream(input, options.Limits);
        var scanner = new MessageScanner(scanInput, SafePartDowngrader.CreateKeepSet(options.ExtraKeepHeaders), options.Limits, headersOnly: true);
        try
        {
            scanner.ReadHeaders(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Failed(ex, scanInput);
        }

        if (scanner.TopHeaders.Count == 0)
        {
            return NoFields(scanInput);
        }

        var bytes = Compose(scanner, options, out var count, out var eightBit);
        output.Write(bytes, 0, bytes.Length);
        return Written(bytes.Length, count, eightBit);
    }

    /// <summary>Writes the headers-only copy asynchronously.</summary>
    /// <param name="input">The message, read from its current position; only the header block is read.</param>
    /// <param name="output">Receives the header fields; nothing is written when the header cannot be read.</param>
    /// <param name="options">The options; <see langword="null"/> for <see cref="HeadersOnlyOptions.Default"/>.</param>
    /// <param name="cancellationToken">The cancellation token.</param>
    /// <returns>Whether the copy was written, and why not.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="output"/> is <see langword="null"/>.</exception>
    /// <exception cref="OperationCanceledException">The operation was cancelled.</exception>
    /// <exception cref="IOException">Writing to <paramref name="output"/> failed.</exception>
    public static async Task<HeadersOnlyResult> WriteAsync(Stream input, Stream output, HeadersOnlyOptions? options = null, CancellationToken cancellationToken = default)
    {
        options = Validate(input, output, options);
        var scanInput = new ScanInputStream(input, options.Limits);
        var scanner = new MessageScanner(scanInput, SafePartDowngrader.CreateKeepSet(options.ExtraKeepHeaders), options.Limits, headersOnly: true);
        try
        {
            await scanner.ReadHeadersAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Failed(ex, scanInput);
        }

        if (scanner.TopHeaders.Count == 0)
        {
            return NoFields(scanInput);
        }

        var bytes = Compose(scanner, options, out var count, out var eightBit);
        await StreamCompat.WriteAsync(output, bytes, 0, bytes.Length, cancellationToken).ConfigureAwait(false);
        return Written(bytes.Length, count, eightBit);
    }

    private static HeadersOnlyOptions Validate(Stream input, Stream output, HeadersOnlyOptions? options)
    {
        if (input is null)
        {
            throw new ArgumentNullException(nameof(input));
        }

        if (output is null)
        {
            throw new ArgumentNullException(nameof(output));
        }

        return options ?? HeadersOnlyOptions.Default;
    }

    private static HeadersOnlyResult Failed(Exception ex, ScanInputStream input) =>
        new(false, SafePartDowngrader.Classify(ex, input).Reason, 0, 0, false);

    private static HeadersOnlyResult NoFields(ScanInputStream input) =>
        new(false, input.Position == 0 ? "the input is empty" : "the message has no valid header field", 0, 0, false);

    private static HeadersOnlyResult Written(long bytes, int count, bool eightBit) =>
        new(true, string.Format(CultureInfo.InvariantCulture, "{0} header field(s) copied", count), bytes, count, eightBit);

    private static byte[] Compose(MessageScanner scanner, HeadersOnlyOptions options, out int count, out bool eightBit)
    {
        var keep = SafePartDowngrader.CreateKeepSet(options.ExtraKeepHeaders);
        var replacement = options.ReplaceSubject ? scanner.SubjectReplacement : null;
        var plan = new OutputPlan(scanner.NewLine);
        var subjectName = Encoding.ASCII.GetBytes("Subject");
        var subjectWritten = false;
        count = 0;
        eightBit = false;
        foreach (var header in scanner.TopHeaders)
        {
            if (options.KeepListOnly && !keep.Contains(header.Field))
            {
                continue;
            }

            if (replacement is not null)
            {
                if (string.Equals(header.Field, HeaderNames.LinkSecuritySubject, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (string.Equals(header.Field, "Subject", StringComparison.OrdinalIgnoreCase))
                {
                    if (!subjectWritten)
                    {
                        plan.AddRawHeader(subjectName, replacement.RawValue);
                        eightBit |= HasEightBit(replacement);
                        subjectWritten = true;
                        count++;
                    }

                    continue;
                }
            }

            plan.AddRawHeader(header);
            eightBit |= HasEightBit(header);
            count++;
        }

        if (replacement is not null && !subjectWritten)
        {
            plan.AddRawHeader(subjectName, replacement.RawValue);
            eightBit |= HasEightBit(replacement);
            count++;
        }

        return plan.ToArray();
    }

    private static bool HasEightBit(Header header)
    {
        foreach (var b in header.RawValue)
        {
            if (b >= 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
