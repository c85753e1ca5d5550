using System;
using System.Text;
using LinkSecure.Core.Relay;
using Xunit;

namespace LinkSecure.Core.Tests.Relay;

public class NetstringTests
{
    [Theory]
    [InlineData("", "0:,")]
    [InlineData("postfix good-enforce.example", "28:postfix good-enforce.example,")]
    [InlineData("NOTFOUND ", "9:NOTFOUND ,")]
    [InlineData("é", "2:é,")]
    public void Encode_String_FramesTheUtf8Bytes(string text, string expected)
    {
        // Act
        var bytes = Netstring.Encode(text);

        // Assert
        Assert.Equal(expected, Encoding.UTF8.GetString(bytes));
        Assert.Equal(bytes.Length, Netstring.GetEncodedLength(text));
    }

    [Fact]
    public void Encode_IntoBufferAtOffset_WritesOnlyTheNetstring()
    {
        // Arrange
        var buffer = new byte[20];
        buffer.AsSpan().Fill((byte)'#');

        // Act
        var written = Netstring.Encode("OK dane-only", buffer, 3);

        // Assert
        Assert.Equal(16, written);
        Assert.Equal("###12:OK dane-only,#", Encoding.ASCII.GetString(buffer));
    }

    [Fact]
    public void Encode_Span_RoundTripsThroughTryParse()
    {
        // Arrange
        var payload = new byte[1234];
        new Random(7).NextBytes(payload);
        var destination = new byte[Netstring.GetEncodedLength(payload.Length)];

        // Act
        var written = Netstring.Encode(payload, destination);
        var status = Netstring.TryParse(destination, 10_000, out var offset, out var length, out var error);

        // Assert
        Assert.Equal(destination.Length, written);
        Assert.Equal(NetstringStatus.Complete, status);
        Assert.Equal(NetstringError.None, error);
        Assert.Equal(5, offset);
        Assert.Equal(payload, destination.AsSpan(offset, length).ToArray());
    }

    [Fact]
    public void Encode_DestinationTooSmall_Throws()
    {
        // Arrange
        var destination = new byte[5];

        // Act + Assert
        Assert.Throws<ArgumentException>(() => Netstring.Encode("abcd", destination, 0));
        Assert.Throws<ArgumentException>(() => Netstring.Encode(new byte[4], destination));
    }

    [Theory]
    [InlineData("", NetstringStatus.NeedMoreData)]
    [InlineData("2", NetstringStatus.NeedMoreData)]
    [InlineData("27", NetstringStatus.NeedMoreData)]
    [InlineData("27:", NetstringStatus.NeedMoreData)]
    [InlineData("3:abc", NetstringStatus.NeedMoreData)]
    [InlineData("3:abc,", NetstringStatus.Complete)]
    [InlineData("0:,", NetstringStatus.Complete)]
    [InlineData("0:,3:abc,", NetstringStatus.Complete)]
    public void TryParse_ValidPrefixes_NeedMoreOrComplete(string input, NetstringStatus expected)
    {
        // Act
        var status = Netstring.TryParse(Encoding.ASCII.GetBytes(input), 10_000, out _, out _, out var error);

        // Assert
        Assert.Equal(expected, status);
        Assert.Equal(NetstringError.None, error);
    }

    [Theory]
    [InlineData(":abc,", NetstringError.MissingLength)]
    [InlineData("abc", NetstringError.NonDigitLength)]
    [InlineData("1x:a,", NetstringError.NonDigitLength)]
    [InlineData("-1:a,", NetstringError.NonDigitLength)]
    [InlineData(" 3:abc,", NetstringError.NonDigitLength)]
    [InlineData("3 :abc,", NetstringError.NonDigitLength)]
    [InlineData("03:abc,", NetstringError.LeadingZero)]
    [InlineData("00:,", NetstringError.LeadingZero)]
    [InlineData("3:abcd", NetstringError.MissingComma)]
    [InlineData("0:x", NetstringError.MissingComma)]
    [InlineData("10001:", NetstringError.TooLong)]
    [InlineData("10001", NetstringError.TooLong)]
    [InlineData("99999999999999999999:", NetstringError.TooLong)]
    public void TryParse_Malformed_InvalidWithReason(string input, NetstringError expected)
    {
        // Act
        var status = Netstring.TryParse(Encoding.ASCII.GetBytes(input), 10_000, out _, out _, out var error);

        // Assert
        Assert.Equal(NetstringStatus.Invalid, status);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void TryParse_ExactlyTheMaximum_Complete()
    {
        // Arrange
        var input = Netstring.Encode(new string('a', 10_000));

        // Act
        var status = Netstring.TryParse(input, 10_000, out var offset, out var length, out _);

        // Assert
        Assert.Equal(NetstringStatus.Complete, status);
        Assert.Equal(6, offset);
        Assert.Equal(10_000, length);
    }

    [Fact]
    public void TryParse_MaxLengthOutOfRange_Throws()
    {
        // Act + Assert
        Assert.Throws<ArgumentOutOfRangeException>(() => Netstring.TryParse(ReadOnlySpan<byte>.Empty, -1, out _, out _, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => Netstring.TryParse(ReadOnlySpan<byte>.Empty, Netstring.LargestMaxLength + 1, out _, out _, out _));
    }
}
