using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Internal;
using MimeKit;

namespace LinkSecure.Core.Downgrade;

/// <summary>
/// The output message as a list of pieces: generated or copied header bytes, and recorded body ranges. Built after the
/// parse (when the outcome is known), then written in one go, so that nothing reaches the caller's stream unless the
/// outcome is a message.
/// </summary>
internal sealed class OutputPlan
{
    private static readonly byte[] Colon = { (byte)':' };

    private readonly List<object> pieces = new();
    private readonly List<byte[]> literal = new();

    public OutputPlan(string newLine)
    {
        NewLine = newLine;
        NewLineBytes = Encoding.ASCII.GetBytes(newLine);
        Format = newLine == "\n" ? UnixFormat : DosFormat;
    }

    public string NewLine { get; }

    public byte[] NewLineBytes { get; }

    /// <summary>Gets MimeKit's format options matching <see cref="NewLine"/>.</summary>
    public FormatOptions Format { get; }

    private static FormatOptions DosFormat { get; } = CreateFormat(NewLineFormat.Dos);

    private static FormatOptions UnixFormat { get; } = CreateFormat(NewLineFormat.Unix);

    /// <summary>Appends a header field exactly as read: raw name, ':', raw value (line break added if the value lacks one).</summary>
    public void AddRawHeader(Header header) => AddRawHeader(header.RawField, header.RawValue);

    public void AddRawHeader(byte[] rawField, byte[] rawValue)
    {
        AddBytes(rawField);
        AddBytes(Colon);
        AddBytes(rawValue);
        if (rawValue.Length == 0 || rawValue[rawValue.Length - 1] != (byte)'\n')
        {
            AddBytes(NewLineBytes);
        }
    }

    /// <summary>Appends a header field with a value encoded (RFC 2047) and folded by MimeKit.</summary>
    public void AddEncodedHeader(string name, string value)
    {
        var header = new Header(name, string.Empty);
        header.SetValue(Format, Encoding.UTF8, value);
        AddRawHeader(Encoding.ASCII.GetBytes(name), header.RawValue);
    }

    /// <summary>Appends ASCII text followed by a line break.</summary>
    public void AddLine(string ascii)
    {
        AddBytes(Encoding.ASCII.GetBytes(ascii));
        AddBytes(NewLineBytes);
    }

    public void AddNewLine() => AddBytes(NewLineBytes);

    public void AddBytes(byte[] bytes) => literal.Add(bytes);

    /// <summary>Appends a MimeKit entity (headers, blank line, body) written with <see cref="Format"/>.</summary>
    public void AddEntity(MimeEntity entity)
    {
        using var buffer = new MemoryStream();
        entity.WriteTo(Format, buffer);
        AddBytes(buffer.ToArray());
    }

    public void AddRecording(Recording recording)
    {
        FlushLiteral();
        pieces.Add(recording);
    }

    /// <summary>Returns the bytes of a plan that holds no recording (generated and copied header bytes only).</summary>
    public byte[] ToArray()
    {
        FlushLiteral();
        if (pieces.Count == 0)
        {
            return Array.Empty<byte>();
        }

        if (pieces.Count > 1 || pieces[0] is not byte[] bytes)
        {
            throw new InvalidOperationException("The plan refers to input ranges.");
        }

        return bytes;
    }

    public long Write(ScanInputStream input, Stream output, CancellationToken cancellationToken)
    {
        FlushLiteral();
        byte[]? scratch = null;
        long written = 0;
        foreach (var piece in pieces)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (piece is byte[] bytes)
            {
                output.Write(bytes, 0, bytes.Length);
                written += bytes.Length;
            }
            else
            {
                var recording = (Recording)piece;
                input.CopyTo(recording, output, scratch ??= new byte[81920], cancellationToken);
                written += recording.Length;
            }
        }

        return written;
    }

    public async Task<long> WriteAsync(ScanInputStream input, Stream output, CancellationToken cancellationToken)
    {
        FlushLiteral();
        byte[]? scratch = null;
        long written = 0;
        foreach (var piece in pieces)
        {
            if (piece is byte[] bytes)
            {
                await StreamCompat.WriteAsync(output, bytes, 0, bytes.Length, cancellationToken).ConfigureAwait(false);
                written += bytes.Length;
            }
            else
            {
                var recording = (Recording)piece;
                await input.CopyToAsync(recording, output, scratch ??= new byte[81920], cancellationToken).ConfigureAwait(false);
                written += recording.Length;
            }
        }

        return written;
    }

    private static FormatOptions CreateFormat(NewLineFormat newLine)
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = newLine;
        format.International = false;
        return format;
    }

    private void FlushLiteral()
    {
        if (literal.Count > 0)
        {
            var length = 0;
            foreach (var bytes in literal)
            {
                length += bytes.Length;
            }

            var joined = new byte[length];
            var offset = 0;
            foreach (var bytes in literal)
            {
                Buffer.BlockCopy(bytes, 0, joined, offset, bytes.Length);
                offset += bytes.Length;
            }

            pieces.Add(joined);
            literal.Clear();
        }
    }
}
