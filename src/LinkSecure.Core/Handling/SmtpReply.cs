using System;
using System.Text;
using LinkSecure.Core.Decisions;

namespace LinkSecure.Core.Handling;

/// <summary>A reply a host hands back for a recipient: a bounce, a deferral, or an impossible downgrade.</summary>
/// <remarks>
/// <para>The codes follow RFC 3463 (enhanced status codes) and RFC 8689 §7 (5.7.30 for link security that cannot be
/// met). <see cref="Explanation"/> is the one line the sender reads in the DSN (RFC 3464 human-readable part), in plain
/// words; <see cref="Detail"/> is the diagnostic text of the SMTP reply line (RFC 5321 §4.2), which must be ASCII.</para>
/// </remarks>
public sealed class SmtpReply
{
    /// <summary>The longest <see cref="Detail"/>: well inside RFC 5321 §4.5.3.1.5's 512-octet reply line.</summary>
    internal const int MaxStatusTextLength = 400;

    /// <summary>The longest <see cref="Explanation"/>.</summary>
    internal const int MaxExplanationLength = 1000;

    internal SmtpReply(EnhancedStatusCode code, string explanation, string detail)
    {
        if (code.ReplyCode is not { Length: 3 } reply || code.Enhanced is not { Length: >= 5 } enhanced || reply[0] != enhanced[0] || reply[0] is not ('4' or '5'))
        {
            // RFC 3463 §2: the class digit of the enhanced code repeats the first digit of the reply code.
            throw new ArgumentException("A reply is a 4xx or 5xx code with an enhanced code of the same class.", nameof(code));
        }

        ReplyCode = reply;
        EnhancedCode = enhanced;
        Explanation = CleanExplanation(explanation);
        Detail = CleanStatusText(detail);
    }

    /// <summary>Gets the basic reply code, e.g. <c>550</c> or <c>451</c>.</summary>
    public string ReplyCode { get; }

    /// <summary>Gets the enhanced status code, e.g. <c>5.7.30</c> or <c>4.4.3</c> (RFC 3463, RFC 8689).</summary>
    public string EnhancedCode { get; }

    /// <summary>Gets the text shown to the sender in the DSN: plain words, one line, control characters removed,
    /// non-ASCII kept (internationalised domain names and addresses).</summary>
    public string Explanation { get; }

    /// <summary>Gets the diagnostic text, <c>LinkSecure: …</c>: printable ASCII, one line, at most 400 characters.</summary>
    public string Detail { get; }

    /// <summary>Gets a value indicating whether the reply is permanent (the reply code starts with 5).</summary>
    public bool IsPermanent => ReplyCode[0] == '5';

    /// <summary>Makes text safe for an SMTP reply line: printable ASCII (other characters become <c>?</c>), one line
    /// (every run of white space or control characters becomes one space), trimmed, at most 400 characters.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The cleaned text; empty for <see langword="null"/>.</returns>
    public static string CleanStatusText(string? text) => Clean(text, MaxStatusTextLength, ascii: true);

    /// <summary>Makes text safe as a one-line DSN explanation: every run of white space becomes one space; control,
    /// bidirectional-override and byte-order-mark characters and unpaired surrogates are removed; other non-ASCII
    /// characters are kept; trimmed; at most 1000 characters, never cutting a surrogate pair.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The cleaned text; empty for <see langword="null"/>.</returns>
    public static string CleanExplanation(string? text) => Clean(text, MaxExplanationLength, ascii: false);

    /// <summary>Formats as <c>550 5.7.30 LinkSecure: …</c>.</summary>
    /// <returns>The reply line.</returns>
    public override string ToString() => ReplyCode + " " + EnhancedCode + " " + Detail;

    private static string Clean(string? text, int maxLength, bool ascii)
    {
        if (text is null || text.Length == 0)
        {
            return string.Empty;
        }

        var builder = new StringBuilder(text.Length < maxLength ? text.Length : maxLength);
        var space = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c) || (ascii && (c < ' ' || c == 127)))
            {
                space = builder.Length > 0;
                continue;
            }

            var pair = !ascii && char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            if (!ascii && !pair && IsRemoved(c))
            {
                continue;
            }

            if (builder.Length + (space ? 1 : 0) + (pair ? 2 : 1) > maxLength)
            {
                break;
            }

            if (space)
            {
                builder.Append(' ');
                space = false;
            }

            if (pair)
            {
                builder.Append(c).Append(text[++i]);
            }
            else
            {
                builder.Append(ascii && c > 126 ? '?' : c);
            }
        }

        return builder.ToString();
    }

    /// <summary>Characters a one-line explanation drops: controls (C0, DEL, C1), unpaired surrogates, the byte-order mark,
    /// and the bidirectional marks, embeddings, overrides and isolates that could make an address read differently.</summary>
    private static bool IsRemoved(char c) =>
        char.IsControl(c) || char.IsSurrogate(c) || c == '\uFEFF' || c is '\u200E' or '\u200F' || c is >= '\u202A' and <= '\u202E' || c is >= '\u2066' and <= '\u2069';

    /// <summary>
    /// The bounce for a downgrade recipient whose rewrite turned out impossible on a later event, where only the codes
    /// stored with the recipient are at hand (the Exchange agent rewrites on <c>OnCategorizedMessage</c>).
    /// </summary>
    /// <param name="recipient">The recipient address.</param>
    /// <param name="replyCode">The stored basic code; <see langword="null"/> for 550.</param>
    /// <param name="enhancedCode">The stored enhanced code; <see langword="null"/> for 5.7.30 (RFC 8689 §7).</param>
    /// <param name="reason">The stored technical reason; may be <see langword="null"/>.</param>
    /// <param name="failure">Why the rewrite is impossible.</param>
    /// <param name="detail">Technical detail for the diagnostic; may be <see langword="null"/>.</param>
    /// <returns>The permanent reply.</returns>
    public static SmtpReply DowngradeImpossible(string recipient, string? replyCode, string? enhancedCode, string? reason, DowngradeFailure failure, string? detail)
    {
        var code = replyCode is { Length: 3 } && enhancedCode is { Length: >= 5 } && replyCode[0] == '5' && enhancedCode[0] == '5'
            ? new EnhancedStatusCode(replyCode, enhancedCode)
            : EnhancedStatusCode.RequiredLevelNotMet;
        return ReplyTexts.DowngradeImpossible(recipient, code, reason, failure, detail);
    }

    /// <summary>The deferral of a whole copy after an internal error (RFC 3463 §3.4, 4.3.0).</summary>
    /// <param name="what">What failed, for the diagnostic.</param>
    /// <returns>The transient reply.</returns>
    public static SmtpReply InternalErrorDeferral(string what) => ReplyTexts.FailSafeDefer("the recipients", what);

    /// <summary>The bounce of one recipient that cannot be handled safely (RFC 3463 §3.4, 5.3.0), whatever the message's age:
    /// for the cases where a deferral would duplicate mail.</summary>
    /// <param name="recipient">The recipient address.</param>
    /// <param name="what">What failed, for the diagnostic.</param>
    /// <returns>The permanent reply.</returns>
    public static SmtpReply InternalErrorBounce(string recipient, string what) =>
        new(
            EnhancedStatusCode.SystemErrorPermanent,
            $"Your message was not delivered to {recipient} because it could not be processed safely. Please send it again later, or contact your administrator if this keeps happening.",
            ReplyTexts.DetailPrefix + "the message could not be processed safely: " + what);
}
