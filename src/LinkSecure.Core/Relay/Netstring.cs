using System;
using System.Text;

namespace LinkSecure.Core.Relay;

/// <summary>The outcome of parsing the start of a buffer as a netstring.</summary>
public enum NetstringStatus
{
    /// <summary>The buffer holds the beginning of a valid netstring; more bytes are needed.</summary>
    NeedMoreData,

    /// <summary>A whole netstring was parsed.</summary>
    Complete,

    /// <summary>The bytes are not a netstring (see <see cref="NetstringError"/>); the stream cannot be resynchronised.</summary>
    Invalid,
}

/// <summary>Why bytes are not a valid netstring.</summary>
public enum NetstringError
{
    /// <summary>No error.</summary>
    None,

    /// <summary>The colon came before any length digit (<c>:abc,</c>).</summary>
    MissingLength,

    /// <summary>A byte other than a digit or the colon in the length (<c>1x:</c>, <c>-1:</c>, <c> 3:</c>).</summary>
    NonDigitLength,

    /// <summary>A length with a leading zero other than <c>0:</c> itself (<c>03:abc,</c>).</summary>
    LeadingZero,

    /// <summary>The declared length exceeds the decoder's maximum.</summary>
    TooLong,

    /// <summary>The byte after the declared payload is not a comma.</summary>
    MissingComma,
}

/// <summary>
/// Netstrings (D. J. Bernstein, "Netstrings", 1997; the framing of Postfix socketmap_table(5)): the payload length in
/// decimal ASCII without leading zeros, a colon, the payload bytes, a comma. <c>27:postfix good-enforce.example,</c>.
/// </summary>
public static class Netstring
{
    /// <summary>The largest maximum payload length a parser accepts, so that the length arithmetic never overflows.</summary>
    public const int LargestMaxLength = 100_000_000;

    /// <summary>The number of bytes the netstring of a payload of <paramref name="payloadLength"/> bytes occupies.</summary>
    /// <param name="payloadLength">The payload length, 0 or more.</param>
    /// <returns>Digits, colon, payload and comma.</returns>
    public static int GetEncodedLength(int payloadLength)
    {
        if (payloadLength < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(payloadLength), payloadLength, "A payload length is 0 or more.");
        }

        return Digits(payloadLength) + payloadLength + 2;
    }

    /// <summary>The number of bytes the netstring of <paramref name="text"/>, encoded as UTF-8, occupies.</summary>
    /// <param name="text">The payload text.</param>
    /// <returns>Digits, colon, payload and comma.</returns>
    public static int GetEncodedLength(string text)
    {
        if (text is null)
        {
            throw new ArgumentNullException(nameof(text));
        }

        return GetEncodedLength(Encoding.UTF8.GetByteCount(text));
    }

    /// <summary>Writes the netstring of <paramref name="payload"/> to <paramref name="destination"/>.</summary>
    /// <param name="payload">The payload bytes.</param>
    /// <param name="destination">At least <see cref="GetEncodedLength(int)"/> bytes.</param>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small.</exception>
    public static int Encode(ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        var total = GetEncodedLength(payload.Length);
        if (destination.Length < total)
        {
            throw new ArgumentException($"The destination holds {destination.Length} bytes; the netstring needs {total}.", nameof(destination));
        }

        var digits = WriteLength(payload.Length, destination);
        payload.CopyTo(destination.Slice(digits));
        destination[digits + payload.Length] = (byte)',';
        return total;
    }

    /// <summary>Writes the netstring of <paramref name="text"/>, encoded as UTF-8, into <paramref name="destination"/>
    /// at <paramref name="offset"/>; no allocation.</summary>
    /// <param name="text">The payload text.</param>
    /// <param name="destination">The buffer, with at least <see cref="GetEncodedLength(string)"/> bytes from <paramref name="offset"/>.</param>
    /// <param name="offset">Where to start writing.</param>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small.</exception>
    public static int Encode(string text, byte[] destination, int offset)
    {
        if (destination is null)
        {
            throw new ArgumentNullException(nameof(destination));
        }

        if (offset < 0 || offset > destination.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, "The offset lies outside the destination.");
        }

        var byteCount = Encoding.UTF8.GetByteCount(text ?? throw new ArgumentNullException(nameof(text)));
        var total = GetEncodedLength(byteCount);
        if (destination.Length - offset < total)
        {
            throw new ArgumentException($"The destination holds {destination.Length - offset} bytes from the offset; the netstring needs {total}.", nameof(destination));
        }

        var digits = WriteLength(byteCount, destination.AsSpan(offset));
        Encoding.UTF8.GetBytes(text, 0, text.Length, destination, offset + digits);
        destination[offset + digits + byteCount] = (byte)',';
        return total;
    }

    /// <summary>The netstring of <paramref name="text"/> encoded as UTF-8, in a new array.</summary>
    /// <param name="text">The payload text.</param>
    /// <returns>The netstring bytes.</returns>
    public static byte[] Encode(string text)
    {
        var bytes = new byte[GetEncodedLength(text)];
        Encode(text, bytes, 0);
        return bytes;
    }

    /// <summary>
    /// Parses the netstring at the start of <paramref name="input"/>. Errors are reported as soon as the bytes seen prove
    /// them: a declared length above <paramref name="maxLength"/> before its colon arrives, a missing comma as soon as
    /// the byte after the payload is there.
    /// </summary>
    /// <param name="input">The buffered bytes, starting at a netstring boundary.</param>
    /// <param name="maxLength">The largest payload accepted, 0 to <see cref="LargestMaxLength"/>.</param>
    /// <param name="payloadOffset">When complete, where the payload starts in <paramref name="input"/>.</param>
    /// <param name="payloadLength">When complete, the payload length; the netstring occupies
    /// <paramref name="payloadOffset"/> + <paramref name="payloadLength"/> + 1 bytes.</param>
    /// <param name="error">When invalid, why.</param>
    /// <returns>Whether the netstring is complete, incomplete or invalid.</returns>
    public static NetstringStatus TryParse(ReadOnlySpan<byte> input, int maxLength, out int payloadOffset, out int payloadLength, out NetstringError error)
    {
        if (maxLength is < 0 or > LargestMaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, $"The maximum length is 0 to {LargestMaxLength}.");
        }

        payloadOffset = 0;
        payloadLength = 0;
        error = NetstringError.None;
        var length = 0;
        var i = 0;
        for (; i < input.Length; i++)
        {
            var b = input[i];
            if (b == (byte)':')
            {
                break;
            }

            if (b is < (byte)'0' or > (byte)'9')
            {
                return Fail(NetstringError.NonDigitLength, out error);
            }

            if (i == 1 && input[0] == (byte)'0')
            {
                return Fail(NetstringError.LeadingZero, out error);
            }

            length = (length * 10) + (b - '0');
            if (length > maxLength)
            {
                return Fail(NetstringError.TooLong, out error);
            }
        }

        if (i == input.Length)
        {
            return NetstringStatus.NeedMoreData;
        }

        if (i == 0)
        {
            return Fail(NetstringError.MissingLength, out error);
        }

        var start = i + 1;
        if (input.Length - start <= length)
        {
            return NetstringStatus.NeedMoreData;
        }

        if (input[start + length] != (byte)',')
        {
            return Fail(NetstringError.MissingComma, out error);
        }

        payloadOffset = start;
        payloadLength = length;
        return NetstringStatus.Complete;
    }

    private static NetstringStatus Fail(NetstringError reason, out NetstringError error)
    {
        error = reason;
        return NetstringStatus.Invalid;
    }

    private static int Digits(int value)
    {
        var digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }

    /// <summary>Writes the decimal length and the colon; returns the bytes written.</summary>
    private static int WriteLength(int length, Span<byte> destination)
    {
        var digits = Digits(length);
        for (var i = digits - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + (length % 10));
            length /= 10;
        }

        destination[digits] = (byte)':';
        return digits + 1;
    }
}
