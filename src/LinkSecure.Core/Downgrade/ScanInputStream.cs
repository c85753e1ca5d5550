using System;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Internal;

namespace LinkSecure.Core.Downgrade;

/// <summary>
/// Wraps the caller's input for <see cref="MessageScanner"/>: counts offsets, records the bytes of selected entities,
/// stops runaway header fields before the parser buffers them, and turns read failures into
/// <see cref="InputReadException"/>. Reports <see cref="CanSeek"/> = <see langword="false"/> so the parser only reads
/// forward; offsets are relative to the input's position at the start of the call.
/// </summary>
/// <remarks>
/// The parser reads ahead of the position it reports (at most one 4 KiB block). A ring of the last
/// <see cref="WindowSize"/> bytes lets a recording start at an offset the stream has already delivered.
/// </remarks>
internal sealed class ScanInputStream : Stream
{
    internal const int WindowSize = 32 * 1024;

    // Slack for the parser's read-ahead when checking the header-field limit.
    private const int HeaderSlack = 16 * 1024;

    private readonly Stream inner;
    private readonly long innerStart;
    private readonly DowngradeLimits limits;
    private readonly byte[] window = new byte[WindowSize];
    private long delivered;
    private long buffered;
    private Recording? active;

    public ScanInputStream(Stream inner, DowngradeLimits limits)
    {
        this.inner = inner;
        this.limits = limits;
        try
        {
            Seekable = inner.CanSeek;
            innerStart = Seekable ? inner.Position : 0;
        }
        catch (Exception ex) when (ex is NotSupportedException or IOException or ObjectDisposedException)
        {
            // A stream that claims to seek but cannot tell its position is read forward only.
            Seekable = false;
            innerStart = 0;
        }
    }

    /// <summary>Gets a value indicating whether recorded ranges are copied from the input afterwards (seekable) rather
    /// than buffered.</summary>
    public bool Seekable { get; }

    /// <summary>Gets or sets a value indicating whether the parser is inside a header block.</summary>
    public bool InHeaders { get; set; }

    /// <summary>Gets or sets the offset where the current header field starts.</summary>
    public long HeaderMark { get; set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => delivered;
        set => throw new NotSupportedException();
    }

    /// <summary>Starts recording at <paramref name="offset"/>, which must be at most <see cref="WindowSize"/> bytes behind
    /// what has been delivered.</summary>
    public Recording StartRecording(long offset)
    {
        if (active is not null)
        {
            throw new InvalidOperationException("A recording is already active.");
        }

        if (offset > delivered || delivered - offset > WindowSize)
        {
            throw new InvalidOperationException(string.Format(CultureInfo.InvariantCulture, "Cannot start recording at {0}; {1} bytes delivered.", offset, delivered));
        }

        var recording = new Recording(offset, buffer: !Seekable);
        for (var position = offset; position < delivered;)
        {
            var index = (int)(position % WindowSize);
            var n = (int)Math.Min(delivered - position, WindowSize - index);
            Append(recording, window, index, n);
            position += n;
        }

        active = recording;
        return recording;
    }

    public void StopRecording(Recording recording, long end)
    {
        if (!ReferenceEquals(active, recording))
        {
            throw new InvalidOperationException("Not the active recording.");
        }

        recording.Finish(end);
        active = null;
    }

    /// <summary>Copies a recorded range to the output: from the buffer, or from the seekable input.</summary>
    public void CopyTo(Recording recording, Stream output, byte[] scratch, CancellationToken cancellationToken)
    {
        if (recording.IsBuffered)
        {
            recording.CopyTo(output, cancellationToken);
            return;
        }

        SeekTo(recording.Start);
        var remaining = recording.Length;
        while (remaining > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var n = ReadInner(scratch, (int)Math.Min(scratch.Length, remaining));
            output.Write(scratch, 0, n);
            remaining -= n;
        }
    }

    /// <summary>Copies a recorded range to the output: from the buffer, or from the seekable input.</summary>
    public async Task CopyToAsync(Recording recording, Stream output, byte[] scratch, CancellationToken cancellationToken)
    {
        if (recording.IsBuffered)
        {
            await recording.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            return;
        }

        SeekTo(recording.Start);
        var remaining = recording.Length;
        while (remaining > 0)
        {
            int n;
            try
            {
                n = await StreamCompat.ReadAsync(inner, scratch, 0, (int)Math.Min(scratch.Length, remaining), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new InputReadException(ex.Message, ex);
            }

            if (n <= 0)
            {
                throw new InputReadException("The input ended early while the safe part was copied (was it changed during the call?).");
            }

            await StreamCompat.WriteAsync(output, scratch, 0, n, cancellationToken).ConfigureAwait(false);
            remaining -= n;
        }
    }

    /// <summary>Reads until <paramref name="count"/> bytes or the end: the parser then sees the same blocks whatever
    /// the caller's stream returns per read, so results never depend on the input's chunking.</summary>
    public override int Read(byte[] buffer, int offset, int count)
    {
        var total = 0;
        try
        {
            while (total < count)
            {
                var n = inner.Read(buffer, offset + total, count - total);
                if (n <= 0)
                {
                    break;
                }

                total += n;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new InputReadException(ex.Message, ex);
        }

        Delivered(buffer, offset, total);
        return total;
    }

    /// <inheritdoc cref="Read(byte[], int, int)"/>
    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        var total = 0;
        try
        {
            while (total < count)
            {
                var n = await StreamCompat.ReadAsync(inner, buffer, offset + total, count - total, cancellationToken).ConfigureAwait(false);
                if (n <= 0)
                {
                    break;
                }

                total += n;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new InputReadException(ex.Message, ex);
        }

        Delivered(buffer, offset, total);
        return total;
    }

#if NET
    public override int Read(Span<byte> buffer)
    {
        var array = new byte[buffer.Length];
        var n = Read(array, 0, array.Length);
        array.AsSpan(0, n).CopyTo(buffer);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var array = new byte[buffer.Length];
#pragma warning disable CA1835 // The array overload is this class's own implementation; this adapter forwards to it.
        var n = await ReadAsync(array, 0, array.Length, cancellationToken).ConfigureAwait(false);
#pragma warning restore CA1835
        array.AsMemory(0, n).CopyTo(buffer);
        return n;
    }
#endif

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private void SeekTo(long offset)
    {
        try
        {
            inner.Seek(innerStart + offset, SeekOrigin.Begin);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new InputReadException(ex.Message, ex);
        }
    }

    private int ReadInner(byte[] scratch, int count)
    {
        int n;
        try
        {
            n = inner.Read(scratch, 0, count);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new InputReadException(ex.Message, ex);
        }

        if (n <= 0)
        {
            throw new InputReadException("The input ended early while the safe part was copied (was it changed during the call?).");
        }

        return n;
    }

    private void Delivered(byte[] buffer, int offset, int count)
    {
        if (count <= 0)
        {
            return;
        }

        if (active is not null)
        {
            Append(active, buffer, offset, count);
        }

        var keep = Math.Min(count, WindowSize);
        var source = offset + count - keep;
        var position = delivered + count - keep;
        while (keep > 0)
        {
            var index = (int)(position % WindowSize);
            var n = Math.Min(keep, WindowSize - index);
            Buffer.BlockCopy(buffer, source, window, index, n);
            source += n;
            position += n;
            keep -= n;
        }

        delivered += count;

        if (InHeaders && delivered - HeaderMark > (long)limits.MaxHeaderFieldBytes + HeaderSlack)
        {
            throw new MalformedMessageException(string.Format(CultureInfo.InvariantCulture, "a header field at byte {0} is longer than the limit of {1:N0} bytes", HeaderMark, limits.MaxHeaderFieldBytes));
        }
    }

    private void Append(Recording recording, byte[] buffer, int offset, int count)
    {
        recording.Append(buffer, offset, count);
        if (recording.IsBuffered)
        {
            buffered += count;
            if (buffered > limits.MaxBufferedBytes)
            {
                throw new MalformedMessageException(string.Format(CultureInfo.InvariantCulture, "the safe part is larger than the {0:N0} bytes that may be buffered from an input that cannot seek", limits.MaxBufferedBytes));
            }
        }
    }
}
