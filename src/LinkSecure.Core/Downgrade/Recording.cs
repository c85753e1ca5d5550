using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Internal;

namespace LinkSecure.Core.Downgrade;

/// <summary>
/// The input bytes of one selected entity body, [<see cref="Start"/>, <see cref="End"/>): buffered when the input
/// cannot seek, otherwise only located. Either way every byte passes <see cref="Lines"/>, which notes lines that could
/// collide with a boundary the downgrade generates.
/// </summary>
internal sealed class Recording
{
    private const int ChunkSize = 64 * 1024;

    private readonly List<byte[]>? chunks;
    private int lastChunkUsed = ChunkSize;
    private long appended;

    public Recording(long start, bool buffer)
    {
        Start = start;
        End = start;
        chunks = buffer ? new List<byte[]>() : null;
    }

    /// <summary>Gets the offset of the first byte, relative to where the input stream was when the call began.</summary>
    public long Start { get; }

    /// <summary>Gets the offset after the last byte.</summary>
    public long End { get; private set; }

    public long Length => Math.Max(0, End - Start);

    public bool IsBuffered => chunks is not null;

    /// <summary>Gets the lines seen that start with the generated-boundary prefix.</summary>
    public BoundaryLineCollector Lines { get; } = new();

    public void Append(byte[] buffer, int offset, int count)
    {
        Lines.Feed(buffer, offset, count, Start + appended);
        appended += count;
        if (chunks is null)
        {
            return;
        }

        while (count > 0)
        {
            if (lastChunkUsed == ChunkSize)
            {
                chunks.Add(new byte[ChunkSize]);
                lastChunkUsed = 0;
            }

            var n = Math.Min(count, ChunkSize - lastChunkUsed);
            Buffer.BlockCopy(buffer, offset, chunks[chunks.Count - 1], lastChunkUsed, n);
            lastChunkUsed += n;
            offset += n;
            count -= n;
        }
    }

    public void Finish(long end)
    {
        End = Math.Max(Start, end);
        Lines.Finish(End);
    }

    /// <summary>Writes the buffered bytes [Start, End) to <paramref name="output"/>.</summary>
    public void CopyTo(Stream output, CancellationToken cancellationToken)
    {
        var remaining = Length;
        for (var i = 0; remaining > 0 && chunks is not null && i < chunks.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var n = (int)Math.Min(remaining, ChunkSize);
            output.Write(chunks[i], 0, n);
            remaining -= n;
        }

        if (remaining > 0)
        {
            throw new InvalidOperationException("A recording is shorter than its range.");
        }
    }

    /// <summary>Writes the buffered bytes [Start, End) to <paramref name="output"/>.</summary>
    public async Task CopyToAsync(Stream output, CancellationToken cancellationToken)
    {
        var remaining = Length;
        for (var i = 0; remaining > 0 && chunks is not null && i < chunks.Count; i++)
        {
            var n = (int)Math.Min(remaining, ChunkSize);
            await StreamCompat.WriteAsync(output, chunks[i], 0, n, cancellationToken).ConfigureAwait(false);
            remaining -= n;
        }

        if (remaining > 0)
        {
            throw new InvalidOperationException("A recording is shorter than its range.");
        }
    }
}

/// <summary>
/// Collects the lines that start with <c>--=_LinkSecure_</c>, so that a boundary generated for a rebuilt
/// <c>multipart/related</c> can be chosen to appear in none of the parts it encloses. It may be fed bytes past the end
/// of the range (the parser reads ahead); lines are kept with their offset and those starting at or after the end are
/// discarded, so the result does not depend on how the input was chunked.
/// </summary>
internal sealed class BoundaryLineCollector
{
    internal const string Prefix = "--=_LinkSecure_";
    private const int MaxLines = 1000;
    private const int MaxSuffix = 80;

    private static readonly byte[] PrefixBytes = Encoding.ASCII.GetBytes(Prefix);

    private readonly List<KeyValuePair<long, string>> lines = new();
    private readonly StringBuilder current = new();
    private long lineStart;
    private long firstDropped = long.MaxValue;
    private int matched; // bytes of the prefix matched on this line; -1 when the line cannot match
    private bool collecting;
    private bool finished;

    /// <summary>Gets the text after the prefix of every such line in the range (cut at 80 characters).</summary>
    public IReadOnlyCollection<string> Suffixes { get; private set; } = Array.Empty<string>();

    /// <summary>Gets a value indicating whether the range has more such lines than are kept.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>Feeds bytes; <paramref name="position"/> is the offset of <c>buffer[offset]</c> in the input.</summary>
    public void Feed(byte[] buffer, int offset, int count, long position)
    {
        if (finished)
        {
            return;
        }

        var end = offset + count;
        for (var i = offset; i < end; i++)
        {
            var b = buffer[i];
            if (b == (byte)'\n')
            {
                EndLine();
                lineStart = position + (i - offset) + 1;
                continue;
            }

            if (collecting)
            {
                if (current.Length < MaxSuffix && b != (byte)'\r')
                {
                    current.Append((char)b);
                }
            }
            else if (matched >= 0)
            {
                if (b == PrefixBytes[matched])
                {
                    matched++;
                    if (matched == PrefixBytes.Length)
                    {
                        collecting = true;
                        current.Clear();
                    }
                }
                else
                {
                    matched = -1;
                }
            }
        }
    }

    /// <summary>Ends the range at <paramref name="end"/>: keeps only lines that start before it.</summary>
    public void Finish(long end)
    {
        EndLine();
        finished = true;
        var suffixes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            if (line.Key < end)
            {
                suffixes.Add(line.Value);
            }
        }

        Suffixes = suffixes;
        Overflowed = firstDropped < end;
    }

    private void EndLine()
    {
        if (collecting)
        {
            if (lines.Count < MaxLines)
            {
                lines.Add(new KeyValuePair<long, string>(lineStart, current.ToString()));
            }
            else if (firstDropped == long.MaxValue)
            {
                firstDropped = lineStart;
            }
        }

        collecting = false;
        matched = 0;
    }
}
