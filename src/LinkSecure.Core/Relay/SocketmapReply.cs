namespace LinkSecure.Core.Relay;

/// <summary>
/// One socketmap reply (Postfix socketmap_table(5)): <c>OK &lt;data&gt;</c>, <c>NOTFOUND </c> (with its space),
/// <c>TEMP &lt;reason&gt;</c>, <c>TIMEOUT &lt;reason&gt;</c> or <c>PERM &lt;reason&gt;</c>. The server frames
/// <see cref="Text"/> as one netstring, encoded once when the reply is made (<see cref="Encoded"/>), so that a reply a
/// responder keeps (a cached domain's answer) costs the server one copy per lookup.
/// </summary>
public readonly struct SocketmapReply : System.IEquatable<SocketmapReply>
{
    private const string NotFoundText = "NOTFOUND ";

    private static readonly byte[] NotFoundEncoded = Netstring.Encode(NotFoundText);

    private readonly string? text;
    private readonly byte[]? encoded;

    private SocketmapReply(string text)
    {
        this.text = text;
        encoded = Netstring.Encode(text);
    }

    /// <summary>Gets the reply as sent, before netstring framing. The default value is <c>NOTFOUND </c>.</summary>
    public string Text => text ?? NotFoundText;

    /// <summary>Gets the reply framed as a netstring in UTF-8 (<c>LEN:TEXT,</c>), as the server writes it.</summary>
    public System.ReadOnlySpan<byte> Encoded => encoded ?? NotFoundEncoded;

    /// <summary>Gets the reply that says the table has no entry for the key (socketmap_table(5): <c>NOTFOUND </c>).</summary>
    public static SocketmapReply NotFound => new(NotFoundText);

    /// <summary>A found entry: <c>OK &lt;data&gt;</c>.</summary>
    /// <param name="data">The table value, e.g. a TLS policy line such as <c>dane-only</c>.</param>
    /// <returns>The reply.</returns>
    public static SocketmapReply Ok(string data) => new("OK " + (data ?? string.Empty));

    /// <summary>A temporary failure: <c>TEMP &lt;reason&gt;</c>. Postfix fails the lookup and defers the message.</summary>
    /// <param name="reason">Why, for the Postfix log.</param>
    /// <returns>The reply.</returns>
    public static SocketmapReply Temp(string reason) => new("TEMP " + (reason ?? string.Empty));

    /// <summary>A permanent failure: <c>PERM &lt;reason&gt;</c>, e.g. an unknown map name.</summary>
    /// <param name="reason">Why, for the Postfix log.</param>
    /// <returns>The reply.</returns>
    public static SocketmapReply Perm(string reason) => new("PERM " + (reason ?? string.Empty));

    /// <summary>Compares two replies by text.</summary>
    /// <param name="left">One reply.</param>
    /// <param name="right">The other.</param>
    /// <returns>Whether the texts are equal.</returns>
    public static bool operator ==(SocketmapReply left, SocketmapReply right) => left.Equals(right);

    /// <summary>Compares two replies by text.</summary>
    /// <param name="left">One reply.</param>
    /// <param name="right">The other.</param>
    /// <returns>Whether the texts differ.</returns>
    public static bool operator !=(SocketmapReply left, SocketmapReply right) => !left.Equals(right);

    /// <inheritdoc/>
    public bool Equals(SocketmapReply other) => string.Equals(Text, other.Text, System.StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is SocketmapReply other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => System.StringComparer.Ordinal.GetHashCode(Text);

    /// <inheritdoc/>
    public override string ToString() => Text;
}
