using System;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Downgrade;

namespace LinkSecure.Core.Tests.Downgrade;

/// <summary>Shared helpers for the downgrade tests.</summary>
internal static class DowngradeTestKit
{
    /// <summary>The fixed reason used by golden files.</summary>
    public const string Reason = "recipient domain example.com is link-security level 0, requested 2";

    public static DowngradeContext Context { get; } = new(Reason);

    public static DowngradeSettings LoadSettings(string? json)
    {
        if (json is null)
        {
            return DowngradeSettings.Default;
        }

        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(json));
        return LinkSecureSettings.Load(stream, "test").Downgrade;
    }

    public static DowngradeSettings LoadConfigFile(string? name) =>
        name is null ? DowngradeSettings.Default : LinkSecureSettings.LoadFile(TestPaths.TestData("downgrade", "config", name + ".json")).Downgrade;

    /// <summary>Runs a downgrade; returns the result and the bytes written.</summary>
    public static (DowngradeResult Result, byte[] Output) Run(SafePartDowngrader sut, byte[] input, bool seekable = true, bool async = false, int readSize = int.MaxValue)
    {
        using Stream source = seekable ? new MemoryStream(input, writable: false) : new ForwardOnlyStream(input, readSize);
        using var output = new MemoryStream();
        var result = async
            ? sut.DowngradeAsync(source, output, Context).GetAwaiter().GetResult()
            : sut.Downgrade(source, output, Context);
        return (result, output.ToArray());
    }

    public static (DowngradeResult Result, byte[] Output) Run(byte[] input, DowngradeSettings? settings = null, DowngradeLimits? limits = null, bool seekable = true) =>
        Run(new SafePartDowngrader(settings ?? DowngradeSettings.Default, limits), input, seekable);

    /// <summary>Builds a message from text with LF line ends, converted to CRLF.</summary>
    public static byte[] Crlf(string text) => Encoding.UTF8.GetBytes(text.Replace("\r\n", "\n").Replace("\n", "\r\n"));

    /// <summary>ISO-8859-1, one char per byte both ways; code page 28591 because .NET Framework has no Encoding.Latin1.</summary>
    public static Encoding Latin1Encoding { get; } = Encoding.GetEncoding(28591);

    public static string Latin1(byte[] bytes) => Latin1Encoding.GetString(bytes);
}

/// <summary>A stream that cannot seek and returns at most <c>readSize</c> bytes per read, like a network or pipe stream.</summary>
internal sealed class ForwardOnlyStream : Stream
{
    private readonly byte[] data;
    private readonly int readSize;
    private int position;

    public ForwardOnlyStream(byte[] data, int readSize = int.MaxValue)
    {
        this.data = data;
        this.readSize = Math.Max(1, readSize);
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = Math.Min(Math.Min(count, readSize), data.Length - position);
        Buffer.BlockCopy(data, position, buffer, offset, n);
        position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer, offset, count));

#if NET
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = Math.Min(Math.Min(buffer.Length, readSize), data.Length - position);
        data.AsMemory(position, n).CopyTo(buffer);
        position += n;
        return ValueTask.FromResult(n);
    }
#endif

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
