using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace LinkSecure.Exchange.Tests.Support;

/// <summary>How <see cref="TinyDnsResponder"/> answers.</summary>
internal enum DnsResponderMode
{
    /// <summary>NOERROR with the AD bit (RFC 4035 §3.2.3): what a validating resolver answers for a signed name.</summary>
    Authenticated,

    /// <summary>NOERROR without the AD bit: a resolver that does not validate.</summary>
    Unauthenticated,

    /// <summary>Reads queries and never answers: the query times out.</summary>
    Silent,
}

/// <summary>
/// A UDP DNS responder on 127.0.0.1 for the agent's DNSSEC self-test (the Exchange tests run under Mono without the
/// shared loopback servers): it echoes the question (RFC 1035 §4.1) with an empty answer section and the chosen flags.
/// </summary>
internal sealed class TinyDnsResponder : IDisposable
{
    private readonly UdpClient socket;
    private readonly DnsResponderMode mode;
    private readonly Thread thread;
    private int queries;

    public TinyDnsResponder(DnsResponderMode mode)
    {
        this.mode = mode;
        socket = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        Endpoint = (IPEndPoint)socket.Client.LocalEndPoint!;
        thread = new Thread(Serve) { IsBackground = true, Name = "TinyDnsResponder" };
        thread.Start();
    }

    /// <summary>Gets the address and port, as written in <c>resolver.validatingDnsServers</c>.</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>Gets the server as a settings string, <c>127.0.0.1:port</c>.</summary>
    public string Server => "127.0.0.1:" + Endpoint.Port;

    /// <summary>Gets how many queries arrived.</summary>
    public int Queries => Volatile.Read(ref queries);

    public void Dispose()
    {
        socket.Close();
        thread.Join(TimeSpan.FromSeconds(2));
    }

    private void Serve()
    {
        while (true)
        {
            byte[] query;
            IPEndPoint? from = null;
            try
            {
                query = socket.Receive(ref from);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref queries);
            if (mode == DnsResponderMode.Silent || query.Length < 12 || from is null)
            {
                continue;
            }

            // Header (12 bytes) + the first question: name labels, root label, QTYPE, QCLASS.
            var end = 12;
            while (end < query.Length && query[end] != 0)
            {
                end += query[end] + 1;
            }

            end += 5;
            if (end > query.Length)
            {
                continue;
            }

            var response = new byte[end];
            Array.Copy(query, response, end);
            response[2] = (byte)(0x80 | (query[2] & 0x01));          // QR, opcode QUERY, RD copied
            response[3] = (byte)(mode == DnsResponderMode.Authenticated ? 0xA0 : 0x80); // RA (+ AD), RCODE NOERROR
            response[4] = 0;
            response[5] = 1;                                        // QDCOUNT 1
            for (var i = 6; i < 12; i++)
            {
                response[i] = 0;                                    // ANCOUNT, NSCOUNT, ARCOUNT 0
            }

            try
            {
                socket.Send(response, response.Length, from);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return;
            }
        }
    }
}
