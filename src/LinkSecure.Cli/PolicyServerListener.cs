using System;
using System.Collections.Concurrent;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace LinkSecure.Cli;

/// <summary>
/// One listening TCP socket of the policy server (socketmap or metrics): accepts until stopped and runs one task per
/// connection, which it tracks so that a stop can wait for the connections to finish.
/// </summary>
internal sealed class PolicyServerListener
{
    private static readonly TimeSpan AcceptRetryDelay = TimeSpan.FromMilliseconds(100);

    private readonly Socket socket;
    private readonly Func<Socket, Task> serve;
    private readonly ConcurrentDictionary<long, Task> connections = new();
    private readonly TextWriter log;
    private long nextId;
    private Task? loop;

    private PolicyServerListener(Socket socket, Func<Socket, Task> serve, TextWriter log)
    {
        this.socket = socket;
        this.serve = serve;
        this.log = log;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <summary>Gets the bound address (the actual port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Binds <paramref name="endpoint"/> and starts accepting.</summary>
    /// <param name="endpoint">The address and port; port 0 picks a free one.</param>
    /// <param name="serve">Serves one accepted connection; owns and disposes the socket; must not throw.</param>
    /// <param name="log">Where accept failures are reported.</param>
    /// <param name="stopping">Stops accepting.</param>
    /// <returns>The listener.</returns>
    /// <exception cref="SocketException">The address cannot be bound.</exception>
    public static PolicyServerListener Start(IPEndPoint endpoint, Func<Socket, Task> serve, TextWriter log, CancellationToken stopping)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }

            socket.Bind(endpoint);
            socket.Listen(512);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var listener = new PolicyServerListener(socket, serve, log);
        listener.loop = listener.AcceptAsync(stopping);
        return listener;
    }

    /// <summary>Completes when every connection accepted so far has ended.</summary>
    public Task ConnectionsEnded => Task.WhenAll(connections.Values);

    /// <summary>Closes the listening socket and waits for the accept loop (after <c>stopping</c> was cancelled).</summary>
    /// <returns>A task that completes when no more connections are accepted.</returns>
    public async Task CloseAsync()
    {
        socket.Dispose();
        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }
    }

    /// <summary>Runs <c>serve</c>; a fault it did not handle ends only that connection, and is logged.</summary>
    private async Task ServeAsync(Socket client)
    {
        try
        {
            await serve(client).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // One connection's fault must never take the server down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            client.Dispose();
            await log.WriteLineAsync($"linksecure policy-server: connection on {LocalEndPoint} failed: {ex.GetType().Name}: {ex.Message}").ConfigureAwait(false);
        }
    }

    private async Task AcceptAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await socket.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                if (stopping.IsCancellationRequested)
                {
                    return;
                }

                // Out of descriptors or a connection reset before it was accepted: keep serving the others, and do not
                // spin while descriptors are short.
                await log.WriteLineAsync($"linksecure policy-server: accept on {LocalEndPoint} failed: {ex.Message}").ConfigureAwait(false);
                try
                {
                    await Task.Delay(AcceptRetryDelay, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            var id = Interlocked.Increment(ref nextId);
            var task = Task.Run(() => ServeAsync(client), CancellationToken.None);
            connections[id] = task;
            _ = task.ContinueWith(_ => connections.TryRemove(id, out var _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
