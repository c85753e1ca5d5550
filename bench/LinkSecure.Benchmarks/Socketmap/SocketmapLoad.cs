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

namespace LinkSecure.Benchmarks.Socketmap;

/// <summary>What one load run measured: lookups per second over the measured window and the latency distribution of
/// every lookup in it (milliseconds).</summary>
/// <param name="Connections">The number of persistent connections.</param>
/// <param name="Lookups">The lookups answered in the measured window.</param>
/// <param name="Seconds">The measured window's length.</param>
/// <param name="MeanMs">The mean latency.</param>
/// <param name="P50Ms">The median latency.</param>
/// <param name="P99Ms">The 99th percentile latency.</param>
/// <param name="MaxMs">The largest latency.</param>
public sealed record LoadResult(int Connections, long Lookups, double Seconds, double MeanMs, double P50Ms, double P99Ms, double MaxMs)
{
    /// <summary>Gets the lookups per second.</summary>
    public double Throughput => Lookups / Seconds;

    /// <summary>Summarises latencies (Stopwatch ticks) of a window.</summary>
    /// <param name="connections">The number of connections.</param>
    /// <param name="ticks">Every lookup's latency.</param>
    /// <param name="seconds">The window's length.</param>
    public static LoadResult From(int connections, long[] ticks, double seconds)
    {
        Array.Sort(ticks);
        double Ms(long t) => t * 1000.0 / Stopwatch.Frequency;
        double Percentile(double p) => ticks.Length == 0 ? 0 : Ms(ticks[Math.Min(ticks.Length - 1, (int)Math.Ceiling(p * ticks.Length) - 1)]);
        return new LoadResult(
            connections,
            ticks.Length,
            seconds,
            ticks.Length == 0 ? 0 : ticks.Average(Ms),
            Percentile(0.50),
            Percentile(0.99),
            ticks.Length == 0 ? 0 : Ms(ticks[^1]));
    }
}

/// <summary>
/// A socketmap client (Postfix socketmap_table(5)): persistent TCP connections, each with one netstring request
/// (<c>MAP SP KEY</c>) outstanding at a time, as Postfix's smtp processes use the map. The same measurement as the
/// peer's figures in the relay reference (SMLOAD-style), with the client in this process.
/// </summary>
public static class SocketmapLoad
{
    /// <summary>Opens <paramref name="connections"/> connections, runs them for <paramref name="warmUp"/>, then measures
    /// <paramref name="duration"/>; each connection cycles through the keys from its own offset.</summary>
    /// <param name="endpoint">The socketmap server.</param>
    /// <param name="map">The map name (<c>postfix</c>, <c>linksecure</c>).</param>
    /// <param name="keys">The keys (domains), all cached by the server beforehand.</param>
    /// <param name="connections">The number of persistent connections.</param>
    /// <param name="warmUp">The unmeasured time first.</param>
    /// <param name="duration">The measured window.</param>
    public static async Task<LoadResult> RunAsync(IPEndPoint endpoint, string map, IReadOnlyList<string> keys, int connections, TimeSpan warmUp, TimeSpan duration)
    {
        var clients = new List<SocketmapClient>();
        try
        {
            for (var i = 0; i < connections; i++)
            {
                clients.Add(await SocketmapClient.ConnectAsync(endpoint));
            }

            var requests = keys.Select(k => SocketmapClient.Encode(map + " " + k)).ToArray();
            var measuring = 0;
            var stopping = 0;
            var recorded = new List<long>[connections];
            var loops = Enumerable.Range(0, connections).Select(i => Task.Run(async () =>
            {
                var mine = recorded[i] = new List<long>(1 << 16);
                var client = clients[i];
                var next = i * 7 % requests.Length;
                while (Volatile.Read(ref stopping) == 0)
                {
                    var start = Stopwatch.GetTimestamp();
                    await client.AskAsync(requests[next]);
                    var elapsed = Stopwatch.GetTimestamp() - start;
                    if (Volatile.Read(ref measuring) == 1)
                    {
                        mine.Add(elapsed);
                    }

                    next = next + 1 == requests.Length ? 0 : next + 1;
                }
            })).ToArray();

            await Task.Delay(warmUp);
            var window = Stopwatch.StartNew();
            Volatile.Write(ref measuring, 1);
            await Task.Delay(duration);
            Volatile.Write(ref measuring, 0);
            var seconds = window.Elapsed.TotalSeconds;
            Volatile.Write(ref stopping, 1);
            await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(30));
            return LoadResult.From(connections, recorded.SelectMany(r => r).ToArray(), seconds);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    /// <summary>The same load from the C client (bench/socketmap-load.c), a separate process: it prints
    /// <c>lookups seconds mean p50 p99 max</c> (milliseconds).</summary>
    /// <param name="program">The built client.</param>
    /// <param name="endpoint">The server (127.0.0.1).</param>
    /// <param name="map">The map name.</param>
    /// <param name="keysFile">The keys, one per line.</param>
    /// <param name="connections">The number of persistent connections.</param>
    /// <param name="warmUp">The unmeasured time first.</param>
    /// <param name="duration">The measured window.</param>
    public static async Task<LoadResult> RunProgramAsync(string program, IPEndPoint endpoint, string map, string keysFile, int connections, TimeSpan warmUp, TimeSpan duration)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { endpoint.Port.ToString(CultureInfo.InvariantCulture), map, keysFile, connections.ToString(CultureInfo.InvariantCulture), warmUp.TotalSeconds.ToString(CultureInfo.InvariantCulture), duration.TotalSeconds.ToString(CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(warmUp + duration + TimeSpan.FromSeconds(30));
        var fields = (await output).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (process.ExitCode != 0 || fields.Length != 6)
        {
            throw new IOException(program + " failed (exit " + process.ExitCode + "): " + await error);
        }

        double Field(int i) => double.Parse(fields[i], CultureInfo.InvariantCulture);
        return new LoadResult(connections, long.Parse(fields[0], CultureInfo.InvariantCulture), Field(1), Field(2), Field(3), Field(4), Field(5));
    }
}

/// <summary>One persistent socketmap connection: a netstring request out, a netstring reply in.</summary>
public sealed class SocketmapClient : IDisposable
{
    private readonly Socket socket;
    private readonly byte[] buffer = new byte[4096];
    private int start;
    private int end;

    private SocketmapClient(Socket socket)
    {
        this.socket = socket;
    }

    /// <summary>Connects to a socketmap server.</summary>
    /// <param name="endpoint">The server.</param>
    public static async Task<SocketmapClient> ConnectAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await socket.ConnectAsync(endpoint, timeout.Token);
            return new SocketmapClient(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Encodes a request as a netstring <c>LEN:TEXT,</c> (socketmap_table(5)).</summary>
    /// <param name="request">The request text, <c>MAP SP KEY</c>.</param>
    public static byte[] Encode(string request)
    {
        var text = Encoding.ASCII.GetBytes(request);
        return Encoding.ASCII.GetBytes(text.Length.ToString(CultureInfo.InvariantCulture) + ":").Concat(text).Append((byte)',').ToArray();
    }

    /// <summary>Sends one encoded request and reads its reply; returns the reply's text.</summary>
    /// <param name="request">An encoded request (<see cref="Encode"/>).</param>
    public async ValueTask<string> AskAsync(byte[] request)
    {
        await socket.SendAsync(request, SocketFlags.None);
        while (true)
        {
            if (TryTakeReply(out var reply))
            {
                return reply;
            }

            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }

            var read = await socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None);
            if (read == 0)
            {
                throw new IOException("The socketmap server closed the connection.");
            }

            end += read;
        }
    }

    /// <inheritdoc />
    public void Dispose() => socket.Dispose();

    private bool TryTakeReply(out string reply)
    {
        reply = string.Empty;
        var colon = Array.IndexOf(buffer, (byte)':', start, end - start);
        if (colon < 0)
        {
            return false;
        }

        var length = int.Parse(Encoding.ASCII.GetString(buffer, start, colon - start), NumberStyles.None, CultureInfo.InvariantCulture);
        if (end - colon - 1 < length + 1)
        {
            return false;
        }

        if (buffer[colon + 1 + length] != (byte)',')
        {
            throw new IOException("The socketmap reply is not a netstring.");
        }

        reply = Encoding.ASCII.GetString(buffer, colon + 1, length);
        start = colon + 2 + length;
        return true;
    }
}
