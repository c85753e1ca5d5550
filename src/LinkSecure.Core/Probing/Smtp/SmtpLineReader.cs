using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace LinkSecure.Core.Probing;

/// <summary>A problem with what the server sent: a malformed or oversized reply, or the connection closing.</summary>
internal sealed class SmtpProtocolException : Exception
{
    public SmtpProtocolException(string message)
        : base(message)
    {
    }

    public SmtpProtocolException()
    {
    }

    public SmtpProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>An SMTP reply: the code and the text of each line (RFC 5321 §4.2).</summary>
internal sealed class SmtpReply
{
    public SmtpReply(int code, IReadOnlyList<string> lines)
    {
        Code = code;
        Lines = lines;
    }

    public int Code { get; }

    public IReadOnlyList<string> Lines { get; }

    public string FirstLine => Code.ToString(CultureInfo.InvariantCulture) + (Lines.Count > 0 && Lines[0].Length > 0 ? " " + Lines[0] : string.Empty);

    public override string ToString() => FirstLine;
}

/// <summary>
/// Reads CRLF-terminated reply lines with a length cap from the plaintext stream and then from the TLS stream. Bytes
/// are decoded as Latin-1 so nothing a server sends can throw; control characters are replaced.
/// </summary>
internal sealed class SmtpLineReader
{
    private readonly byte[] buffer;
    private readonly int maxLineLength;
    private readonly int maxReplyLines;
    private Stream stream;
    private int start;
    private int end;

    public SmtpLineReader(Stream stream, int maxLineLength, int maxReplyLines)
    {
        this.stream = stream;
        buffer = new byte[Math.Max(4096, maxLineLength + 2)];
        this.maxLineLength = maxLineLength;
        this.maxReplyLines = maxReplyLines;
    }

    /// <summary>Gets how many bytes have been received.</summary>
    public long BytesReceived { get; private set; }

    /// <summary>Gets how many received bytes have not been consumed as lines yet.</summary>
    public int Buffered => end - start;

    /// <summary>Switches to another stream (the TLS stream after STARTTLS), dropping anything still buffered.</summary>
    public void SwitchTo(Stream next)
    {
        stream = next;
        start = 0;
        end = 0;
    }

    public async Task<SmtpReply> ReadReplyAsync(string what, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        var code = -1;
        while (true)
        {
            var line = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                throw new SmtpProtocolException(lines.Count == 0
                    ? "connection closed by the server before the " + what
                    : string.Format(CultureInfo.InvariantCulture, "connection closed by the server in the middle of the {0} (after {1} line(s))", what, lines.Count));
            }

            if (line.Length < 3 || !char.IsDigit(line[0]) || !char.IsDigit(line[1]) || !char.IsDigit(line[2]) || (line.Length > 3 && line[3] != ' ' && line[3] != '-'))
            {
                throw new SmtpProtocolException("malformed " + what + " line: \"" + Clip(line) + "\"");
            }

            var lineCode = int.Parse(line.Substring(0, 3), NumberStyles.None, CultureInfo.InvariantCulture);
            if (code >= 0 && lineCode != code)
            {
                throw new SmtpProtocolException(string.Format(CultureInfo.InvariantCulture, "{0} changes its code from {1} to {2} between lines", what, code, lineCode));
            }

            code = lineCode;
            lines.Add(line.Length > 4 ? line.Substring(4) : string.Empty);
            if (line.Length <= 3 || line[3] == ' ')
            {
                return new SmtpReply(code, lines);
            }

            if (lines.Count >= maxReplyLines)
            {
                throw new SmtpProtocolException(string.Format(CultureInfo.InvariantCulture, "{0} has more than {1} lines", what, maxReplyLines));
            }
        }
    }

    /// <summary>Reads one line without its CRLF (a bare LF is accepted); <see langword="null"/> at end of stream.</summary>
    public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var scanned = 0;
        while (true)
        {
            var newline = Array.IndexOf(buffer, (byte)'\n', start + scanned, end - start - scanned);
            if (newline >= 0)
            {
                var length = newline - start;
                if (length + 1 > maxLineLength)
                {
                    throw new SmtpProtocolException(string.Format(CultureInfo.InvariantCulture, "reply line longer than {0} bytes", maxLineLength));
                }

                var line = Decode(buffer, start, length > 0 && buffer[newline - 1] == '\r' ? length - 1 : length);
                start = newline + 1;
                return line;
            }

            scanned = end - start;
            if (scanned >= maxLineLength)
            {
                throw new SmtpProtocolException(string.Format(CultureInfo.InvariantCulture, "reply line longer than {0} bytes", maxLineLength));
            }

            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }

            if (end == buffer.Length)
            {
                throw new SmtpProtocolException(string.Format(CultureInfo.InvariantCulture, "reply line longer than {0} bytes", buffer.Length));
            }

#if NET
            var read = await stream.ReadAsync(buffer.AsMemory(end, buffer.Length - end), cancellationToken).ConfigureAwait(false);
#else
            var read = await stream.ReadAsync(buffer, end, buffer.Length - end, cancellationToken).ConfigureAwait(false);
#endif
            if (read == 0)
            {
                return null;
            }

            BytesReceived += read;
            end += read;
        }
    }

    internal static string Clip(string text) => text.Length <= 80 ? text : text.Substring(0, 80) + "…";

    private static string Decode(byte[] bytes, int offset, int count)
    {
        var builder = new StringBuilder(count);
        for (var i = offset; i < offset + count; i++)
        {
            var b = bytes[i];
            builder.Append(b < 0x20 || b == 0x7F ? '?' : (char)b);
        }

        return builder.ToString();
    }
}
