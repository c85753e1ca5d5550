using System;
using System.IO;

namespace LinkSecure.Exchange.Simulator;

/// <summary>The MIME write stream, with the quirk recorded by Pro/dkim-exchange (<c>DkimSigner.cs</c>): Write after
/// Flush throws. What was written becomes the message when the stream is disposed.</summary>
public sealed class QuirkyWriteStream : MemoryStream
{
    private readonly Action<byte[]> commit;
    private bool flushed;
    private bool committed;

    internal QuirkyWriteStream(Action<byte[]> commit)
    {
        this.commit = commit;
    }

    /// <summary>Gets how many writes were made.</summary>
    public int Writes { get; private set; }

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count)
    {
        if (flushed)
        {
            throw new InvalidOperationException("Write after Flush on the MIME write stream.");
        }

        Writes++;
        base.Write(buffer, offset, count);
    }

    /// <inheritdoc />
    public override void WriteByte(byte value) => Write(new[] { value }, 0, 1);

    /// <inheritdoc />
    public override void Flush()
    {
        flushed = true;
        base.Flush();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && !committed)
        {
            committed = true;
            flushed = true;
            commit(ToArray());
        }

        base.Dispose(disposing);
    }
}
