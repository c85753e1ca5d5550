using System;

namespace LinkSecure.Core.Relay;

/// <summary>
/// An incremental netstring decoder for one byte stream (a socketmap connection): bytes arrive in any fragments
/// (<see cref="GetReadBuffer"/> and <see cref="Advance"/>, or <see cref="Write"/>), and <see cref="TryRead"/> yields the
/// complete netstrings in order, several from one read when the peer pipelines. It owns one buffer sized for the
/// largest accepted netstring and allocates nothing after construction. After an error the stream is unusable:
/// netstrings cannot be resynchronised, so the connection is closed.
/// </summary>
/// <remarks>Not thread-safe: one decoder per connection.</remarks>
public sealed class NetstringDecoder
{
    /// <summary>The default maximum request payload, in bytes.</summary>
    public const int DefaultMaxLength = 10_000;

    private readonly byte[] buffer;
    private int start;
    private int end;

    /// <summary>Initializes a new instance of the <see cref="NetstringDecoder"/> class.</summary>
    /// <param name="maxLength">The largest payload accepted, 0 to <see cref="Netstring.LargestMaxLength"/>; a
    /// netstring declaring more is <see cref="NetstringError.TooLong"/>.</param>
    public NetstringDecoder(int maxLength = DefaultMaxLength)
    {
        if (maxLength is < 0 or > Netstring.LargestMaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, $"The maximum length is 0 to {Netstring.LargestMaxLength}.");
        }

        MaxLength = maxLength;
        buffer = new byte[Netstring.GetEncodedLength(maxLength)];
    }

    /// <summary>Gets the largest payload accepted.</summary>
    public int MaxLength { get; }

    /// <summary>Gets why the stream was rejected, or <see cref="NetstringError.None"/>.</summary>
    public NetstringError Error { get; private set; }

    /// <summary>Gets the number of bytes received and not yet returned as a netstring.</summary>
    public int Buffered => end - start;

    /// <summary>
    /// The free space to receive into; then call <see cref="Advance"/> with the number of bytes received. Moves the
    /// unread bytes to the front first, so a payload returned by <see cref="TryRead"/> is valid only until this call
    /// (or <see cref="Write"/>). Never empty once <see cref="TryRead"/> has returned <see cref="NetstringStatus.NeedMoreData"/>.
    /// </summary>
    /// <returns>The free space.</returns>
    /// <exception cref="InvalidOperationException">The stream was rejected, or the buffer is full of unread netstrings
    /// (call <see cref="TryRead"/> until it needs more data).</exception>
    public Memory<byte> GetReadBuffer()
    {
        if (Error != NetstringError.None)
        {
            throw new InvalidOperationException($"The stream was rejected ({Error}).");
        }

        if (end == buffer.Length && start > 0)
        {
            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
        }

        if (end == buffer.Length)
        {
            throw new InvalidOperationException("The buffer is full: read the complete netstrings first.");
        }

        return new Memory<byte>(buffer, end, buffer.Length - end);
    }

    /// <summary>Records that <paramref name="count"/> bytes were received into the memory <see cref="GetReadBuffer"/> returned.</summary>
    /// <param name="count">The number of bytes received.</param>
    public void Advance(int count)
    {
        if (count < 0 || count > buffer.Length - end)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "More bytes than the read buffer holds.");
        }

        end += count;
    }

    /// <summary>Copies as many of <paramref name="data"/> as fit into the buffer (a convenience over
    /// <see cref="GetReadBuffer"/> and <see cref="Advance"/>).</summary>
    /// <param name="data">Received bytes.</param>
    /// <returns>The number of bytes taken; fewer than given when the buffer is full of unread netstrings.</returns>
    public int Write(ReadOnlySpan<byte> data)
    {
        var free = GetReadBuffer().Span;
        var taken = Math.Min(free.Length, data.Length);
        data.Slice(0, taken).CopyTo(free);
        end += taken;
        return taken;
    }

    /// <summary>Returns the next complete netstring's payload, if one has been received.</summary>
    /// <param name="payload">When complete, the payload; valid until the next <see cref="GetReadBuffer"/> or <see cref="Write"/>.</param>
    /// <returns><see cref="NetstringStatus.Complete"/>, <see cref="NetstringStatus.NeedMoreData"/>, or
    /// <see cref="NetstringStatus.Invalid"/> (then and from then on; see <see cref="Error"/>).</returns>
    public NetstringStatus TryRead(out ReadOnlyMemory<byte> payload)
    {
        payload = ReadOnlyMemory<byte>.Empty;
        if (Error != NetstringError.None)
        {
            return NetstringStatus.Invalid;
        }

        var status = Netstring.TryParse(new ReadOnlySpan<byte>(buffer, start, end - start), MaxLength, out var offset, out var length, out var error);
        switch (status)
        {
            case NetstringStatus.Complete:
                payload = new ReadOnlyMemory<byte>(buffer, start + offset, length);
                start += offset + length + 1;
                if (start == end)
                {
                    // Nothing pipelined behind it: the next read starts at the front without a copy. The payload stays
                    // valid: bytes are only overwritten after the next GetReadBuffer.
                    start = 0;
                    end = 0;
                }

                return status;
            case NetstringStatus.Invalid:
                Error = error;
                return status;
            default:
                return status;
        }
    }
}
