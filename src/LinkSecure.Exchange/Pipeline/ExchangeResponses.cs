using System.Text;
using Microsoft.Exchange.Data.Transport.Smtp;

namespace LinkSecure.Exchange.Pipeline;

/// <summary>Builds the <see cref="SmtpResponse"/> values the agent hands to Exchange (bounces and deferrals).</summary>
internal static class ExchangeResponses
{
    private const int MaxTextLength = 400;

    /// <summary>A permanent failure with an end-user explanation for the NDR.</summary>
    /// <param name="replyCode">The basic reply code, e.g. 550.</param>
    /// <param name="enhancedCode">The enhanced status code, e.g. 5.7.30.</param>
    /// <param name="explanation">The DSN explanation shown to the sender.</param>
    /// <param name="detail">The technical diagnostic text.</param>
    /// <returns>The response.</returns>
    public static SmtpResponse Failure(string replyCode, string enhancedCode, string explanation, string detail)
    {
#pragma warning disable CS0618 // The constructors are the only form Exchange 2013 CU23 has; [Obsolete] since 2016 but present through 2019 CU12.
        return new SmtpResponse(replyCode, enhancedCode, Clean(explanation), true, Clean(detail));
#pragma warning restore CS0618
    }

    /// <summary>A transient failure (a deferral reason).</summary>
    /// <param name="replyCode">The basic reply code, e.g. 451.</param>
    /// <param name="enhancedCode">The enhanced status code, e.g. 4.4.3.</param>
    /// <param name="text">The reason.</param>
    /// <returns>The response.</returns>
    public static SmtpResponse Transient(string replyCode, string enhancedCode, string text)
    {
#pragma warning disable CS0618 // See Failure.
        return new SmtpResponse(replyCode, enhancedCode, Clean(text));
#pragma warning restore CS0618
    }

    /// <summary>Makes text safe for an SMTP response line: printable ASCII, one line, bounded length.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The cleaned text.</returns>
    public static string Clean(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var builder = new StringBuilder(text!.Length < MaxTextLength ? text.Length : MaxTextLength);
        var space = false;
        foreach (var c in text)
        {
            if (builder.Length >= MaxTextLength)
            {
                break;
            }

            if (c < ' ' || c == 127 || char.IsWhiteSpace(c))
            {
                if (!space && builder.Length > 0)
                {
                    builder.Append(' ');
                    space = true;
                }

                continue;
            }

            builder.Append(c > 126 ? '?' : c);
            space = false;
        }

        return builder.ToString().TrimEnd();
    }
}
