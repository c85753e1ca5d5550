using System;
using System.Globalization;
using System.Text;
using System.Threading;
using LinkSecure.Core.Relay;

namespace LinkSecure.Cli;

/// <summary>
/// The policy server's counters since start, served by <c>--metrics</c> as plain text (one <c>name value</c> line each,
/// which is also the Prometheus text format). <c>hits</c> are <c>OK</c> replies, <c>misses</c> <c>NOTFOUND</c> replies,
/// <c>failures</c> <c>TEMP</c>, <c>TIMEOUT</c> and <c>PERM</c> replies (an unknown map or empty key included).
/// </summary>
internal sealed class PolicyServerCounters
{
    private long lookups;
    private long hits;
    private long misses;
    private long failures;
    private long connections;
    private long protocolErrors;
    private long refusedConnections;

    /// <summary>Gets the number of well-formed requests answered or being answered.</summary>
    public long Lookups => Interlocked.Read(ref lookups);

    /// <summary>Gets the number of <c>OK</c> replies.</summary>
    public long Hits => Interlocked.Read(ref hits);

    /// <summary>Gets the number of <c>NOTFOUND</c> replies.</summary>
    public long Misses => Interlocked.Read(ref misses);

    /// <summary>Gets the number of <c>TEMP</c>, <c>TIMEOUT</c> and <c>PERM</c> replies.</summary>
    public long Failures => Interlocked.Read(ref failures);

    /// <summary>Gets the number of socketmap connections accepted.</summary>
    public long Connections => Interlocked.Read(ref connections);

    /// <summary>Gets the number of connections closed for a malformed netstring.</summary>
    public long ProtocolErrors => Interlocked.Read(ref protocolErrors);

    /// <summary>Gets the number of connections closed at once because the connection limit was reached.</summary>
    public long RefusedConnections => Interlocked.Read(ref refusedConnections);

    public void CountRefusedConnection() => Interlocked.Increment(ref refusedConnections);

    public void CountLookup() => Interlocked.Increment(ref lookups);

    public void CountConnection() => Interlocked.Increment(ref connections);

    public void CountProtocolError() => Interlocked.Increment(ref protocolErrors);

    /// <summary>Counts a reply as a hit, a miss or a failure by its first word (socketmap_table(5)).</summary>
    public void CountReply(SocketmapReply reply)
    {
        var text = reply.Text;
        if (text.StartsWith("OK ", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref hits);
        }
        else if (text.StartsWith("NOTFOUND ", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref misses);
        }
        else
        {
            Interlocked.Increment(ref failures);
        }
    }

    /// <summary>The counters as plain text, one <c>name value</c> line each.</summary>
    public string Format()
    {
        var text = new StringBuilder();
        Line(text, "lookups", Lookups);
        Line(text, "hits", Hits);
        Line(text, "misses", Misses);
        Line(text, "failures", Failures);
        Line(text, "connections", Connections);
        Line(text, "protocol_errors", ProtocolErrors);
        Line(text, "refused_connections", RefusedConnections);
        return text.ToString();
    }

    private static void Line(StringBuilder text, string name, long value) =>
        text.Append(name).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
}
