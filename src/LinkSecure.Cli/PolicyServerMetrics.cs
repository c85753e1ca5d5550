using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace LinkSecure.Cli;

/// <summary>
/// The <c>--metrics</c> endpoint: a minimal HTTP/1.x server (RFC 9112) answering <c>GET /metrics</c> with
/// <see cref="PolicyServerCounters.Format"/> as <c>text/plain</c>; any other well-formed request gets 404, a malformed
/// one 400. One request per connection (<c>Connection: close</c>).
/// </summary>
internal sealed class PolicyServerMetrics
{
    /// <summary>The largest request head read (request line and header fields).</summary>
    internal const int MaxHeadLength = 8192;

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly PolicyServerCounters counters;
    private readonly CancellationToken stopping;
    private PolicyServerListener? listener;

    private PolicyServerMetrics(PolicyServerCounters counters, CancellationToken stopping)
    {
        this.counters = counters;
        this.stopping = stopping;
    }

    /// <summary>Gets the bound address.</summary>
    public IPEndPoint Endpoint => listener!.LocalEndPoint;

    /// <summary>Binds <paramref name="endpoint"/> and starts serving.</summary>
    public static PolicyServerMetrics Start(IPEndPoint endpoint, PolicyServerCounters counters, TextWriter log, CancellationToken stopping)
    {
        var metrics = new PolicyServerMetrics(counters, stopping);
        metrics.listener = PolicyServerListener.Start(endpoint, metrics.ServeAsync, log, stopping);
        return metrics;
    }

    /// <summary>Stops accepting (after <c>stopping</c> was cancelled) and waits for the open requests.</summary>
    public async Task StopAsync()
    {
        await listener!.CloseAsync().ConfigureAwait(false);
        await listener.ConnectionsEnded.ConfigureAwait(false);
    }

    /// <summary>The status for a request head (request line and header fields, without the final empty line).</summary>
    internal static int StatusFor(string head)
    {
        var lines = head.Split("\r\n");
        var parts = lines[0].Split(' ');
        if (parts.Length != 3 || parts[0].Length == 0 || !IsToken(parts[0]) || !parts[1].StartsWith('/') ||
            parts[2] is not ("HTTP/1.0" or "HTTP/1.1"))
        {
            return 400;
        }

        for (var i = 1; i < lines.Length; i++)
        {
            // RFC 9112 §5: field-name ":" field-value; no whitespace before the colon, no obsolete line folding.
            var colon = lines[i].IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !IsToken(lines[i].Substring(0, colon)))
            {
                return 400;
            }
        }

        return parts[0] == "GET" && parts[1] == "/metrics" ? 200 : 404;
    }

    private static bool IsToken(string text)
    {
        foreach (var c in text)
        {
            if (c <= ' ' || c >= 127 || "()<>@,;:\\\"/[]?={}".Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static int HeadEnd(byte[] buffer, int length)
    {
        for (var i = 3; i < length; i++)
        {
            if (buffer[i] == '\n' && buffer[i - 1] == '\r' && buffer[i - 2] == '\n' && buffer[i - 3] == '\r')
            {
                return i - 3;
            }
        }

        return -1;
    }

    private async Task ServeAsync(Socket socket)
    {
        using (socket)
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping))
        {
            timeout.CancelAfter(RequestTimeout);
            try
            {
                var buffer = new byte[MaxHeadLength];
                var length = 0;
                int end;
                while ((end = HeadEnd(buffer, length)) < 0)
                {
                    if (length == buffer.Length)
                    {
                        await RespondAsync(socket, 400, timeout.Token).ConfigureAwait(false);
                        return;
                    }

                    var read = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return;
                    }

                    length += read;
                }

                await RespondAsync(socket, StatusFor(Encoding.Latin1.GetString(buffer, 0, end)), timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopping, or a client that sent no complete request in time.
            }
            catch (SocketException)
            {
                // The client went away.
            }
        }
    }

    private async Task RespondAsync(Socket socket, int status, CancellationToken cancellationToken)
    {
        var body = status switch
        {
            200 => counters.Format(),
            404 => "not found: GET /metrics\n",
            _ => "bad request\n",
        };
        var reason = status switch { 200 => "OK", 404 => "Not Found", _ => "Bad Request" };
        var bodyBytes = Encoding.UTF8.GetBytes(body);
        var head = $"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {bodyBytes.Length}\r\nConnection: close\r\n\r\n";
        var response = new byte[Encoding.ASCII.GetByteCount(head) + bodyBytes.Length];
        var headLength = Encoding.ASCII.GetBytes(head, 0, head.Length, response, 0);
        bodyBytes.CopyTo(response, headLength);
        var sent = 0;
        while (sent < response.Length)
        {
            sent += await socket.SendAsync(response.AsMemory(sent), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }

        socket.Shutdown(SocketShutdown.Send);
    }
}
