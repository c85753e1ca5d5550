using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace LinkSecure.TestSupport.Probing;

/// <summary>How a <see cref="TestSmtpServer"/> misbehaves (or behaves).</summary>
public sealed class SmtpBehaviour
{
    public string HostName { get; init; } = "mx.test";

    public string Banner { get; init; } = "220 mx.test ESMTP test server";

    public bool OfferStartTls { get; init; } = true;

    /// <summary>The reply to STARTTLS; anything but 220 refuses it (e.g. "454 4.7.0 TLS not available").</summary>
    public string StartTlsReply { get; init; } = "220 2.0.0 Ready to start TLS";

    /// <summary>The certificate for the handshake; required when STARTTLS is accepted unless <see cref="BreakHandshake"/>.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>After 220 to STARTTLS, send plaintext garbage and close instead of a TLS handshake.</summary>
    public bool BreakHandshake { get; init; }

    public string[] KeywordsBeforeTls { get; init; } = { "PIPELINING", "SIZE 10240000", "8BITMIME" };

    public string[] KeywordsAfterTls { get; init; } = { "PIPELINING", "SIZE 10240000", "8BITMIME" };

    /// <summary>Send the first line of the EHLO reply, then close the connection.</summary>
    public bool DropMidEhlo { get; init; }

    /// <summary>Delay between bytes of everything the server writes (a trickling server).</summary>
    public TimeSpan ByteDelay { get; init; }

    /// <summary>Accept MAIL, RCPT and DATA (recorded in <see cref="TestSmtpServer.Messages"/>) instead of 502.</summary>
    public bool AcceptMail { get; init; }

    /// <summary>Gets a test of the RCPT argument (with its angle brackets): a recipient it matches is refused with
    /// 550 5.1.1 (RFC 3463 §3.2, bad destination mailbox address), a permanent failure.</summary>
    public Func<string, bool>? RejectRecipient { get; init; }
}

/// <summary>A message a <see cref="TestSmtpServer"/> accepted.</summary>
/// <param name="OverTls">Whether the transaction ran after a completed STARTTLS handshake.</param>
/// <param name="Sender">The MAIL FROM argument.</param>
/// <param name="Recipients">The RCPT TO arguments.</param>
/// <param name="Data">The message data without the terminating dot line, dot-stuffing removed.</param>
public sealed record ReceivedSmtpMessage(bool OverTls, string Sender, IReadOnlyList<string> Recipients, string Data);

/// <summary>
/// A small SMTP server on 127.0.0.1 and a free port for the probe's fault cases: no STARTTLS, STARTTLS refused, broken
/// handshake, any certificate (expired, wrong name, self-signed), REQUIRETLS and LINKSECURE after TLS, a connection
/// dropped mid-EHLO, and a server that answers one byte at a time. It accepts mail only with
/// <see cref="SmtpBehaviour.AcceptMail"/> (otherwise MAIL gets 502) and logs the commands it received. By default it
/// listens on 127.0.0.1 and a free port; <see cref="Start(SmtpBehaviour, IPEndPoint)"/> binds a given address, such as
/// 127.0.0.21:25 for a test MX.
/// </summary>
public sealed class TestSmtpServer : IDisposable
{
    private readonly TcpListener listener;
    private readonly SmtpBehaviour behaviour;
    private readonly CancellationTokenSource stop = new();

    private TestSmtpServer(SmtpBehaviour behaviour, IPEndPoint endpoint)
    {
        this.behaviour = behaviour;
        listener = new TcpListener(endpoint);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _ = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    /// <summary>Gets every command received, in order, from every connection.</summary>
    public ConcurrentQueue<string> Commands { get; } = new();

    /// <summary>Gets every message accepted (with <see cref="SmtpBehaviour.AcceptMail"/>), in order.</summary>
    public ConcurrentQueue<ReceivedSmtpMessage> Messages { get; } = new();

    public static TestSmtpServer Start(SmtpBehaviour behaviour) => new(behaviour, new IPEndPoint(IPAddress.Loopback, 0));

    /// <summary>Starts a server on a given address and port (port 0 picks a free one).</summary>
    public static TestSmtpServer Start(SmtpBehaviour behaviour, IPEndPoint endpoint) => new(behaviour, endpoint);

    public void Dispose()
    {
        stop.Cancel();
        listener.Stop();
    }

    private async Task AcceptLoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
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
                using (client)
                {
                    try
                    {
                        await ServeAsync(client.GetStream());
                    }
                    catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or AuthenticationException)
                    {
                    }
                }
            });
        }
    }

    private async Task ServeAsync(Stream network)
    {
        Stream stream = network;
        var reader = new LineReader(stream);
        await WriteAsync(stream, behaviour.Banner + "\r\n");
        var secure = false;
        string? sender = null;
        var recipients = new List<string>();
        while (true)
        {
            var line = await reader.ReadLineAsync(stop.Token);
            if (line is null)
            {
                return;
            }

            Commands.Enqueue(line);
            var verb = line.Split(' ')[0].ToUpperInvariant();
            switch (verb)
            {
                case "EHLO":
                    if (behaviour.DropMidEhlo)
                    {
                        await WriteAsync(stream, "250-" + behaviour.HostName + " hello\r\n");
                        return;
                    }

                    var keywords = secure ? behaviour.KeywordsAfterTls : behaviour.KeywordsBeforeTls;
                    if (!secure && behaviour.OfferStartTls)
                    {
                        keywords = [.. keywords, "STARTTLS"];
                    }

                    var reply = new StringBuilder("250");
                    reply.Append(keywords.Length == 0 ? ' ' : '-').Append(behaviour.HostName).Append(" hello\r\n");
                    for (var i = 0; i < keywords.Length; i++)
                    {
                        reply.Append(i == keywords.Length - 1 ? "250 " : "250-").Append(keywords[i]).Append("\r\n");
                    }

                    await WriteAsync(stream, reply.ToString());
                    break;

                case "STARTTLS" when !secure && behaviour.OfferStartTls:
                    await WriteAsync(stream, behaviour.StartTlsReply + "\r\n");
                    if (!behaviour.StartTlsReply.StartsWith("220", StringComparison.Ordinal))
                    {
                        break;
                    }

                    if (behaviour.BreakHandshake)
                    {
                        await WriteAsync(stream, "this is not a TLS server hello\r\n");
                        return;
                    }

                    var ssl = new SslStream(network, false);
                    await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                    {
                        ServerCertificate = behaviour.Certificate ?? throw new InvalidOperationException("The behaviour needs a certificate."),
                        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    }, stop.Token);
                    stream = ssl;
                    reader = new LineReader(stream);

                    // RFC 3207 §4.2: the server discards what it learnt before TLS.
                    sender = null;
                    recipients.Clear();
                    secure = true;
                    break;

                case "MAIL" when behaviour.AcceptMail:
                    sender = line.Substring(line.IndexOf(':', StringComparison.Ordinal) + 1).Trim();
                    recipients.Clear();
                    await WriteAsync(stream, "250 2.1.0 Ok\r\n");
                    break;

                case "RCPT" when behaviour.AcceptMail && sender is not null:
                    var recipient = line.Substring(line.IndexOf(':', StringComparison.Ordinal) + 1).Trim();
                    if (behaviour.RejectRecipient?.Invoke(recipient) == true)
                    {
                        await WriteAsync(stream, "550 5.1.1 " + recipient + ": Recipient address rejected: User unknown\r\n");
                        break;
                    }

                    recipients.Add(recipient);
                    await WriteAsync(stream, "250 2.1.5 Ok\r\n");
                    break;

                case "DATA" when behaviour.AcceptMail && sender is not null && recipients.Count > 0:
                    // RFC 5321 §4.1.1.4 and §4.5.2: the data ends with a line holding one dot; a leading dot is stuffing.
                    await WriteAsync(stream, "354 End data with <CR><LF>.<CR><LF>\r\n");
                    var data = new StringBuilder();
                    string? dataLine;
                    while ((dataLine = await reader.ReadLineAsync(stop.Token)) is not null && dataLine != ".")
                    {
                        data.Append(dataLine.StartsWith('.') ? dataLine.Substring(1) : dataLine).Append("\r\n");
                    }

                    if (dataLine is null)
                    {
                        return;
                    }

                    Messages.Enqueue(new ReceivedSmtpMessage(secure, sender, recipients.ToArray(), data.ToString()));
                    sender = null;
                    recipients.Clear();
                    await WriteAsync(stream, "250 2.0.0 Ok: queued\r\n");
                    break;

                case "RSET" when behaviour.AcceptMail:
                    sender = null;
                    recipients.Clear();
                    await WriteAsync(stream, "250 2.0.0 Ok\r\n");
                    break;

                case "QUIT":
                    await WriteAsync(stream, "221 2.0.0 Bye\r\n");
                    return;

                default:
                    await WriteAsync(stream, "502 5.5.2 Not implemented here\r\n");
                    break;
            }
        }
    }

    private async Task WriteAsync(Stream stream, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        if (behaviour.ByteDelay <= TimeSpan.Zero)
        {
            await stream.WriteAsync(bytes, stop.Token);
            await stream.FlushAsync(stop.Token);
            return;
        }

        foreach (var b in bytes)
        {
            await stream.WriteAsync(new[] { b }, stop.Token);
            await stream.FlushAsync(stop.Token);
            await Task.Delay(behaviour.ByteDelay, stop.Token);
        }
    }

    private sealed class LineReader
    {
        private readonly Stream stream;
        private readonly byte[] one = new byte[1];

        public LineReader(Stream stream)
        {
            this.stream = stream;
        }

        public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            var builder = new StringBuilder();
            while (true)
            {
                var read = await stream.ReadAsync(one, cancellationToken);
                if (read == 0)
                {
                    return null;
                }

                if (one[0] == '\n')
                {
                    return builder.ToString().TrimEnd('\r');
                }

                if (builder.Length > 4096)
                {
                    return null;
                }

                builder.Append((char)one[0]);
            }
        }
    }
}
