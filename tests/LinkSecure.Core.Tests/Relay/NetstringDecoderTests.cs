using System;
using System.Collections.Generic;
using System.Text;
using LinkSecure.Core.Relay;
using Xunit;

namespace LinkSecure.Core.Tests.Relay;

public class NetstringDecoderTests
{
    private const string Pipelined = "28:postfix good-enforce.example,21:linksecure plain.test,0:,10:postfix é,";

    private static readonly string[] PipelinedPayloads = { "postfix good-enforce.example", "linksecure plain.test", string.Empty, "postfix é" };

    [Fact]
    public void TryRead_OneWholeNetstring_ReturnsItsPayload()
    {
        // Arrange
        var decoder = new NetstringDecoder();
        decoder.Write(Encoding.ASCII.GetBytes("28:postfix good-enforce.example,"));

        // Act
        var status = decoder.TryRead(out var payload);

        // Assert
        Assert.Equal(NetstringStatus.Complete, status);
        Assert.Equal("postfix good-enforce.example", Encoding.ASCII.GetString(payload.ToArray()));
        Assert.Equal(0, decoder.Buffered);
        Assert.Equal(NetstringStatus.NeedMoreData, decoder.TryRead(out _));
    }

    [Fact]
    public void TryRead_PipelinedInOneWrite_ReturnsEachInOrder()
    {
        // Arrange
        var decoder = new NetstringDecoder();
        decoder.Write(Encoding.UTF8.GetBytes(Pipelined));

        // Act
        var payloads = Drain(decoder);

        // Assert
        Assert.Equal(PipelinedPayloads, payloads);
        Assert.Equal(NetstringError.None, decoder.Error);
    }

    [Fact]
    public void TryRead_OneBytePerWrite_ReturnsEachWhenItsCommaArrives()
    {
        // Arrange
        var decoder = new NetstringDecoder();
        var bytes = Encoding.UTF8.GetBytes(Pipelined);
        var payloads = new List<string>();

        // Act
        foreach (var b in bytes)
        {
            Assert.Equal(1, decoder.Write(new[] { b }));
            payloads.AddRange(Drain(decoder));
        }

        // Assert
        Assert.Equal(PipelinedPayloads, payloads);
    }

    [Fact]
    public void TryRead_SplitAtEveryPosition_SameNetstrings()
    {
        // Arrange
        var bytes = Encoding.UTF8.GetBytes(Pipelined);

        for (var split = 0; split <= bytes.Length; split++)
        {
            var decoder = new NetstringDecoder();

            // Act
            decoder.Write(bytes.AsSpan(0, split));
            var payloads = Drain(decoder);
            decoder.Write(bytes.AsSpan(split));
            payloads.AddRange(Drain(decoder));

            // Assert
            Assert.Equal(PipelinedPayloads, payloads);
        }
    }

    [Fact]
    public void GetReadBuffer_ManyMaximalNetstrings_CompactsAndDecodesAll()
    {
        // Arrange: more bytes than the buffer holds, so the decoder must move a partial netstring to the front.
        var decoder = new NetstringDecoder(100);
        var one = Netstring.Encode(new string('x', 100));
        var stream = new List<byte>();
        for (var i = 0; i < 7; i++)
        {
            stream.AddRange(Netstring.Encode($"map key{i}"));
            stream.AddRange(one);
        }

        var bytes = stream.ToArray();
        var payloads = new List<string>();

        // Act: receive in 37-byte reads, as a socket might deliver them.
        var position = 0;
        while (position < bytes.Length)
        {
            var free = decoder.GetReadBuffer();
            var count = Math.Min(Math.Min(37, free.Length), bytes.Length - position);
            bytes.AsSpan(position, count).CopyTo(free.Span);
            decoder.Advance(count);
            position += count;
            payloads.AddRange(Drain(decoder));
        }

        // Assert
        Assert.Equal(14, payloads.Count);
        for (var i = 0; i < 7; i++)
        {
            Assert.Equal($"map key{i}", payloads[2 * i]);
            Assert.Equal(new string('x', 100), payloads[(2 * i) + 1]);
        }
    }

    [Theory]
    [InlineData("postfix example.org,", NetstringError.NonDigitLength)]
    [InlineData("1a:x,", NetstringError.NonDigitLength)]
    [InlineData("3:abcd", NetstringError.MissingComma)]
    [InlineData("012:postfix x.y,", NetstringError.LeadingZero)]
    [InlineData(":,", NetstringError.MissingLength)]
    [InlineData("10001:", NetstringError.TooLong)]
    [InlineData("999999999999", NetstringError.TooLong)]
    public void TryRead_Malformed_InvalidAndStaysInvalid(string input, NetstringError expected)
    {
        // Arrange
        var decoder = new NetstringDecoder();
        decoder.Write(Encoding.ASCII.GetBytes(input));

        // Act
        var first = decoder.TryRead(out _);
        var second = decoder.TryRead(out _);

        // Assert
        Assert.Equal(NetstringStatus.Invalid, first);
        Assert.Equal(NetstringStatus.Invalid, second);
        Assert.Equal(expected, decoder.Error);
        Assert.Throws<InvalidOperationException>(() => decoder.GetReadBuffer());
    }

    [Fact]
    public void TryRead_ValidThenMalformed_ReturnsTheValidOneFirst()
    {
        // Arrange
        var decoder = new NetstringDecoder();
        decoder.Write(Encoding.ASCII.GetBytes("3:abc,x:"));

        // Act
        var first = decoder.TryRead(out var payload);
        var text = Encoding.ASCII.GetString(payload.ToArray());
        var second = decoder.TryRead(out _);

        // Assert
        Assert.Equal(NetstringStatus.Complete, first);
        Assert.Equal("abc", text);
        Assert.Equal(NetstringStatus.Invalid, second);
        Assert.Equal(NetstringError.NonDigitLength, decoder.Error);
    }

    [Fact]
    public void TryRead_DeclaredLengthAboveACustomMaximum_TooLongBeforeThePayloadArrives()
    {
        // Arrange
        var decoder = new NetstringDecoder(16);
        decoder.Write(Encoding.ASCII.GetBytes("17:"));

        // Act
        var status = decoder.TryRead(out _);

        // Assert
        Assert.Equal(NetstringStatus.Invalid, status);
        Assert.Equal(NetstringError.TooLong, decoder.Error);
    }

    [Fact]
    public void Write_BufferFullOfUnreadNetstrings_TakesOnlyWhatFits()
    {
        // Arrange: the buffer of a 10-byte maximum holds 14 bytes ("10:" + 10 + ",").
        var decoder = new NetstringDecoder(10);
        var input = Encoding.ASCII.GetBytes("1:a,1:b,1:c,1:d,1:e,");

        // Act
        var taken = decoder.Write(input);

        // Assert
        Assert.Equal(14, taken);
        Assert.Equal(new[] { "a", "b", "c" }, Drain(decoder));
        Assert.Equal(2, decoder.Buffered);
    }

    [Fact]
    public void Advance_MoreThanTheFreeSpace_Throws()
    {
        // Arrange
        var decoder = new NetstringDecoder(10);
        var free = decoder.GetReadBuffer().Length;

        // Act + Assert
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Advance(free + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Advance(-1));
    }

    [Fact]
    public void Constructor_MaxLengthOutOfRange_Throws()
    {
        // Act + Assert
        Assert.Throws<ArgumentOutOfRangeException>(() => new NetstringDecoder(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NetstringDecoder(Netstring.LargestMaxLength + 1));
    }

    private static List<string> Drain(NetstringDecoder decoder)
    {
        var payloads = new List<string>();
        while (decoder.TryRead(out var payload) == NetstringStatus.Complete)
        {
            payloads.Add(Encoding.UTF8.GetString(payload.ToArray()));
        }

        return payloads;
    }
}
