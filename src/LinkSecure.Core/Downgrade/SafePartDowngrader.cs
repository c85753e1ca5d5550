using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Downgrade;

/// <summary>
/// Rewrites a message down to the part its sender marked safe for insecure links (<c>Link-Security-Part: safe</c>),
/// or to the administrator's notice, and leaks nothing else (docs/downgrade.md). Streams in, stream out.
/// </summary>
/// <remarks>
/// <para><b>Safe part.</b> The first entity, in document order, of the message's own tree (not inside attached
/// <c>message/*</c> entities) whose header carries <c>Link-Security-Part: safe</c>. A marked multipart is safe as a
/// whole. When the safe part is the root of a <c>multipart/related</c> (its first part, or the one its <c>start</c>
/// parameter names), the later parts of that <c>multipart/related</c> that are marked too come with it, in a new
/// <c>multipart/related</c>; unmarked ones (e.g. inline images) are dropped.</para>
/// <para><b>Output.</b> The top-level fields on the keep-list (<see cref="DowngradeKeepList"/> plus
/// <see cref="DowngradeSettings.ExtraKeepHeaders"/>) exactly as read, with <c>Subject</c> replaced by
/// <c>Link-Security-Subject</c> when present; then <c>Link-Security-Downgraded: &lt;reason&gt;</c>; <c>MIME-Version</c>
/// if the message had none; then the safe part's own <c>Content-*</c> fields and marker, and its body byte for byte. No
/// line break is added after the body, so its decoded content is unchanged. Generated lines use the line ending of the
/// message's first header line.</para>
/// <para><b>Nothing written on failure.</b> The output is written in one go after the whole input was read, and only for
/// <see cref="DowngradeOutcome.Downgraded"/> and <see cref="DowngradeOutcome.NoticeUsed"/>. The one exception: if a
/// seekable input fails while the safe part is copied from it, the result is <see cref="DowngradeOutcome.Malformed"/>
/// and the output holds an incomplete message, so hosts should write into a buffer (as the Exchange agent must).</para>
/// <para><b>Memory.</b> Content is never held in memory except the safe part when the input cannot seek (then up to
/// <see cref="DowngradeLimits.MaxBufferedBytes"/>); attachments stream past. Give a seekable stream where possible.</para>
/// <para><b>Hostile input.</b> Every outcome is a result, never an exception from the message: parse failures, limit
/// violations, structural errors (a multipart without boundary or without parts) and input read errors are
/// <see cref="DowngradeOutcome.Malformed"/> with a reason.</para>
/// <para>Instances are immutable and thread-safe; each call keeps its own state. Create one per configuration.</para>
/// </remarks>
public sealed partial class SafePartDowngrader
{
    private readonly HashSet<string> keep;

    /// <summary>Creates a downgrader for a configuration.</summary>
    /// <param name="settings">The <c>downgrade</c> section of the configuration.</param>
    /// <param name="limits">Hostile-input limits; <see langword="null"/> for <see cref="DowngradeLimits.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="settings"/> is <see langword="null"/>.</exception>
    public SafePartDowngrader(DowngradeSettings settings, DowngradeLimits? limits = null)
    {
        Settings = settings ?? throw new ArgumentNullException(nameof(settings));
        Limits = limits ?? DowngradeLimits.Default;
        keep = CreateKeepSet(settings.ExtraKeepHeaders);
    }

    /// <summary>Gets the settings.</summary>
    public DowngradeSettings Settings { get; }

    /// <summary>Gets the limits.</summary>
    public DowngradeLimits Limits { get; }

    /// <summary>Downgrades a message with the given settings (a convenience for one-off calls; hosts keep one
    /// <see cref="SafePartDowngrader"/>).</summary>
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
    public static DowngradeResult Downgrade(Stream input, Stream output, DowngradeSettings settings, DowngradeContext context, CancellationToken cancellationToken = default) =>
        new SafePartDowngrader(settings).Downgrade(input, output, context, cancellationToken);

    /// <summary>Downgrades a message: writes its safe part, or the notice, to <paramref name="output"/>.</summary>
    /// <param name="input">The message (read from its current position to the end; seekable streams are not buffered).</param>
    /// <param name="output">Receives the downgraded message or the notice; nothing is written otherwise. Not flushed.</param>
    /// <param name="context">The reason for the trace header.</param>
    /// <param name="cancellationToken">The cancellation token.</param>
    /// <returns><see cref="DowngradeOutcome.Downgraded"/> or <see cref="DowngradeOutcome.NoticeUsed"/> when a message was
    /// written; <see cref="DowngradeOutcome.NoSafePart"/> or <see cref="DowngradeOutcome.Malformed"/> (nothing written)
    /// when the caller must bounce. <see cref="DowngradeResult.Reason"/> says why.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> cannot read or <paramref name="output"/> cannot write.</exception>
    /// <exception cref="OperationCanceledException">The operation was cancelled.</exception>
    /// <exception cref="IOException">Writing to <paramref name="output"/> failed.</exception>
    public DowngradeResult Downgrade(Stream input, Stream output, DowngradeContext context, CancellationToken cancellationToken = default)
    {
        Validate(input, output, context);
        var scanInput = new ScanInputStream(input, Limits);
        var scanner = new MessageScanner(scanInput, keep, Limits, headersOnly: false);
        try
        {
            scanner.ReadMessage(cancellationToken);
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
            return new DowngradeResult(outcome, reason, plan.Write(scanInput, output, cancellationToken));
        }
        catch (InputReadException ex)
        {
            return DowngradeResult.Malformed("the input could not be read while the safe part was copied (the output is incomplete): " + ex.Message);
        }
    }

    internal static HashSet<string> CreateKeepSet(IEnumerable<string> extra)
    {
        var set = new HashSet<string>(DowngradeKeepList.Headers, StringComparer.OrdinalIgnoreCase);
        foreach (var name in extra)
        {
            if (DowngradeKeepList.CanExtend(name, out _))
            {
                set.Add(name);
            }
        }

        return set;
    }

    internal static DowngradeResult Classify(Exception ex, ScanInputStream input)
    {
        switch (ex)
        {
            case MalformedMessageException:
                return DowngradeResult.Malformed(ex.Message);
            case InputReadException:
                return DowngradeResult.Malformed("the input could not be read: " + ex.Message);
            case FormatException when input.Position == 0:
                return DowngradeResult.Malformed("the input is empty");
            case FormatException:
                return DowngradeResult.Malformed("not a MIME message: " + ex.Message);
            default:
                // Fail closed: whatever the parser tripped over, the message is not downgraded.
                return DowngradeResult.Malformed(string.Format(CultureInfo.InvariantCulture, "the MIME parser failed at byte {0} ({1}: {2})", input.Position, ex.GetType().Name, ex.Message));
        }
    }

    private static void Validate(Stream input, Stream output, DowngradeContext context)
    {
        if (input is null)
        {
            throw new ArgumentNullException(nameof(input));
        }

        if (output is null)
        {
            throw new ArgumentNullException(nameof(output));
        }

        if (context is null)
        {
            throw new ArgumentNullException(nameof(context));
        }

        if (!input.CanRead)
        {
            throw new ArgumentException("The input stream cannot be read.", nameof(input));
        }

        if (!output.CanWrite)
        {
            throw new ArgumentException("The output stream cannot be written.", nameof(output));
        }
    }

    private OutputPlan? Plan(MessageScanner scanner, DowngradeContext context, out DowngradeOutcome outcome, out string reason)
    {
        var ignored = scanner.ForeignMarkers > 0
            ? string.Format(CultureInfo.InvariantCulture, " ({0} marker(s) inside attached messages ignored)", scanner.ForeignMarkers)
            : string.Empty;

        try
        {
            if (scanner.Safe is not null)
            {
                var plan = DowngradeComposer.ComposeSafePart(scanner, context, out reason);
                if (scanner.LaterMarkers > 0)
                {
                    reason += string.Format(CultureInfo.InvariantCulture, "; {0} later marked part(s) ignored (the first wins)", scanner.LaterMarkers);
                }

                outcome = DowngradeOutcome.Downgraded;
                return plan;
            }

            if (Settings.Notice is { } notice)
            {
                var plan = DowngradeComposer.ComposeNotice(scanner, context, notice);
                outcome = DowngradeOutcome.NoticeUsed;
                reason = "no part is marked '" + HeaderNames.LinkSecurityPart + ": safe'" + ignored + "; wrote the administrator's notice";
                return plan;
            }
        }
        catch (MalformedMessageException ex)
        {
            outcome = DowngradeOutcome.Malformed;
            reason = ex.Message;
            return null;
        }

        outcome = DowngradeOutcome.NoSafePart;
        reason = "no part is marked '" + HeaderNames.LinkSecurityPart + ": safe'" + ignored + " and no notice template is configured";
        return null;
    }
}
