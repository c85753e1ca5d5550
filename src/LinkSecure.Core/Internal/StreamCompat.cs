using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace LinkSecure.Core.Internal;

/// <summary>Array-based async stream calls that use the memory overloads where the target framework has them.</summary>
internal static class StreamCompat
{
    public static Task WriteAsync(Stream stream, byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
#if NET
        return stream.WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
#else
        return stream.WriteAsync(buffer, offset, count, cancellationToken);
#endif
    }

    public static Task<int> ReadAsync(Stream stream, byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
#if NET
        return stream.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
#else
        return stream.ReadAsync(buffer, offset, count, cancellationToken);
#endif
    }
}
