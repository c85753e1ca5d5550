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
    private readonly CancellationTokenSource stopping = new();
    private readonly CancellationTokenSource aborting = new();
    private readonly List<PolicyServerListener> listeners = new();
    private PolicyServerMetrics? metrics;
    private bool stopped;

    /// <param name="responder">Answers the lookups.</param>
    /// <param name="log">Where errors and, with <paramref name="logLookups"/>, one line per lookup go.</param>
    /// <param name="logLookups">Whether to log every lookup.</param>
    /// <param name="maxRequestLength">The largest request payload; a longer declared length closes the connection.</param>
    public PolicyServer(ISocketmapResponder responder, TextWriter log, bool logLookups = false, int maxRequestLength = NetstringDecoder.DefaultMaxLength)
    {
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

    /// <summary>Answers one request payload, <c>NAME SP KEY</c> split at the first space.</summary>
    internal async ValueTask<SocketmapReply> AnswerAsync(string request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        Counters.CountLookup();
        var space = request.IndexOf(' ', StringComparison.Ordinal);
        var name = space < 0 ? request : request.Substring(0, space);
        var key = space < 0 ? string.Empty : request.Substring(space + 1);
        SocketmapReply reply;
        if (!responder.ServesMap(name))
        {
            reply = SocketmapReply.Perm("unknown map");
        }
        else if (key.Length == 0)
        {
            reply = SocketmapReply.Perm("empty key");
        }
        else
        {
            try
            {
                reply = await responder.AnswerAsync(name, key, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // A responder fault answers TEMP (Postfix defers) and must not end the connection.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                await log.WriteLineAsync($"linksecure policy-server: lookup {Printable(name)} {Printable(key)} failed: {ex.GetType().Name}: {ex.Message}").ConfigureAwait(false);
                reply = SocketmapReply.Temp("lookup failed");
            }
        }

        Counters.CountReply(reply);
        if (logLookups)
        {
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"linksecure policy-server: {Printable(name)} {Printable(key)} -> {reply.Text} ({ms:0.###} ms)")).ConfigureAwait(false);
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

    private static async ValueTask SendAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data.Slice(sent);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        Counters.CountConnection();
        using (socket)
        {
            socket.NoDelay = true;
            var decoder = new NetstringDecoder(maxRequestLength);
            var output = new byte[512];
            try
            {
                while (true)
                {
                    NetstringStatus status;
                    while ((status = decoder.TryRead(out var payload)) == NetstringStatus.Complete)
                    {
                        var reply = await AnswerAsync(Encoding.UTF8.GetString(payload.Span), aborting.Token).ConfigureAwait(false);
                        var needed = Netstring.GetEncodedLength(reply.Text);
                        if (output.Length < needed)
                        {
                            output = new byte[Math.Max(needed, output.Length * 2)];
                        }

                        var length = Netstring.Encode(reply.Text, output, 0);
                        await SendAsync(socket, output.AsMemory(0, length), aborting.Token).ConfigureAwait(false);
                    }

                    if (status == NetstringStatus.Invalid)
                    {
                        // A netstring stream cannot be resynchronised: no reply, close (socketmap_table(5) has no error frame).
                        Counters.CountProtocolError();
                        if (logLookups)
                        {
                            await log.WriteLineAsync($"linksecure policy-server: {socket.RemoteEndPoint}: malformed netstring ({decoder.Error}), connection closed.").ConfigureAwait(false);
                        }

                        socket.Shutdown(SocketShutdown.Send);
                        return;
                    }

                    if (stopping.IsCancellationRequested)
                    {
                        return;
                    }

                    var read = await socket.ReceiveAsync(decoder.GetReadBuffer(), SocketFlags.None, stopping.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return;
                    }

                    decoder.Advance(read);
                }
            }
            catch (OperationCanceledException)
            {
                // Stopping: idle, or the grace period ran out.
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
}
