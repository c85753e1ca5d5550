namespace LinkSecure.Core.Downgrade;

/// <summary>The result of <see cref="HeadersOnlyCopy"/>. Immutable.</summary>
public sealed class HeadersOnlyResult
{
    internal HeadersOnlyResult(bool isWritten, string reason, long bytesWritten, int fieldCount, bool containsEightBit)
    {
        IsWritten = isWritten;
        Reason = reason;
        BytesWritten = bytesWritten;
        FieldCount = fieldCount;
        ContainsEightBit = containsEightBit;
    }

    /// <summary>Gets a value indicating whether the header copy was written; otherwise the input is malformed and
    /// nothing was written.</summary>
    public bool IsWritten { get; }

    /// <summary>Gets why nothing was written, or a summary.</summary>
    public string Reason { get; }

    /// <summary>Gets the number of bytes written.</summary>
    public long BytesWritten { get; }

    /// <summary>Gets the number of header fields written.</summary>
    public int FieldCount { get; }

    /// <summary>Gets a value indicating whether a written field has 8-bit bytes: then the copy belongs in
    /// <c>message/global-headers</c> (RFC 6533) rather than <c>text/rfc822-headers</c>.</summary>
    public bool ContainsEightBit { get; }

    /// <inheritdoc />
    public override string ToString() => (IsWritten ? "Written: " : "Malformed: ") + Reason;
}
