using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Relay;

namespace LinkSecure.Cli.Tests;

/// <summary>A dictionary responder serving the maps "linksecure" and "postfix"; the key "slow.example" waits for
/// <see cref="Release"/>, the key "fault.example" throws.</summary>
internal sealed class FakeResponder : ISocketmapResponder
{
    private readonly Dictionary<string, SocketmapReply> answers = new(StringComparer.Ordinal)
    {
        ["postfix good-enforce.example"] = SocketmapReply.Ok("secure match=mx1.good-enforce.example:mx2.good-enforce.example servername=hostname"),
        ["postfix plain.example"] = SocketmapReply.NotFound,
        ["linksecure dane.example"] = SocketmapReply.Ok("dane-only"),
        ["linksecure broken.example"] = SocketmapReply.Temp("DNS lookup failed"),
    };

    private readonly TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a lookup of "slow.example" has started.</summary>
    public TaskCompletionSource SlowStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a lookup was cancelled by the server.</summary>
    public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => release.TrySetResult();

    public bool ServesMap(string name) => name is "linksecure" or "postfix";

    public async ValueTask<SocketmapReply> AnswerAsync(string mapName, string key, CancellationToken cancellationToken)
    {
        if (key == "slow.example")
        {
            SlowStarted.TrySetResult();
            try
            {
                await release.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Cancelled.TrySetResult();
                throw;
            }

            return SocketmapReply.Ok("secure");
        }

        if (key == "fault.example")
        {
            throw new InvalidOperationException("responder fault");
        }

        return answers.TryGetValue(mapName + " " + key, out var reply) ? reply : SocketmapReply.NotFound;
    }
}

/// <summary>A socketmap client over one TCP connection on loopback.</summary>
internal sealed class SocketmapClient : IDisposable
{
    private readonly Socket socket;
    private readonly NetstringDecoder replies = new(100_000);
    private readonly CancellationToken cancellationToken;

    private SocketmapClient(Socket socket, CancellationToken cancellationToken)
    {
        this.socket = socket;
        this.cancellationToken = cancellationToken;
    }

    public static async Task<SocketmapClient> ConnectAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new SocketmapClient(socket, cancellationToken);
    }

    public async Task SendAsync(string raw) => await SendAsync(Encoding.UTF8.GetBytes(raw));

    public async Task SendAsync(byte[] bytes)
    {
        var sent = 0;
        while (sent < bytes.Length)
        {
            sent += await socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None, cancellationToken);
        }
    }

    public async Task<string> LookupAsync(string request)
    {
        await SendAsync(Netstring.Encode(request));
        return await ReadReplyAsync() ?? throw new IOException("The server closed the connection.");
    }

    /// <summary>The next reply's text, or null when the server closed the connection first.</summary>
    public async Task<string?> ReadReplyAsync()
    {
        while (true)
        {
            var status = replies.TryRead(out var payload);
            if (status == NetstringStatus.Complete)
            {
                return Encoding.UTF8.GetString(payload.Span);
            }

            if (status == NetstringStatus.Invalid)
            {
                throw new IOException($"The server sent a malformed netstring ({replies.Error}).");
            }

            int read;
            try
            {
                read = await socket.ReceiveAsync(replies.GetReadBuffer(), SocketFlags.None, cancellationToken);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                return null;
            }

            if (read == 0)
            {
                return null;
            }

            replies.Advance(read);
        }
    }

    public void Dispose() => socket.Dispose();
}

/// <summary>A started <see cref="PolicyServer"/> on 127.0.0.1 with a free port, and a bound for the test.</summary>
internal sealed class PolicyServerHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource timeout = new(TimeSpan.FromSeconds(60));

    public PolicyServerHarness(bool metrics = false, bool logLookups = false, int maxConnections = PolicyServer.DefaultMaxConnections)
    {
        Log = TextWriter.Synchronized(logText);
        Server = new PolicyServer(Responder, Log, logLookups, maxConnections: maxConnections);
        Server.Start(new[] { new IPEndPoint(IPAddress.Loopback, 0) }, metrics ? new IPEndPoint(IPAddress.Loopback, 0) : null);
    }

    public FakeResponder Responder { get; } = new();

    private readonly StringWriter logText = new();

    public TextWriter Log { get; }

    /// <summary>Gets what the server logged so far.</summary>
    public string LogText
    {
        get
        {
            lock (Log)
            {
                return logText.ToString();
            }
        }
    }

    public PolicyServer Server { get; }

    public IPEndPoint Endpoint => Server.Endpoints[0];

    /// <summary>Cancelled when the test has run for a minute: every wait is bounded by it.</summary>
    public CancellationToken Token => timeout.Token;

    public Task<SocketmapClient> ConnectAsync() => SocketmapClient.ConnectAsync(Endpoint, Token);

    public async ValueTask DisposeAsync()
    {
        Responder.Release();
        await Server.DisposeAsync();
        timeout.Dispose();
    }
}
