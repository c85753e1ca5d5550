using System;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Downgrade;
using Xunit;
using Xunit.Abstractions;

namespace LinkSecure.Core.Tests.Downgrade;

/// <summary>Tests that measure process-wide allocation; they run alone so that other tests do not blur the figures.</summary>
[CollectionDefinition(nameof(MemoryMeasurement), DisableParallelization = true)]
public sealed class MemoryMeasurement
{
}

/// <summary>
/// Large messages stream: for a 25 MB message with a 20 MB attachment, the downgrade allocates less than 5 MB plus
/// the safe part (a bound on allocation, which also bounds memory growth). Timings are not asserted.
/// </summary>
[Collection(nameof(MemoryMeasurement))]
public sealed class SafePartDowngraderMemoryTests : IDisposable
{
    private const long Budget = 5 * 1024 * 1024;
    private readonly ITestOutputHelper output;
    private readonly string path;

    public SafePartDowngraderMemoryTests(ITestOutputHelper output)
    {
        this.output = output;
        path = LargeMessage.Write(Path.Combine(Path.GetTempPath(), $"linksecure-large-{Guid.NewGuid():N}.eml"));
    }

    public void Dispose() => File.Delete(path);

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public async Task LargeMessage_StreamsWithBoundedAllocation(bool seekable, bool async)
    {
        // Arrange
        var sut = new SafePartDowngrader(DowngradeSettings.Default);
        await RunAsync(sut, File.ReadAllBytes(TestPaths.TestData("downgrade", "invoice-mixed-pdf.eml")), seekable, async); // JIT warm-up
        var size = new FileInfo(path).Length;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        // Act
        DowngradeResult result;
        byte[] written;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096))
        {
            (result, written) = await RunAsync(sut, file, seekable, async);
        }

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var growth = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;

        // Assert
        output.WriteLine($"{size:N0}-byte message, seekable={seekable}, async={async}: allocated {allocated:N0} bytes, heap growth {growth:N0} bytes, output {written.Length:N0} bytes");
        Assert.True(size > 24_000_000, "the test message is smaller than intended");
        Assert.Equal(DowngradeOutcome.Downgraded, result.Outcome);
        Assert.EndsWith(LargeMessage.SafeText, Encoding.ASCII.GetString(written));
        Assert.DoesNotContain("SECRET", Encoding.ASCII.GetString(written));
        Assert.True(allocated < Budget + written.Length, $"allocated {allocated:N0} bytes");
        Assert.True(growth < Budget + written.Length, $"heap grew by {growth:N0} bytes");
    }

    private static async Task<(DowngradeResult, byte[])> RunAsync(SafePartDowngrader sut, byte[] message, bool seekable, bool async)
    {
        using var stream = new MemoryStream(message, writable: false);
        return await RunAsync(sut, stream, seekable, async);
    }

    private static async Task<(DowngradeResult, byte[])> RunAsync(SafePartDowngrader sut, Stream input, bool seekable, bool async)
    {
        using var source = seekable ? input : new NonSeekableStream(input);
        using var destination = new MemoryStream();
        var result = async
            ? await sut.DowngradeAsync(source, destination, DowngradeTestKit.Context, CancellationToken.None)
            : sut.Downgrade(source, destination, DowngradeTestKit.Context, CancellationToken.None);
        return (result, destination.ToArray());
    }

    /// <summary>Hides CanSeek of a stream (a pipe or network stream in disguise).</summary>
    private sealed class NonSeekableStream : Stream
    {
        private readonly Stream inner;

        public NonSeekableStream(Stream inner) => this.inner = inner;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.ReadAsync(buffer, offset, count, cancellationToken);

#if NET
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(buffer, cancellationToken);
#endif

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
