using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Relay;

namespace LinkSecure.Cli;

/// <summary>
/// The socketmap server of <c>linksecure policy-server</c> (Postfix socketmap_table(5)): each request is a netstring
/// <c>NAME SP KEY</c>, each reply a netstring (<see cref="SocketmapReply"/>). Persistent connections are served
/// concurrently, one task each; the requests of one connection, pipelined or not, are answered in order. A malformed
/// netstring closes its connection without a reply and never affects the others.
/// </summary>
internal sealed class PolicyServer : IAsyncDisposable
{
    private readonly ISocketmapResponder responder;
    private readonly TextWriter log;
    private readonly bool logLookups;
    private readonly int maxRequestLength;
    private readonly int maxConnections;
    private int activeConnections;
    /// <summary>The stack of a connection's thread: the request path is shallow.</summary>
    private const int ConnectionStackSize = 256 * 1024;

    /// <summary>The default bound on concurrent connections: ten times Postfix's default_process_limit.</summary>
    public const int DefaultMaxConnections = 1000;

    /// <summary>The reply buffer's initial size; grows for longer replies or many pipelined ones.</summary>
    private const int OutputBufferSize = 4096;

    private readonly CancellationTokenSource stopping = new();
    private readonly CancellationTokenSource aborting = new();
    private readonly List<PolicyServerListener> listeners = new();
    private PolicyServerMetrics? metrics;
    private bool stopped;

    /// <param name="responder">Answers the lookups.</param>
    /// <param name="log">Where errors and, with <paramref name="logLookups"/>, one line per lookup go.</param>
    /// <param name="logLookups">Whether to log every lookup.</param>
    /// <param name="maxRequestLength">The largest request payload; a longer declared length closes the connection.</param>
    /// <param name="maxConnections">The most connections served at once (one thread each); a connection beyond it is
    /// closed at once without a reply, so a flood of connections cannot exhaust threads.</param>
    public PolicyServer(ISocketmapResponder responder, TextWriter log, bool logLookups = false, int maxRequestLength = NetstringDecoder.DefaultMaxLength, int maxConnections = DefaultMaxConnections)
    {
        if (maxConnections < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxConnections), maxConnections, "At least one connection.");
        }

        this.maxConnections = maxConnections;
        this.responder = responder ?? throw new ArgumentNullException(nameof(responder));
        this.log = log ?? throw new ArgumentNullException(nameof(log));
        this.logLookups = logLookups;
        this.maxRequestLength = maxRequestLength;
    }

    /// <summary>Gets the counters.</summary>
    public PolicyServerCounters Counters { get; } = new();

    /// <summary>Gets the bound socketmap addresses (actual ports), in the order given to <see cref="Start"/>.</summary>
    public IReadOnlyList<IPEndPoint> Endpoints => listeners.Select(l => l.LocalEndPoint).ToArray();

    /// <summary>Gets the bound metrics address, or null without one.</summary>
    public IPEndPoint? MetricsEndpoint => metrics?.Endpoint;

    /// <summary>Binds every socketmap address and the optional metrics address and starts serving.</summary>
    /// <param name="endpoints">The socketmap addresses; port 0 picks a free port.</param>
    /// <param name="metricsEndpoint">The HTTP metrics address, or null.</param>
    /// <exception cref="SocketException">An address cannot be bound; nothing is left listening.</exception>
    public void Start(IEnumerable<IPEndPoint> endpoints, IPEndPoint? metricsEndpoint = null)
    {
        try
        {
            foreach (var endpoint in endpoints)
            {
                listeners.Add(PolicyServerListener.Start(endpoint, ServeAsync, log, stopping.Token));
            }

            if (metricsEndpoint is not null)
            {
                metrics = PolicyServerMetrics.Start(metricsEndpoint, Counters, log, stopping.Token);
            }
        }
        catch (SocketException)
        {
            stopping.Cancel();
            foreach (var listener in listeners)
            {
                listener.CloseAsync().GetAwaiter().GetResult();
            }

            listeners.Clear();
            throw;
        }
    }

    /// <summary>
    /// Stops: no new connection is accepted and no new request read; the requests already received are answered.
    /// After <paramref name="grace"/> the answers still outstanding are cancelled and their connections closed.
    /// </summary>
    /// <param name="grace">How long in-flight answers may take.</param>
    /// <returns>A task that completes when every connection has ended.</returns>
    public async Task StopAsync(TimeSpan grace)
    {
        if (stopped)
        {
            return;
        }

        stopped = true;
        await stopping.CancelAsync().ConfigureAwait(false);
        foreach (var listener in listeners)
        {
            await listener.CloseAsync().ConfigureAwait(false);
        }

        var ended = Task.WhenAll(listeners.Select(l => l.ConnectionsEnded).Append(metrics?.StopAsync() ?? Task.CompletedTask));
        if (await Task.WhenAny(ended, Task.Delay(grace, CancellationToken.None)).ConfigureAwait(false) != ended)
        {
            await log.WriteLineAsync($"linksecure policy-server: answers still outstanding after {grace.TotalSeconds:0.#} s are cancelled.").ConfigureAwait(false);
            await aborting.CancelAsync().ConfigureAwait(false);
            await ended.ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero).ConfigureAwait(false);
        stopping.Dispose();
        aborting.Dispose();
    }

    /// <summary>Answers one request, <c>NAME SP KEY</c> already split at the first space. A cached answer completes
    /// synchronously; only a responder that must resolve (a miss) or fails takes the asynchronous path.</summary>
    internal ValueTask<SocketmapReply> AnswerAsync(string name, string key, CancellationToken cancellationToken)
    {
        var started = logLookups ? Stopwatch.GetTimestamp() : 0;
        Counters.CountLookup();
        if (!responder.ServesMap(name))
        {
            return new ValueTask<SocketmapReply>(Finish(name, key, SocketmapReply.Perm("unknown map"), started));
        }

        if (key.Length == 0)
        {
            return new ValueTask<SocketmapReply>(Finish(name, key, SocketmapReply.Perm("empty key"), started));
        }

        ValueTask<SocketmapReply> answer;
        try
        {
            answer = responder.AnswerAsync(name, key, cancellationToken);
        }
#pragma warning disable CA1031 // A responder fault answers TEMP (Postfix defers) and must not end the connection.
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            return new ValueTask<SocketmapReply>(Finish(name, key, Failed(name, key, ex), started));
        }

        return answer.IsCompletedSuccessfully
            ? new ValueTask<SocketmapReply>(Finish(name, key, answer.Result, started))
            : AwaitAnswerAsync(name, key, answer, started, cancellationToken);
    }

    private async ValueTask<SocketmapReply> AwaitAnswerAsync(string name, string key, ValueTask<SocketmapReply> answer, long started, CancellationToken cancellationToken)
    {
        SocketmapReply reply;
        try
        {
            reply = await answer.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A responder fault answers TEMP (Postfix defers) and must not end the connection.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            reply = Failed(name, key, ex);
        }

        return Finish(name, key, reply, started);
    }

    private SocketmapReply Failed(string name, string key, Exception ex)
    {
        log.WriteLine($"linksecure policy-server: lookup {Printable(name)} {Printable(key)} failed: {ex.GetType().Name}: {ex.Message}");
        return SocketmapReply.Temp("lookup failed");
    }

    /// <summary>Counts the reply and, with lookup logging on (debug), writes its line; nothing else when it is off.</summary>
    private SocketmapReply Finish(string name, string key, SocketmapReply reply, long started)
    {
        Counters.CountReply(reply);
        if (logLookups)
        {
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"linksecure policy-server: {Printable(name)} {Printable(key)} -> {reply.Text} ({ms:0.###} ms)"));
        }

        return reply;
    }

    /// <summary>The text with control characters replaced, so a peer cannot forge log lines.</summary>
    private static string Printable(string text)
    {
        if (!text.Any(char.IsControl))
        {
            return text;
        }

        return new string(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }

    /// <summary>
    /// Serves one connection on a thread of its own with blocking socket calls: a request costs one receive and one send
    /// and no thread-pool hand-off (Postfix keeps one connection per smtp process, so there are tens to a few hundred,
    /// not thousands). Every complete request of one read is answered in order and the replies go out in one send.
    /// </summary>
    private Task ServeAsync(Socket socket)
    {
        if (Interlocked.Increment(ref activeConnections) > maxConnections)
        {
            Interlocked.Decrement(ref activeConnections);
            Counters.CountRefusedConnection();
            socket.Dispose();
            return Task.CompletedTask;
        }

        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(
            () =>
            {
                try
                {
                    Serve(socket);
                    Interlocked.Decrement(ref activeConnections);
                    ended.TrySetResult();
                }
#pragma warning disable CA1031 // Handed to the listener, which logs it and keeps serving the other connections.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Interlocked.Decrement(ref activeConnections);
                    ended.TrySetException(ex);
                }
            },
            ConnectionStackSize)
        {
            IsBackground = true,
            Name = "policy-server connection",
        };
        thread.Start();
        return ended.Task;
    }

    private void Serve(Socket socket)
    {
        Counters.CountConnection();
        using (socket)
        using (stopping.Token.Register(static s => StopReceiving((Socket)s!), socket))
        using (aborting.Token.Register(static s => ((Socket)s!).Dispose(), socket))
        {
            socket.NoDelay = true;
            var decoder = new NetstringDecoder(maxRequestLength);
            var output = new byte[OutputBufferSize];
            var map = new MapNameCache();
            try
            {
                while (true)
                {
                    var pending = 0;
                    NetstringStatus status;
                    while ((status = decoder.TryRead(out var payload)) == NetstringStatus.Complete)
                    {
                        var request = payload.Span;
                        var space = request.IndexOf((byte)' ');
                        var name = map.Get(space < 0 ? request : request.Slice(0, space));
                        var key = space < 0 ? string.Empty : Encoding.UTF8.GetString(request.Slice(space + 1));
                        var answer = AnswerAsync(name, key, aborting.Token);
                        if (!answer.IsCompletedSuccessfully)
                        {
                            // A miss: the replies before it go out now, then this thread waits for the resolution.
                            Send(socket, output, pending);
                            pending = 0;
                        }

                        var reply = answer.IsCompletedSuccessfully ? answer.Result : answer.AsTask().GetAwaiter().GetResult();
                        var encoded = reply.Encoded;
                        if (output.Length - pending < encoded.Length)
                        {
                            Array.Resize(ref output, Math.Max(pending + encoded.Length, output.Length * 2));
                        }

                        encoded.CopyTo(output.AsSpan(pending));
                        pending += encoded.Length;
                    }

                    Send(socket, output, pending);
                    if (status == NetstringStatus.Invalid)
                    {
                        // A netstring stream cannot be resynchronised: no reply, close (socketmap_table(5) has no error frame).
                        Counters.CountProtocolError();
                        if (logLookups)
                        {
                            log.WriteLine($"linksecure policy-server: {socket.RemoteEndPoint}: malformed netstring ({decoder.Error}), connection closed.");
                        }

                        socket.Shutdown(SocketShutdown.Send);
                        return;
                    }

                    if (stopping.IsCancellationRequested)
                    {
                        return;
                    }

                    var read = socket.Receive(decoder.GetReadBuffer().Span, SocketFlags.None);
                    if (read == 0)
                    {
                        return;
                    }

                    decoder.Advance(read);
                }
            }
            catch (OperationCanceledException)
            {
                // The grace period ran out while an answer was outstanding.
            }
            catch (SocketException)
            {
                // The peer went away.
            }
            catch (ObjectDisposedException)
            {
                // Closed while stopping.
            }
        }
    }

    private static void Send(Socket socket, byte[] data, int length)
    {
        var sent = 0;
        while (sent < length)
        {
            sent += socket.Send(data, sent, length - sent, SocketFlags.None);
        }
    }

    /// <summary>Stopping: a connection blocked in a receive sees the end of the stream and ends (Linux); a reply being
    /// written is still sent. Where a platform does not wake the receive, the end of the grace period closes the socket.</summary>
    private static void StopReceiving(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Receive);
        }
        catch (SocketException)
        {
            // Already gone.
        }
        catch (ObjectDisposedException)
        {
            // Already closed.
        }
    }

    /// <summary>The map name of a connection's previous request (Postfix asks one map per connection), decoded once.</summary>
    private sealed class MapNameCache
    {
        private byte[] bytes = Array.Empty<byte>();
        private string name = string.Empty;

        public string Get(ReadOnlySpan<byte> text)
        {
            if (!text.SequenceEqual(bytes))
            {
                bytes = text.ToArray();
                name = Encoding.UTF8.GetString(text);
            }

            return name;
        }
    }
}
