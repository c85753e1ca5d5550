using System;

namespace LinkSecure.Core.Downgrade;

/// <summary>
/// Bounds that keep hostile input from costing unbounded time or memory. A message over any limit is
/// <see cref="DowngradeOutcome.Malformed"/>. The defaults are far above what real mail needs. Immutable.
/// </summary>
/// <remarks>
/// Memory used by one call is bounded by the header limits (one header field, one header block) plus the safe part when
/// the input stream cannot seek (then the safe part is buffered, up to <see cref="MaxBufferedBytes"/>). Attachments are
/// never held in memory.
/// </remarks>
public sealed class DowngradeLimits
{
    private readonly int maxDepth = 64;
    private readonly int maxEntities = 10_000;
    private readonly int maxHeaderFieldBytes = 128 * 1024;
    private readonly int maxHeaderBlockBytes = 1024 * 1024;
    private readonly int maxHeadersPerBlock = 2_000;
    private readonly long maxBufferedBytes = 64L * 1024 * 1024;

    /// <summary>Gets the defaults.</summary>
    public static DowngradeLimits Default { get; } = new();

    /// <summary>Gets the deepest nesting of MIME entities, counting the message itself as 1 (default 64).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1 or above 1000.</exception>
    public int MaxDepth
    {
        get => maxDepth;
        init => maxDepth = Check(value, 1, 1000, nameof(MaxDepth));
    }

    /// <summary>Gets the largest number of MIME entities in one message, including those of attached messages
    /// (default 10,000).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int MaxEntities
    {
        get => maxEntities;
        init => maxEntities = Check(value, 1, int.MaxValue, nameof(MaxEntities));
    }

    /// <summary>Gets the longest header field, folded lines included, in bytes (default 128 KiB).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1,000.</exception>
    public int MaxHeaderFieldBytes
    {
        get => maxHeaderFieldBytes;
        init => maxHeaderFieldBytes = Check(value, 1000, int.MaxValue / 2, nameof(MaxHeaderFieldBytes));
    }

    /// <summary>Gets the largest header block of one entity, in bytes (default 1 MiB).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1,000.</exception>
    public int MaxHeaderBlockBytes
    {
        get => maxHeaderBlockBytes;
        init => maxHeaderBlockBytes = Check(value, 1000, int.MaxValue / 2, nameof(MaxHeaderBlockBytes));
    }

    /// <summary>Gets the largest number of header fields in one header block (default 2,000).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 10.</exception>
    public int MaxHeadersPerBlock
    {
        get => maxHeadersPerBlock;
        init => maxHeadersPerBlock = Check(value, 10, int.MaxValue, nameof(MaxHeadersPerBlock));
    }

    /// <summary>Gets the most bytes of the safe part buffered in memory when the input stream cannot seek (default
    /// 64 MiB). Seekable input is copied from the stream and never buffered.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public long MaxBufferedBytes
    {
        get => maxBufferedBytes;
        init => maxBufferedBytes = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(MaxBufferedBytes), value, "must be at least 1");
    }

    private static int Check(int value, int min, int max, string name) =>
        value >= min && value <= max ? value : throw new ArgumentOutOfRangeException(name, value, $"must be from {min} to {max}");
}
