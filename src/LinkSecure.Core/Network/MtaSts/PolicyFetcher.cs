using System;
using System.Collections.Generic;
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

namespace LinkSecure.Core.Network;

/// <summary>How a policy fetch ended.</summary>
internal enum PolicyFetchKind
{
    /// <summary>A valid policy was retrieved.</summary>
    Ok,

    /// <summary>The authenticated policy host answered, but with no valid policy (3xx, 4xx, wrong content type,
    /// oversized or invalid body): the domain has no usable policy (RFC 8461 §3.3).</summary>
    NoPolicy,

    /// <summary>The policy host could not be reached or authenticated, or answered 5xx, or was too slow: the
    /// outcome is unknown.</summary>
    Failed,
}

internal sealed class PolicyFetchResult
{
    public PolicyFetchResult(PolicyFetchKind kind, string detail, MtaStsPolicy? policy = null)
    {
        Kind = kind;
        Detail = detail;
        Policy = policy;
    }

    public PolicyFetchKind Kind { get; }

    /// <summary>Gets what happened, for evidence or a failure reason.</summary>
    public string Detail { get; }

    public MtaStsPolicy? Policy { get; }
}

/// <summary>
/// Fetches <c>https://mta-sts.&lt;domain&gt;/.well-known/mta-sts.txt</c> (RFC 8461 §3.2–3.3) over a plain HTTP/1.1
/// exchange on an <see cref="SslStream"/>: the caller resolves the policy host through the configured DNS and passes
/// its addresses, the connection goes to those addresses on the configured port, while SNI and certificate name
/// validation use the policy host name. TLS 1.2 or later; certificates chain to the system roots or to
/// <c>resolver.caFiles</c>; no redirects followed, nothing cached, a 64 KiB body cap, one timeout for the whole
/// exchange, and <c>text/plain</c> required.
/// </summary>
/// <remarks>The same code runs on netstandard2.0 (the Exchange agent) and net10.0, which is why it does not use
/// <c>HttpClient</c>: only <c>SocketsHttpHandler</c> can choose the address to connect to while keeping the host name.</remarks>
internal sealed class PolicyFetcher
{
    public const int MaxBodyBytes = 64 * 1024;
    public const string PolicyPath = "/.well-known/mta-sts.txt";
    private const int MaxHeaderBytes = 16 * 1024;
    private static readonly char[] Space = { ' ' };

    private readonly int port;
    private readonly TimeSpan timeout;
    private readonly IReadOnlyList<X509Certificate2> trustAnchors;

    public PolicyFetcher(int port, TimeSpan timeout, IReadOnlyList<X509Certificate2> trustAnchors)
    {
        this.port = port;
        this.timeout = timeout;
        this.trustAnchors = trustAnchors;
    }

    public TimeSpan Timeout => timeout;

    public static string PolicyUrl(string host) => "https://" + host + PolicyPath;

    /// <summary>Loads the certificates of PEM files (<c>-----BEGIN CERTIFICATE-----</c> blocks).</summary>
    public static IReadOnlyList<X509Certificate2> LoadTrustAnchors(IEnumerable<string> pemFiles)
    {
        var result = new List<X509Certificate2>();
        foreach (var file in pemFiles)
        {
            var text = File.ReadAllText(file);
            const string Begin = "-----BEGIN CERTIFICATE-----";
            const string End = "-----END CERTIFICATE-----";
            var start = text.IndexOf(Begin, StringComparison.Ordinal);
            while (start >= 0)
            {
                var end = text.IndexOf(End, start, StringComparison.Ordinal);
                if (end < 0)
                {
                    break;
                }

                var base64 = text.Substring(start + Begin.Length, end - start - Begin.Length);
                var der = Convert.FromBase64String(string.Concat(base64.Where(c => !char.IsWhiteSpace(c))));
#if NET
                result.Add(X509CertificateLoader.LoadCertificate(der));
#else
                result.Add(new X509Certificate2(der));
#endif
                start = text.IndexOf(Begin, end, StringComparison.Ordinal);
            }
        }

        return result;
    }

    public async Task<PolicyFetchResult> FetchAsync(string host, IReadOnlyList<IPAddress> addresses, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            return await FetchCoreAsync(host, addresses, timeoutSource.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested)
        {
            var why = cancellationToken.IsCancellationRequested
                ? "did not finish within the lookup's time budget"
                : string.Format(CultureInfo.InvariantCulture, "did not complete within {0:0.#} s (resolver.httpsTimeoutMilliseconds)", timeout.TotalSeconds);
            return new PolicyFetchResult(PolicyFetchKind.Failed, "policy fetch from " + PolicyUrl(host) + " " + why);
        }
    }

    private async Task<PolicyFetchResult> FetchCoreAsync(string host, IReadOnlyList<IPAddress> addresses, CancellationToken cancellationToken)
    {
        var url = PolicyUrl(host);
        Socket? socket = null;
        string? connectError = null;
        foreach (var address in addresses)
        {
            var candidate = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using (cancellationToken.Register(() => candidate.Dispose()))
                {
#if NET
                    await candidate.ConnectAsync(new IPEndPoint(address, port), cancellationToken).ConfigureAwait(false);
#else
                    await candidate.ConnectAsync(new IPEndPoint(address, port)).ConfigureAwait(false);
#endif
                }

                socket = candidate;
                break;
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                candidate.Dispose();
                cancellationToken.ThrowIfCancellationRequested();
                connectError = string.Format(CultureInfo.InvariantCulture, "connection to {0} port {1} failed: {2}", address, port, ex.Message);
            }
        }

        if (socket is null)
        {
            return new PolicyFetchResult(PolicyFetchKind.Failed, host + " " + (connectError ?? "has no address"));
        }

        string? certificateProblem = null;
        using var network = new NetworkStream(socket, ownsSocket: true);
        using var ssl = new SslStream(network, false, (sender, certificate, chain, errors) => Validate(host, certificate, chain, errors, out certificateProblem));
        using var registration = cancellationToken.Register(() => socket.Dispose());
        try
        {
#if NET
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = host,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            };
            await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
#else
            // SslProtocols.None: the operating system's choice; checked for TLS 1.2 or later below.
            await ssl.AuthenticateAsClientAsync(host, null, SslProtocols.None, false).ConfigureAwait(false);
#endif
            if ((int)ssl.SslProtocol < 3072)
            {
                return new PolicyFetchResult(PolicyFetchKind.Failed, host + " negotiated " + ssl.SslProtocol + "; TLS 1.2 or later is required (RFC 8461 §3.3)");
            }

            var request = Encoding.ASCII.GetBytes(
                "GET " + PolicyPath + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: ExchangeLinkSecure\r\nAccept: text/plain\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n");
            await ssl.WriteAsync(request, 0, request.Length, cancellationToken).ConfigureAwait(false);
            await ssl.FlushAsync(cancellationToken).ConfigureAwait(false);
            return await ReadResponseAsync(url, new ResponseReader(ssl), cancellationToken).ConfigureAwait(false);
        }
        catch (AuthenticationException ex)
        {
            return new PolicyFetchResult(PolicyFetchKind.Failed, certificateProblem ?? host + " TLS handshake failed: " + ex.Message);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (certificateProblem is not null)
            {
                return new PolicyFetchResult(PolicyFetchKind.Failed, certificateProblem);
            }

            return new PolicyFetchResult(PolicyFetchKind.Failed, "policy fetch from " + url + " failed: " + ex.Message);
        }
    }

    private static async Task<PolicyFetchResult> ReadResponseAsync(string url, ResponseReader reader, CancellationToken cancellationToken)
    {
        var statusLine = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        var parts = statusLine?.Split(Space, 3);
        if (parts is null || parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || parts[1].Length != 3 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
        {
            return new PolicyFetchResult(PolicyFetchKind.Failed, url + " did not answer with an HTTP/1.x status line");
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (true)
        {
            var line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                return new PolicyFetchResult(PolicyFetchKind.Failed, url + " closed the connection inside the response header");
            }

            if (line.Length == 0)
            {
                break;
            }

            var colon = line.IndexOf(':');
            if (colon > 0)
            {
                var name = line.Substring(0, colon).Trim();
                if (!headers.ContainsKey(name))
                {
                    headers[name] = line.Substring(colon + 1).Trim();
                }
            }
        }

        if (status is >= 300 and < 400)
        {
            var location = headers.TryGetValue("Location", out var l) ? " to " + l : string.Empty;
            return new PolicyFetchResult(PolicyFetchKind.NoPolicy, string.Format(CultureInfo.InvariantCulture, "{0} answered HTTP {1} (redirect{2}); redirects are not followed (RFC 8461 §3.3)", url, status, location));
        }

        if (status is >= 400 and < 500)
        {
            return new PolicyFetchResult(PolicyFetchKind.NoPolicy, string.Format(CultureInfo.InvariantCulture, "{0} answered HTTP {1}", url, status));
        }

        if (status != 200)
        {
            return new PolicyFetchResult(PolicyFetchKind.Failed, string.Format(CultureInfo.InvariantCulture, "{0} answered HTTP {1}", url, status));
        }

        headers.TryGetValue("Content-Type", out var contentType);
        var mediaType = (contentType ?? string.Empty).Split(';')[0].Trim();
        if (!string.Equals(mediaType, "text/plain", StringComparison.OrdinalIgnoreCase))
        {
            return new PolicyFetchResult(PolicyFetchKind.NoPolicy, $"{url} has content type '{contentType ?? "(none)"}', not text/plain (RFC 8461 §3.2)");
        }

        byte[]? body;
        var tooLarge = $"{url} is larger than {MaxBodyBytes / 1024} KiB (RFC 8461 §3.3)";
        if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.IndexOf("chunked", StringComparison.OrdinalIgnoreCase) >= 0)
        {
            body = await reader.ReadChunkedAsync(MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        }
        else if (headers.TryGetValue("Content-Length", out var lengthText))
        {
            if (!long.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            {
                return new PolicyFetchResult(PolicyFetchKind.Failed, $"{url} sent an invalid Content-Length '{lengthText}'");
            }

            if (length > MaxBodyBytes)
            {
                return new PolicyFetchResult(PolicyFetchKind.NoPolicy, tooLarge);
            }

            body = await reader.ReadExactAsync((int)length, cancellationToken).ConfigureAwait(false);
            if (body is null)
            {
                return new PolicyFetchResult(PolicyFetchKind.Failed, url + " closed the connection before the end of the body");
            }
        }
        else
        {
            body = await reader.ReadToEndAsync(MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        }

        if (body is null)
        {
            return new PolicyFetchResult(PolicyFetchKind.NoPolicy, tooLarge);
        }

        var text = Encoding.UTF8.GetString(body);
        if (!MtaStsPolicy.TryParse(text, out var policy, out var problem))
        {
            return new PolicyFetchResult(PolicyFetchKind.NoPolicy, $"{url} is not a valid policy: {problem}");
        }

        return new PolicyFetchResult(PolicyFetchKind.Ok, "fetched " + url, policy);
    }

    private bool Validate(string host, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, out string? problem)
    {
        problem = null;
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            problem = host + " sent no certificate";
            return false;
        }

        var leaf = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            problem = $"{host} certificate is not valid for that name (it names {DescribeNames(leaf)}; RFC 8461 §3.3)";
            return false;
        }

        // Only chain errors are left. Expiry is reported as such whatever the trust anchors.
        var expiry = DescribeTime(host, leaf);
        if (expiry is not null)
        {
            problem = expiry;
            return false;
        }

        if (trustAnchors.Count > 0)
        {
            // The one chain validator shared with the SMTP probe (Probing/CertificateValidation.cs).
            var intermediates = chain is null
                ? new List<X509Certificate2>()
                : chain.ChainElements.Cast<X509ChainElement>().Select(e => e.Certificate).Where(c => !string.Equals(c.Thumbprint, leaf.Thumbprint, StringComparison.OrdinalIgnoreCase)).ToList();
            if (Probing.CertificateValidation.TryBuildToAnchors(leaf, intermediates, trustAnchors, DateTime.UtcNow, out _, out var status))
            {
                return true;
            }

            problem = $"{host} certificate does not chain to a trusted root or to resolver.caFiles (issuer {leaf.Issuer}; {status})";
            return false;
        }

        problem = $"{host} certificate does not chain to a trusted root (issuer {leaf.Issuer}; {(chain is null ? "chain could not be built" : Probing.CertificateValidation.Describe(chain))}); an enterprise CA can be added with resolver.caFiles";
        return false;
    }

    private static string? DescribeTime(string host, X509Certificate2 leaf)
    {
        var now = DateTime.UtcNow;
        if (leaf.NotAfter.ToUniversalTime() < now)
        {
            return string.Format(CultureInfo.InvariantCulture, "{0} certificate expired {1:yyyy-MM-dd HH:mm}Z", host, leaf.NotAfter.ToUniversalTime());
        }

        if (leaf.NotBefore.ToUniversalTime() > now)
        {
            return string.Format(CultureInfo.InvariantCulture, "{0} certificate is not valid before {1:yyyy-MM-dd HH:mm}Z", host, leaf.NotBefore.ToUniversalTime());
        }

        return null;
    }

    private static string DescribeNames(X509Certificate2 leaf)
    {
#if NET
        var names = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()).ToList();
        if (names.Count > 0)
        {
            return string.Join(", ", names);
        }
#endif
        var name = leaf.GetNameInfo(X509NameType.DnsName, false);
        return string.IsNullOrEmpty(name) ? leaf.Subject : name;
    }

    /// <summary>Buffered reading of an HTTP/1.1 response with hard limits.</summary>
    private sealed class ResponseReader
    {
        private readonly Stream stream;
        private readonly byte[] buffer = new byte[8192];
        private int start;
        private int end;
        private int headerBytes;

        public ResponseReader(Stream stream)
        {
            this.stream = stream;
        }

        /// <summary>Reads a line (without CRLF or LF); <see langword="null"/> at end of stream.</summary>
        public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            var line = new StringBuilder();
            while (true)
            {
                if (start == end && !await FillAsync(cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }

                var b = buffer[start++];
                if (++headerBytes > MaxHeaderBytes)
                {
                    throw new IOException("the response header is larger than " + MaxHeaderBytes + " bytes");
                }

                if (b == (byte)'\n')
                {
                    if (line.Length > 0 && line[line.Length - 1] == '\r')
                    {
                        line.Length--;
                    }

                    return line.ToString();
                }

                line.Append((char)b);
            }
        }

        /// <summary>Reads exactly <paramref name="count"/> bytes; <see langword="null"/> if the stream ends first.</summary>
        public async Task<byte[]?> ReadExactAsync(int count, CancellationToken cancellationToken)
        {
            var result = new byte[count];
            var done = 0;
            while (done < count)
            {
                if (start == end && !await FillAsync(cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }

                var n = Math.Min(count - done, end - start);
                Buffer.BlockCopy(buffer, start, result, done, n);
                start += n;
                done += n;
            }

            return result;
        }

        /// <summary>Reads to the end of the stream; <see langword="null"/> when more than <paramref name="max"/> bytes come.</summary>
        public async Task<byte[]?> ReadToEndAsync(int max, CancellationToken cancellationToken)
        {
            using var result = new MemoryStream();
            while (true)
            {
                if (start == end && !await FillAsync(cancellationToken).ConfigureAwait(false))
                {
                    return result.ToArray();
                }

                if (result.Length + (end - start) > max)
                {
                    return null;
                }

                result.Write(buffer, start, end - start);
                start = end;
            }
        }

        /// <summary>Decodes a chunked body; <see langword="null"/> when it is larger than <paramref name="max"/> bytes.</summary>
        public async Task<byte[]?> ReadChunkedAsync(int max, CancellationToken cancellationToken)
        {
            using var result = new MemoryStream();
            while (true)
            {
                headerBytes = 0;
                var sizeLine = await ReadLineAsync(cancellationToken).ConfigureAwait(false) ?? throw new IOException("the connection closed inside a chunked body");
                var sizeText = sizeLine.Split(';')[0].Trim();
                if (sizeText.Length is 0 or > 8 || !int.TryParse(sizeText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size) || size < 0)
                {
                    throw new IOException("invalid chunk size '" + sizeText + "'");
                }

                if (size == 0)
                {
                    return result.ToArray();
                }

                if (result.Length + size > max)
                {
                    return null;
                }

                var chunk = await ReadExactAsync(size, cancellationToken).ConfigureAwait(false) ?? throw new IOException("the connection closed inside a chunk");
                result.Write(chunk, 0, chunk.Length);
                await ReadLineAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        private async Task<bool> FillAsync(CancellationToken cancellationToken)
        {
            start = 0;
            end = await stream.ReadAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false);
            return end > 0;
        }
    }
}
