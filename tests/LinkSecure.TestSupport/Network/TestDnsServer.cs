using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace LinkSecure.TestSupport.Network;

/// <summary>A fault the test DNS server injects for one name (and optionally one type).</summary>
public enum DnsFault
{
    None,
    Timeout,
    ServFail,
    NxDomain,
    Refused,

    /// <summary>UDP answers come with TC set and no records; TCP answers are complete (RFC 7766).</summary>
    Truncate,
}

/// <summary>
/// A small authoritative DNS server on 127.0.0.1 and a free port, UDP and TCP, driven by the tests: records per name,
/// the AD bit per name suffix, injected faults, an optional delay per query, and a log of queries. Answers larger
/// than the client's EDNS buffer (512 bytes without EDNS) are truncated over UDP like a real server.
/// </summary>
public sealed class TestDnsServer : IDisposable
{
    private readonly UdpClient udp;
    private readonly TcpListener tcp;
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentDictionary<string, List<Record>> records = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, DnsFault> faults = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, bool> secureSuffixes = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, int> queries = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, int> tcpQueries = new(StringComparer.OrdinalIgnoreCase);

    public TestDnsServer()
    {
        for (var attempt = 0; ; attempt++)
        {
            var candidate = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)candidate.Client.LocalEndPoint!).Port;
            var listener = new TcpListener(IPAddress.Loopback, port);
            try
            {
                listener.Start();
                udp = candidate;
                tcp = listener;
                Port = port;
                break;
            }
            catch (SocketException) when (attempt < 20)
            {
                candidate.Dispose();
            }
        }

        _ = Task.Run(UdpLoopAsync);
        _ = Task.Run(TcpLoopAsync);
    }

    public int Port { get; }

    public string Address => "127.0.0.1:" + Port;

    /// <summary>Gets or sets a delay applied before every answer (benchmarks).</summary>
    public TimeSpan Delay { get; set; }

    public void Add(string name, ushort type, byte[] data, int ttl = 300) =>
        records.AddOrUpdate(name.TrimEnd('.'), _ => new List<Record> { new(type, data, ttl) }, (_, list) =>
        {
            lock (list)
            {
                list.Add(new Record(type, data, ttl));
            }

            return list;
        });

    public void Clear(string name) => records.TryRemove(name.TrimEnd('.'), out _);

    public void AddA(string name, string address = "127.0.0.1", int ttl = 300) => Add(name, 1, IPAddress.Parse(address).GetAddressBytes(), ttl);

    public void AddMx(string name, ushort preference, string exchange, int ttl = 300)
    {
        using var data = new MemoryStream();
        data.WriteByte((byte)(preference >> 8));
        data.WriteByte((byte)preference);
        WriteName(data, exchange);
        Add(name, 15, data.ToArray(), ttl);
    }

    public void AddTxt(string name, params string[] strings) => AddTxtWithTtl(name, 300, strings);

    public void AddTxtWithTtl(string name, int ttl, params string[] strings)
    {
        using var data = new MemoryStream();
        foreach (var s in strings)
        {
            var bytes = Encoding.ASCII.GetBytes(s);
            for (var offset = 0; offset < bytes.Length || offset == 0; offset += 255)
            {
                var length = Math.Min(255, bytes.Length - offset);
                data.WriteByte((byte)length);
                data.Write(bytes, offset, length);
                if (bytes.Length == 0)
                {
                    break;
                }
            }
        }

        Add(name, 16, data.ToArray(), ttl);
    }

    public void AddTlsa(string name, byte usage, byte selector, byte matchingType, byte[] association, int ttl = 300) =>
        Add(name, 52, new[] { usage, selector, matchingType }.Concat(association).ToArray(), ttl);

    /// <summary>Injects a fault for a name, for every type or only one.</summary>
    public void SetFault(string name, DnsFault fault, ushort? type = null) => faults[Key(name.TrimEnd('.'), type)] = fault;

    public void ClearFault(string name, ushort? type = null) => faults.TryRemove(Key(name.TrimEnd('.'), type), out _);

    /// <summary>Sets the AD bit on answers for a name and every name under it.</summary>
    public void MarkSecure(string suffix) => secureSuffixes[suffix.TrimEnd('.')] = true;

    public int QueryCount(string name, ushort type) => queries.TryGetValue(Key(name, type), out var n) ? n : 0;

    public int TcpQueryCount(string name, ushort type) => tcpQueries.TryGetValue(Key(name, type), out var n) ? n : 0;

    public void Dispose()
    {
        stop.Cancel();
        udp.Dispose();
        tcp.Stop();
    }

    private static string Key(string name, ushort? type) => type is null ? name.ToLowerInvariant() : name.ToLowerInvariant() + "/" + type;

    private static void WriteName(Stream stream, string name)
    {
        foreach (var label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var bytes = Encoding.ASCII.GetBytes(label);
            stream.WriteByte((byte)bytes.Length);
            stream.Write(bytes);
        }

        stream.WriteByte(0);
    }

    private async Task UdpLoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            UdpReceiveResult received;
            try
            {
                received = await udp.ReceiveAsync(stop.Token);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            _ = Task.Run(async () =>
            {
                var answer = await AnswerAsync(received.Buffer, viaTcp: false);
                if (answer is not null)
                {
                    try
                    {
                        await udp.SendAsync(answer, answer.Length, received.RemoteEndPoint);
                    }
                    catch (Exception) when (stop.IsCancellationRequested)
                    {
                    }
                }
            });
        }
    }

    private async Task TcpLoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await tcp.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (client)
                {
                    var stream = client.GetStream();
                    var prefix = new byte[2];
                    try
                    {
                        while (true)
                        {
                            await stream.ReadExactlyAsync(prefix, stop.Token);
                            var query = new byte[(prefix[0] << 8) | prefix[1]];
                            await stream.ReadExactlyAsync(query, stop.Token);
                            var answer = await AnswerAsync(query, viaTcp: true);
                            if (answer is null)
                            {
                                await Task.Delay(Timeout.Infinite, stop.Token);
                                return;
                            }

                            await stream.WriteAsync(new[] { (byte)(answer.Length >> 8), (byte)answer.Length }, stop.Token);
                            await stream.WriteAsync(answer, stop.Token);
                        }
                    }
                    catch (Exception ex) when (ex is IOException or OperationCanceledException or EndOfStreamException or ObjectDisposedException)
                    {
                    }
                }
            });
        }
    }

    private async Task<byte[]?> AnswerAsync(byte[] query, bool viaTcp)
    {
        if (query.Length < 12)
        {
            return null;
        }

        var offset = 12;
        var labels = new List<string>();
        while (offset < query.Length && query[offset] != 0)
        {
            var length = query[offset];
            labels.Add(Encoding.ASCII.GetString(query, offset + 1, length));
            offset += length + 1;
        }

        offset++;
        var name = string.Join('.', labels).ToLowerInvariant();
        var type = (ushort)((query[offset] << 8) | query[offset + 1]);
        var questionEnd = offset + 4;
        var arCount = (query[10] << 8) | query[11];
        var udpSize = 512;
        if (arCount > 0 && questionEnd + 11 <= query.Length && query[questionEnd] == 0 && query[questionEnd + 1] == 0 && query[questionEnd + 2] == 41)
        {
            udpSize = Math.Max(512, (query[questionEnd + 3] << 8) | query[questionEnd + 4]);
        }

        queries.AddOrUpdate(Key(name, type), 1, (_, n) => n + 1);
        if (viaTcp)
        {
            tcpQueries.AddOrUpdate(Key(name, type), 1, (_, n) => n + 1);
        }

        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay);
        }

        var fault = faults.TryGetValue(Key(name, type), out var f) ? f : faults.TryGetValue(Key(name, null), out var g) ? g : DnsFault.None;
        if (fault == DnsFault.Timeout)
        {
            return null;
        }

        var rcode = fault switch
        {
            DnsFault.ServFail => 2,
            DnsFault.NxDomain => 3,
            DnsFault.Refused => 5,
            _ => 0,
        };
        var answers = new List<Record>();
        if (rcode == 0)
        {
            if (records.TryGetValue(name, out var list))
            {
                lock (list)
                {
                    answers.AddRange(list.Where(r => r.Type == type));
                }
            }
            else
            {
                rcode = 3;
            }
        }

        var secure = rcode is 0 or 3 && secureSuffixes.Keys.Any(s => name == s || name.EndsWith("." + s, StringComparison.Ordinal));
        var truncate = !viaTcp && fault == DnsFault.Truncate;
        var message = Build(query, questionEnd, name, rcode, secure, truncate ? new List<Record>() : answers, truncate, arCount > 0);
        if (!viaTcp && message.Length > udpSize)
        {
            message = Build(query, questionEnd, name, rcode, secure, new List<Record>(), truncated: true, arCount > 0);
        }

        return message;
    }

    private static byte[] Build(byte[] query, int questionEnd, string name, int rcode, bool secure, List<Record> answers, bool truncated, bool edns)
    {
        using var m = new MemoryStream();
        m.WriteByte(query[0]);
        m.WriteByte(query[1]);
        var rd = query[2] & 0x01;
        m.WriteByte((byte)(0x80 | 0x04 | (truncated ? 0x02 : 0) | rd)); // QR, AA, TC, RD
        m.WriteByte((byte)(0x80 | (secure ? 0x20 : 0) | rcode)); // RA, AD, RCODE
        var negative = answers.Count == 0 && !truncated;
        WriteUInt16(m, 1);
        WriteUInt16(m, (ushort)answers.Count);
        WriteUInt16(m, (ushort)(negative ? 1 : 0));
        WriteUInt16(m, (ushort)(edns ? 1 : 0));
        m.Write(query, 12, questionEnd - 12);
        foreach (var record in answers)
        {
            WriteName(m, name);
            WriteUInt16(m, record.Type);
            WriteUInt16(m, 1);
            WriteUInt32(m, (uint)record.Ttl);
            WriteUInt16(m, (ushort)record.Data.Length);
            m.Write(record.Data);
        }

        if (negative)
        {
            // SOA of the zone "test" with MINIMUM 60 (RFC 2308).
            var zone = name.Contains('.') ? name.Substring(name.LastIndexOf('.') + 1) : name;
            using var soa = new MemoryStream();
            WriteName(soa, "ns." + zone);
            WriteName(soa, "hostmaster." + zone);
            WriteUInt32(soa, 1);
            WriteUInt32(soa, 3600);
            WriteUInt32(soa, 600);
            WriteUInt32(soa, 86400);
            WriteUInt32(soa, 60);
            WriteName(m, zone);
            WriteUInt16(m, 6);
            WriteUInt16(m, 1);
            WriteUInt32(m, 300);
            WriteUInt16(m, (ushort)soa.Length);
            m.Write(soa.ToArray());
        }

        if (edns)
        {
            m.WriteByte(0);
            WriteUInt16(m, 41);
            WriteUInt16(m, 4096);
            WriteUInt32(m, 0);
            WriteUInt16(m, 0);
        }

        return m.ToArray();
    }

    private static void WriteUInt16(Stream s, ushort v)
    {
        s.WriteByte((byte)(v >> 8));
        s.WriteByte((byte)v);
    }

    private static void WriteUInt32(Stream s, uint v)
    {
        WriteUInt16(s, (ushort)(v >> 16));
        WriteUInt16(s, (ushort)v);
    }

    private sealed record Record(ushort Type, byte[] Data, int Ttl);
}
