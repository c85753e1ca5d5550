using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Probing;

/// <summary>
/// Probes one MX address the way a sending MTA would, without sending mail: connect, greeting, EHLO, STARTTLS
/// (RFC 3207), a TLS 1.2+ handshake with SNI set to the MX host name, PKIX and name checks of the presented chain
/// (RFC 8461 §4), DANE TLSA matching when TLSA applies (RFC 7672 §3), EHLO again inside TLS for REQUIRETLS
/// (RFC 8689 §2) and LINKSECURE, then QUIT. It never sends MAIL FROM.
/// </summary>
/// <remarks>
/// <para>The whole conversation runs within <see cref="SmtpProbeOptions.Budget"/>; a server that stalls or trickles is
/// cut off and the stage is reported. Reply lines are capped (<see cref="SmtpProbeOptions.MaxLineLength"/>).</para>
/// <para>The handshake accepts any certificate so the probe can report on it (as posttls-finger does); the judgement is
/// made afterwards and never weakens what the agent enforces. Thread-safe: one instance can probe many addresses at once.</para>
/// </remarks>
public sealed class SmtpProbe
{
    private static readonly Encoding Ascii = Encoding.ASCII;

    /// <summary>Creates a probe.</summary>
    /// <param name="options">How to probe; <see cref="SmtpProbeOptions.Default"/> when <see langword="null"/>.</param>
    public SmtpProbe(SmtpProbeOptions? options = null)
    {
        Options = options ?? SmtpProbeOptions.Default;
        Options.Validate();
    }

    /// <summary>Gets the options.</summary>
    public SmtpProbeOptions Options { get; }

    /// <summary>Probes one address. Failures of the server are results, never exceptions.</summary>
    /// <param name="target">The MX host, address and policy facts.</param>
    /// <param name="cancellationToken">Cancels the probe (the caller's own deadline).</param>
    /// <returns>What the probe saw.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<SmtpProbeResult> ProbeAsync(SmtpProbeTarget target, CancellationToken cancellationToken = default)
    {
        if (target is null)
        {
            throw new ArgumentNullException(nameof(target));
        }

        var time = Options.TimeProvider ?? TimeProvider.System;
        var result = new SmtpProbeResult(target, Options.Port) { StartedAt = time.GetUtcNow() };
        var watch = Stopwatch.StartNew();
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(Options.Budget);
        var socket = new Socket(target.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };

        // Disposing the socket unblocks every pending read and write, on every target framework.
        using var registration = budget.Token.Register(() => socket.Dispose());
        Stream? stream = null;
        SmtpLineReader? reader = null;
        try
        {
            await ConnectAsync(socket, target.Address, budget.Token).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            reader = new SmtpLineReader(stream, Options.MaxLineLength, Options.MaxReplyLines);
            await ConverseAsync(target, result, reader, stream, LocalLiteral(socket), time, budget.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsNetworkFailure(ex) || ex is SmtpProtocolException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var received = reader is null ? string.Empty : string.Format(CultureInfo.InvariantCulture, "; {0} byte(s) received in all", reader.BytesReceived);
            result.Error = budget.IsCancellationRequested
                ? string.Format(CultureInfo.InvariantCulture, "time budget of {0:0.#} s exhausted during {1}{2}", Options.Budget.TotalSeconds, Describe(result.Stage), received)
                : ex is SmtpProtocolException
                    ? ex.Message
                    : result.Stage == SmtpProbeStage.Connect
                        ? string.Format(CultureInfo.InvariantCulture, "cannot connect to {0} port {1}: {2}", target.Address, Options.Port, ex.Message)
                        : "connection failed during " + Describe(result.Stage) + ": " + ex.Message;
            Conclude(result, failed: true);
        }
        finally
        {
            stream?.Dispose();
            socket.Dispose();
            result.Duration = watch.Elapsed;
        }

        return result;
    }

    internal static string Describe(SmtpProbeStage stage) => stage switch
    {
        SmtpProbeStage.Connect => "the TCP connection",
        SmtpProbeStage.Banner => "the greeting",
        SmtpProbeStage.Ehlo => "EHLO",
        SmtpProbeStage.StartTls => "STARTTLS",
        SmtpProbeStage.TlsHandshake => "the TLS handshake",
        SmtpProbeStage.EhloAfterTls => "EHLO after STARTTLS",
        SmtpProbeStage.Quit => "QUIT",
        _ => "the conversation",
    };

    private static bool IsNetworkFailure(Exception ex) =>
        ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or AuthenticationException;

    private static void Conclude(SmtpProbeResult result, bool failed)
    {
        if (result.Tls is not null)
        {
            result.Outcome = result.Tls.Dane is { } dane
                ? (dane.Matched ? SmtpProbeOutcome.TlsAuthenticated : SmtpProbeOutcome.TlsNotAuthenticated)
                : (result.Tls.CertificateValid ? SmtpProbeOutcome.TlsAuthenticated : SmtpProbeOutcome.TlsNotAuthenticated);
            return;
        }

        if (!failed)
        {
            return;
        }

        result.Outcome = result.Stage switch
        {
            SmtpProbeStage.Connect => SmtpProbeOutcome.Unreachable,
            SmtpProbeStage.TlsHandshake => SmtpProbeOutcome.TlsHandshakeFailed,
            _ => SmtpProbeOutcome.Inconclusive,
        };
    }

    private static string[] Keywords(SmtpReply ehlo) => ehlo.Lines.Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();

    private static bool HasKeyword(IEnumerable<string> keywords, string keyword) =>
        keywords.Any(k => string.Equals(k.Split(' ')[0], keyword, StringComparison.OrdinalIgnoreCase));

    private static async Task WriteLineAsync(Stream stream, string line, CancellationToken cancellationToken)
    {
        var bytes = Ascii.GetBytes(line + "\r\n");
        await stream.WriteAsync(bytes, 0, bytes.Length, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string ProtocolName(SslProtocols protocol) => (int)protocol switch
    {
        12288 => "TLSv1.3",
        3072 => "TLSv1.2",
        768 => "TLSv1.1",
        192 => "TLSv1",
        _ => protocol.ToString(),
    };

    private static X509Certificate2 Copy(X509Certificate certificate)
    {
#if NET
        return X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
#else
        return new X509Certificate2(certificate.GetRawCertData());
#endif
    }

    private async Task ConnectAsync(Socket socket, IPAddress address, CancellationToken cancellationToken)
    {
        using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        connectTimeout.CancelAfter(Options.ConnectTimeout);
        using (connectTimeout.Token.Register(() => socket.Dispose()))
        {
            try
            {
#if NET
                await socket.ConnectAsync(new IPEndPoint(address, Options.Port), connectTimeout.Token).ConfigureAwait(false);
#else
                await socket.ConnectAsync(new IPEndPoint(address, Options.Port)).ConfigureAwait(false);
#endif
            }
            catch (Exception ex) when (IsNetworkFailure(ex) && connectTimeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new SmtpProtocolException(string.Format(CultureInfo.InvariantCulture, "cannot connect to {0} port {1}: no answer within {2:0.#} s", address, Options.Port, Options.ConnectTimeout.TotalSeconds), ex);
            }
        }
    }

    private async Task ConverseAsync(SmtpProbeTarget target, SmtpProbeResult result, SmtpLineReader reader, Stream plain, string localLiteral, TimeProvider time, CancellationToken cancellationToken)
    {
        result.Stage = SmtpProbeStage.Banner;
        var banner = await reader.ReadReplyAsync("greeting", cancellationToken).ConfigureAwait(false);
        result.Banner = banner.FirstLine;
        if (banner.Code != 220)
        {
            result.Error = "the server refused the session: " + banner.FirstLine;
            await QuitAsync(reader, plain, cancellationToken).ConfigureAwait(false);
            return;
        }

        var heloName = Options.HeloName ?? localLiteral;
        result.Stage = SmtpProbeStage.Ehlo;
        await WriteLineAsync(plain, "EHLO " + heloName, cancellationToken).ConfigureAwait(false);
        var ehlo = await reader.ReadReplyAsync("EHLO reply", cancellationToken).ConfigureAwait(false);
        if (ehlo.Code != 250)
        {
            // No ESMTP means no STARTTLS (RFC 3207 §4).
            result.Error = "EHLO rejected: " + ehlo.FirstLine;
            result.Outcome = SmtpProbeOutcome.NoStartTls;
            await QuitAsync(reader, plain, cancellationToken).ConfigureAwait(false);
            return;
        }

        result.EhloKeywords = Keywords(ehlo);
        result.StartTlsOffered = HasKeyword(result.EhloKeywords, "STARTTLS");
        if (!result.StartTlsOffered)
        {
            result.Error = "STARTTLS not offered";
            result.Outcome = SmtpProbeOutcome.NoStartTls;
            await QuitAsync(reader, plain, cancellationToken).ConfigureAwait(false);
            return;
        }

        result.Stage = SmtpProbeStage.StartTls;
        await WriteLineAsync(plain, "STARTTLS", cancellationToken).ConfigureAwait(false);
        var startTls = await reader.ReadReplyAsync("STARTTLS reply", cancellationToken).ConfigureAwait(false);
        result.StartTlsReply = startTls.FirstLine;
        if (startTls.Code != 220)
        {
            result.Error = "STARTTLS refused: " + startTls.FirstLine;
            result.Outcome = SmtpProbeOutcome.NoStartTls;
            await QuitAsync(reader, plain, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (reader.Buffered > 0)
        {
            // RFC 3207 §5 and CVE-2011-0411: anything sent before the handshake must not be taken as TLS-protected.
            result.AddWarning(string.Format(CultureInfo.InvariantCulture, "the server sent {0} byte(s) after its 220 to STARTTLS; discarded", reader.Buffered));
        }

        result.Stage = SmtpProbeStage.TlsHandshake;
        X509Certificate2? leaf = null;
        SystemChain? handshakeChain = null;
        var presented = new List<X509Certificate2>();
#pragma warning disable CA5359 // Accept every certificate so it can be reported; it is judged in Judge() and nothing is delivered.
        var ssl = new SslStream(plain, leaveInnerStreamOpen: false, (sender, certificate, chain, errors) =>
        {
            if (certificate is not null)
            {
                leaf = Copy(certificate);
                CollectChain(chain, leaf, presented);
#if NET
                // .NET built this chain against the system store (server authentication, no revocation check, the
                // certificates the server sent as extras): keep its verdict so Judge need not build it again.
                if (chain is not null && (errors & SslPolicyErrors.RemoteCertificateNotAvailable) == 0)
                {
                    handshakeChain = CertificateValidation.Capture(chain, (errors & SslPolicyErrors.RemoteCertificateChainErrors) == 0, DateTime.UtcNow);
                }
#endif
            }

            return true;
        });
#pragma warning restore CA5359
        using (ssl)
        {
            var sni = IPAddress.TryParse(target.Host, out _) ? null : target.Host;
            try
            {
#if NET
                var options = new SslClientAuthenticationOptions
                {
                    TargetHost = sni ?? string.Empty,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                };
                await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
#else
                // netstandard2.0: the platform's default protocols (TLS 1.2 on current Windows); checked below.
                await ssl.AuthenticateAsClientAsync(sni ?? target.Address.ToString(), null, SslProtocols.None, false).ConfigureAwait(false);
#endif
            }
            catch (Exception ex) when (ex is AuthenticationException or IOException && !cancellationToken.IsCancellationRequested)
            {
                result.Error = "TLS handshake failed: " + Innermost(ex);
                result.Outcome = SmtpProbeOutcome.TlsHandshakeFailed;
                return;
            }

            var tls = new TlsSessionInfo
            {
                Protocol = ProtocolName(ssl.SslProtocol),
                CipherSuite = CipherSuite(ssl),
                Sni = sni,
            };
            result.Tls = tls;
            if ((int)ssl.SslProtocol < 3072)
            {
                result.AddWarning(tls.Protocol + " negotiated; TLS 1.2 or later is required (RFC 8461 §3.3, RFC 8996)");
            }

            Judge(target, tls, leaf, presented, time.GetUtcNow().UtcDateTime, handshakeChain);
            if ((int)ssl.SslProtocol < 3072)
            {
                result.Outcome = SmtpProbeOutcome.TlsHandshakeFailed;
            }

            Conclude(result, failed: false);
            reader.SwitchTo(ssl);
            result.Stage = SmtpProbeStage.EhloAfterTls;
            await WriteLineAsync(ssl, "EHLO " + heloName, cancellationToken).ConfigureAwait(false);
            var secureEhlo = await reader.ReadReplyAsync("EHLO reply after STARTTLS", cancellationToken).ConfigureAwait(false);
            if (secureEhlo.Code != 250)
            {
                result.Error = "EHLO after STARTTLS rejected: " + secureEhlo.FirstLine;
                await QuitAsync(reader, ssl, cancellationToken).ConfigureAwait(false);
                return;
            }

            var keywords = Keywords(secureEhlo);
            result.EhloKeywordsAfterTls = keywords;
            result.RequireTls = HasKeyword(keywords, "REQUIRETLS");
            foreach (var line in keywords.Where(k => k.StartsWith(EhloKeyword.Keyword, StringComparison.OrdinalIgnoreCase)))
            {
                if (EhloKeyword.TryParse(line, out var keyword))
                {
                    result.LinkSecure = keyword;
                }
                else if (string.Equals(line.Split(' ')[0], EhloKeyword.Keyword, StringComparison.OrdinalIgnoreCase))
                {
                    result.AddWarning("malformed LINKSECURE keyword ignored: \"" + SmtpLineReader.Clip(line) + "\" (expected LINKSECURE <level 1-4> <max-age seconds>)");
                }
            }

            if (!result.RequireTls && HasKeyword(result.EhloKeywords, "REQUIRETLS"))
            {
                result.AddWarning("REQUIRETLS was offered only before STARTTLS, where it does not count (RFC 8689 §2)");
            }

            if (result.LinkSecure is null && result.EhloKeywords.Any(k => EhloKeyword.TryParse(k, out _)))
            {
                result.AddWarning("LINKSECURE was offered only before STARTTLS, where it does not count");
            }

            result.Stage = SmtpProbeStage.Quit;
            await QuitAsync(reader, ssl, cancellationToken).ConfigureAwait(false);
            result.Stage = SmtpProbeStage.Completed;
        }
    }

    private void Judge(SmtpProbeTarget target, TlsSessionInfo tls, X509Certificate2? leaf, IReadOnlyList<X509Certificate2> presented, DateTime now, SystemChain? handshakeChain)
    {
        if (leaf is null)
        {
            tls.ChainDetail = "the server sent no certificate";
            return;
        }

        tls.Certificates = new[] { leaf }.Concat(presented).Select(c => new CertificateInfo(c)).ToArray();
        var names = tls.Certificates[0].DnsNames;
        var chain = CertificateValidation.ValidateChain(leaf, presented, Options.TrustAnchors, now, handshakeChain);
        tls.ChainValid = chain.Valid;
        tls.ChainDetail = chain.Detail;
        tls.NameMatchesMx = CertificateNames.Covers(names, target.Host);
        if (target.PolicyPatterns is { } patterns)
        {
            tls.NameMatchesPolicy = CertificateNames.MatchesAnyPattern(names, patterns);
        }

        if (target.Tlsa is { } records)
        {
            var matched = CertificateValidation.MatchTlsa(records, leaf, presented, target.Host, now, out var problem);
            tls.Dane = new DaneCheck(records, matched is not null, matched ?? problem!);
        }
    }

    private static void CollectChain(X509Chain? chain, X509Certificate2 leaf, List<X509Certificate2> presented)
    {
        if (chain is null)
        {
            return;
        }

        // .NET puts the certificates the server sent in the chain's extra store; .NET Framework does not, so fall back
        // to the elements it built.
        var sent = chain.ChainPolicy.ExtraStore.Cast<X509Certificate2>().ToList();
        var source = sent.Count > 0 ? sent : chain.ChainElements.Cast<X509ChainElement>().Select(e => e.Certificate).ToList();
        foreach (var certificate in source)
        {
            if (!string.Equals(certificate.Thumbprint, leaf.Thumbprint, StringComparison.OrdinalIgnoreCase))
            {
                presented.Add(Copy(certificate));
            }
        }
    }

    private static string CipherSuite(SslStream ssl)
    {
#if NET
        return ssl.NegotiatedCipherSuite.ToString();
#else
        return string.Format(CultureInfo.InvariantCulture, "{0}-{1} ({2}, {3})", ssl.KeyExchangeAlgorithm, ssl.CipherAlgorithm, ssl.CipherStrength, ssl.HashAlgorithm);
#endif
    }

    private static string Innermost(Exception ex)
    {
        var messages = new List<string>();
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (!messages.Contains(e.Message))
            {
                messages.Add(e.Message);
            }
        }

        return string.Join(": ", messages);
    }

    private static string LocalLiteral(Socket socket)
    {
        if (socket.LocalEndPoint is IPEndPoint local)
        {
            return local.AddressFamily == AddressFamily.InterNetworkV6 ? "[IPv6:" + local.Address + "]" : "[" + local.Address + "]";
        }

        return "[127.0.0.1]";
    }

    private static async Task QuitAsync(SmtpLineReader reader, Stream stream, CancellationToken cancellationToken)
    {
        try
        {
            await WriteLineAsync(stream, "QUIT", cancellationToken).ConfigureAwait(false);
            using var quick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            quick.CancelAfter(TimeSpan.FromSeconds(2));
            await reader.ReadReplyAsync("QUIT reply", quick.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsNetworkFailure(ex) || ex is SmtpProtocolException)
        {
            // The verdict is made; a server that drops the connection at QUIT changes nothing.
        }
    }
}
