using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Relay;
using LinkSecure.TestSupport.Network;
using LinkSecure.TestSupport.Probing;
using Xunit;

namespace LinkSecure.TestSupport.Relay;

/// <summary>
/// The whole relay chain on loopback (docs/relay.md): a signed zone served by NSD and validated by unbound on
/// 127.0.0.53:53; eight test SMTP servers on port 25 of 127.0.0.21 to .27 and .29; an MTA-STS policy host on 127.0.0.28:443;
/// <c>linksecure policy-server</c> as a child process of the built CLI (<c>linksecure.dll</c> next to the test assembly, so
/// the test project references LinkSecure.Cli); and a private Postfix instance configured by
/// <see cref="PostfixRelayConfig"/>, started in its own mount namespace whose /etc/resolv.conf names only the
/// validating unbound (with <c>trust-ad</c>, so glibc passes the AD bit to Postfix's DANE code). Needs root, ports 25,
/// 53 and 443 free on those addresses, and the Debian packages postfix, unbound, nsd, bind9-utils and util-linux
/// (unshare).
/// </summary>
/// <remarks>
/// The domains: <c>dane-good</c> (MX mx-a, a matching TLSA 3 1 1 of its self-signed certificate), <c>dane-bad</c>
/// (MX mx-b, a TLSA that matches nothing), <c>pinned</c> (MX mx-c, a test-CA certificate for mx-c's name, pinned by a
/// configuration override), <c>plain</c> (MX mx-d, a test-CA certificate for a name that is neither the domain nor
/// the MX), <c>sts</c> (MTA-STS enforce naming mx-e, whose test-CA certificate is for its name), <c>sts-bad</c>
/// (MTA-STS enforce naming mx-f, whose test-CA certificate is for another name) and <c>sender</c> (MX exchange, a test
/// "Exchange" at 127.0.0.27 that accepts the relay's DSNs) and <c>org</c>, the organisation (public MX mx-d, whose
/// certificate is not valid for the domain; its Exchange server exch1.org at 127.0.0.29 has a certificate for
/// <c>mail.org</c> only, and the relay's return route sends the organisation's mail there). mx-a refuses every recipient whose local part starts with
/// <c>unknown-</c> with 550 5.1.1. The MTA-STS policy hosts resolve to 127.0.0.28, where a
/// <see cref="TestPolicyServer"/> listens on port 443.
/// </remarks>
public sealed class RelayEndToEndFixture : IAsyncLifetime
{
    /// <summary>The signed test zone.</summary>
    public const string Zone = "relay-e2e.example";

    /// <summary>The local-part prefix of recipients mx-a refuses with 550 5.1.1.</summary>
    public const string UnknownUserPrefix = "unknown-";

    /// <summary>The address of the validating resolver: the one Postfix's resolv.conf names.</summary>
    public static readonly IPEndPoint ResolverEndpoint = new(IPAddress.Parse("127.0.0.53"), 53);

    private const string PostfixCommand = "/usr/sbin/postfix";
    private const string PostqueueCommand = "/usr/sbin/postqueue";
    private const string PostconfCommand = "/usr/sbin/postconf";
    private const string UnshareCommand = "/usr/bin/unshare";
    private const string PolicyHostAddress = "127.0.0.28";
    private const string ResolvConf = "nameserver 127.0.0.53\noptions edns0 trust-ad\n";

    private readonly TestCertificateAuthority ca = new("LinkSecure Relay Test CA");
    private readonly Dictionary<string, TestSmtpServer> exchangers = new(StringComparer.Ordinal);
    private readonly StringBuilder policyServerLog = new();
    private readonly List<X509Certificate2> certificates = new();
    private SignedZoneResolver? resolver;
    private TestPolicyServer? stsPolicies;
    private Process? policyServer;
    private bool postfixStarted;

    /// <summary>Gets the temporary folder of the policy server's configuration and the relay instance.</summary>
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "linksecure-relay-e2e-" + Guid.NewGuid().ToString("N").Substring(0, 12));

    /// <summary>Gets the port the relay's smtpd listens on (127.0.0.1).</summary>
    public int RelayPort { get; private set; }

    /// <summary>Gets the policy server's socketmap port (127.0.0.1).</summary>
    public int SocketmapPort { get; private set; }

    /// <summary>Gets the test MX servers by their first label: mx-a to mx-f, exchange (the sender's domain) and
    /// exchange-org (the organisation's Exchange behind the return route).</summary>
    public IReadOnlyDictionary<string, TestSmtpServer> Exchangers => exchangers;

    private string ConfigDirectory => Path.Combine(Directory, "etc");

    private string QueueDirectory => Path.Combine(Directory, "queue");

    private string ResolvConfFile => Path.Combine(Directory, "resolv.conf");

    /// <summary>Gets the relay's maillog, the policy server's output and the resolver's logs, for failure messages.</summary>
    public string Diagnostics()
    {
        var maillog = Path.Combine(Directory, "maillog");
        string server;
        lock (policyServerLog)
        {
            server = policyServerLog.ToString();
        }

        return "--- relay maillog\n" + (File.Exists(maillog) ? File.ReadAllText(maillog) : "(none)") +
            "\n--- policy server\n" + server + "\n--- resolver\n" + (resolver?.Log ?? "(not started)");
    }

    /// <summary>Gets what the policy server wrote so far (with <c>--log-lookups</c>, every lookup and its answer).</summary>
    public string PolicyServerLog()
    {
        lock (policyServerLog)
        {
            return policyServerLog.ToString();
        }
    }

    /// <summary>Gets the relay's maillog (empty before the first line).</summary>
    public string MailLog()
    {
        var maillog = Path.Combine(Directory, "maillog");
        return File.Exists(maillog) ? File.ReadAllText(maillog) : string.Empty;
    }

    /// <summary>Lists the relay's queue (<c>postqueue -p</c>).</summary>
    public string Queue() => Run(PostqueueCommand, "-c", ConfigDirectory, "-p");

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        RequireTools();
        System.IO.Directory.CreateDirectory(Directory);
        try
        {
            await StartExchangersAndZoneAsync();
            StartPolicyServer();
            await WaitForPolicyServerAsync();
            StartRelay();
            await WaitForPortAsync(IPAddress.Loopback, RelayPort, "the relay's smtpd");
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>Submits one message to the relay (STARTTLS, as the relay requires) and returns once the relay has
    /// queued it (250 to the data).</summary>
    /// <param name="recipient">The envelope recipient.</param>
    /// <param name="marker">A unique text placed in the subject and body, to find the message at the MX.</param>
    /// <param name="cancellationToken">Bounds the submission.</param>
    public Task SubmitAsync(string recipient, string marker, CancellationToken cancellationToken) =>
        SubmitAsync("sender@exchange.test", recipient, marker, cancellationToken);

    /// <summary>Submits one message from a given envelope sender (where the relay sends its DSNs) and returns once the
    /// relay has queued it.</summary>
    /// <param name="sender">The envelope sender and From address.</param>
    /// <param name="recipient">The envelope recipient.</param>
    /// <param name="marker">A unique text placed in the subject and body.</param>
    /// <param name="cancellationToken">Bounds the submission.</param>
    public async Task SubmitAsync(string sender, string recipient, string marker, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, RelayPort, cancellationToken);
        var session = new SubmissionSession(client.GetStream(), cancellationToken);
        await session.ExpectAsync("220");
        await session.CommandAsync("EHLO exchange.test", "250");
        await session.CommandAsync("STARTTLS", "220");
        await session.StartTlsAsync(ca.Root);
        await session.CommandAsync("EHLO exchange.test", "250");
        await session.CommandAsync("MAIL FROM:<" + sender + ">", "250");
        await session.CommandAsync("RCPT TO:<" + recipient + ">", "250");
        await session.CommandAsync("DATA", "354");
        await session.CommandAsync(
            "From: <" + sender + ">\r\nTo: <" + recipient + ">\r\nSubject: " + marker + "\r\n\r\n" + marker + "\r\n.",
            "250");
        await session.CommandAsync("QUIT", "221");
    }

    /// <inheritdoc />
    public Task DisposeAsync()
    {
        if (postfixStarted)
        {
            postfixStarted = false;
            try
            {
                RunInNamespace("stop");
            }
            catch (InvalidOperationException)
            {
            }
        }

        if (policyServer is not null)
        {
            try
            {
                if (!policyServer.HasExited)
                {
                    policyServer.Kill(entireProcessTree: true);
                    policyServer.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
            }

            policyServer.Dispose();
            policyServer = null;
        }

        foreach (var server in exchangers.Values)
        {
            server.Dispose();
        }

        exchangers.Clear();
        var stopPolicies = stsPolicies?.DisposeAsync() ?? ValueTask.CompletedTask;
        stsPolicies = null;
        foreach (var certificate in certificates)
        {
            certificate.Dispose();
        }

        certificates.Clear();
        var stopResolver = resolver?.DisposeAsync() ?? ValueTask.CompletedTask;
        resolver = null;
        ca.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return Task.WhenAll(stopResolver.AsTask(), stopPolicies.AsTask());
    }

    private static void RequireTools()
    {
        if (PostfixServer.Unavailable() is { } why)
        {
            throw new InvalidOperationException("The relay test cannot start Postfix: " + why);
        }

        if (!File.Exists(UnshareCommand))
        {
            throw new InvalidOperationException("The relay test needs " + UnshareCommand + " for a private mount namespace. Install the Debian package: apt-get install -y util-linux");
        }

        if (!File.Exists(CliAssembly))
        {
            throw new InvalidOperationException("The relay test runs the built CLI, " + CliAssembly + ", which is missing: the test project must reference src/LinkSecure.Cli.");
        }
    }

    private static string CliAssembly => Path.Combine(AppContext.BaseDirectory, "linksecure.dll");

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    /// <summary>The TLSA 3 1 1 data of a certificate: SHA-256 of its SubjectPublicKeyInfo (RFC 6698 §2.1, RFC 7218).</summary>
    private static string Tlsa311(X509Certificate2 certificate) =>
        Convert.ToHexString(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));

    private static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    private static string Run(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException(file + " " + string.Join(' ', arguments) + " did not finish within 30 s");
        }

        var text = output.Result + error.Result;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(file + " " + string.Join(' ', arguments) + " failed with exit code " + process.ExitCode + ": " + text);
        }

        return text;
    }

    private static async Task WaitForPortAsync(IPAddress address, int port, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(address, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            catch (SocketException ex)
            {
                throw new InvalidOperationException(what + " did not listen on " + address + ":" + port + " within 20 s: " + ex.Message);
            }
        }
    }

    private async Task StartExchangersAndZoneAsync()
    {
        // The servers keep their certificates until DisposeAsync.
        var daneGood = Keep(SelfSigned("mx-a." + Zone));
        var unrelated = Keep(SelfSigned("unrelated." + Zone));
        Func<string, bool> unknownUser = recipient => recipient.StartsWith("<" + UnknownUserPrefix, StringComparison.Ordinal);
        var servers = new (string Key, string Host, int Octet, X509Certificate2 Certificate, Func<string, bool>? Reject)[]
        {
            ("mx-a", "mx-a", 21, daneGood, unknownUser),
            ("mx-b", "mx-b", 22, Keep(SelfSigned("mx-b." + Zone)), null),
            ("mx-c", "mx-c", 23, Keep(ca.Issue("mx-c." + Zone)), null),
            ("mx-d", "mx-d", 24, Keep(ca.Issue("other-name.invalid")), null),
            ("mx-e", "mx-e.sts", 25, Keep(ca.Issue("mx-e.sts." + Zone)), null),
            ("mx-f", "mx-f.sts-bad", 26, Keep(ca.Issue("mx-other.sts-bad." + Zone)), null),

            // Postfix's "secure" default (match=nexthop:dot-nexthop) needs the sender's domain on the certificate.
            ("exchange", "exchange.sender", 27, Keep(ca.Issue(new[] { "exchange.sender." + Zone, "sender." + Zone })), null),

            // The organisation's Exchange: a certificate for neither the domain nor its host name, only the return route's.
            ("exchange-org", "exch1.org", 29, Keep(ca.Issue("mail.org." + Zone)), null),
        };

        var records = new List<string>
        {
            "dane-good IN MX 10 mx-a",
            "dane-bad IN MX 10 mx-b",
            "pinned IN MX 10 mx-c",
            "plain IN MX 10 mx-d",
            "_25._tcp.mx-a IN TLSA 3 1 1 " + Tlsa311(daneGood),
            "_25._tcp.mx-b IN TLSA 3 1 1 " + Tlsa311(unrelated),
            "sender IN MX 10 exchange.sender",
            "org IN MX 10 mx-d",
        };

        // RFC 8461 §3.1 and §3.3: the policy indicator TXT record and the policy host, both at the policy domain.
        stsPolicies = await TestPolicyServer.StartAsync(ca, new IPEndPoint(IPAddress.Parse(PolicyHostAddress), 443));
        foreach (var (domain, mx) in new[] { ("sts", "mx-e.sts"), ("sts-bad", "mx-f.sts-bad") })
        {
            records.Add(domain + " IN MX 10 " + mx);
            records.Add("_mta-sts." + domain + " IN TXT \"v=STSv1; id=1\"");
            records.Add("mta-sts." + domain + " IN A " + PolicyHostAddress);
            stsPolicies.Serve("mta-sts." + domain + "." + Zone, PolicyResponse.Policy("enforce", 86400, mx + "." + Zone));
        }

        foreach (var (key, host, octet, certificate, reject) in servers)
        {
            records.Add(host + " IN A 127.0.0." + octet);
            var endpoint = new IPEndPoint(IPAddress.Parse("127.0.0." + octet), 25);
            try
            {
                exchangers[key] = TestSmtpServer.Start(
                    new SmtpBehaviour { HostName = host + "." + Zone, Banner = "220 " + host + "." + Zone + " ESMTP test MX", Certificate = certificate, AcceptMail = true, RejectRecipient = reject },
                    endpoint);
            }
            catch (SocketException ex)
            {
                throw new InvalidOperationException("The test MX " + key + " cannot listen on " + endpoint + " (is another MTA bound to port 25 on all addresses?): " + ex.Message, ex);
            }
        }

        resolver = await SignedZoneResolver.StartAsync(Zone, records, ResolverEndpoint);
    }

    private X509Certificate2 Keep(X509Certificate2 certificate)
    {
        certificates.Add(certificate);
        return certificate;
    }

    private string WritePolicyConfiguration()
    {
        var caFile = ca.WritePem(Directory);
        var resolverAddress = ResolverEndpoint.ToString();
        var configuration = new Dictionary<string, object>
        {
            ["overrides"] = new[]
            {
                new Dictionary<string, object> { ["domain"] = "pinned." + Zone, ["level"] = 1, ["mx"] = new[] { "mx-c." + Zone } },
            },
            ["resolver"] = new Dictionary<string, object>
            {
                ["dnsServers"] = new[] { resolverAddress },
                ["validatingDnsServers"] = new[] { resolverAddress },
                ["dnssecProbeName"] = Zone,
                ["caFiles"] = new[] { caFile },
                ["timeoutMilliseconds"] = 2000,
                ["retries"] = 1,
            },
        };
        var path = Path.Combine(Directory, "linksecure.json");
        File.WriteAllText(path, JsonSerializer.Serialize(configuration));
        return path;
    }

    private void StartPolicyServer()
    {
        SocketmapPort = FreePort();
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var info = new ProcessStartInfo(dotnet) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { CliAssembly, "policy-server", "--listen", "127.0.0.1:" + SocketmapPort, "--config", WritePolicyConfiguration(), "--log-lookups" })
        {
            info.ArgumentList.Add(argument);
        }

        policyServer = new Process { StartInfo = info };
        DataReceivedEventHandler append = (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (policyServerLog)
                {
                    policyServerLog.AppendLine(e.Data);
                }
            }
        };
        policyServer.OutputDataReceived += append;
        policyServer.ErrorDataReceived += append;
        policyServer.Start();
        policyServer.BeginOutputReadLine();
        policyServer.BeginErrorReadLine();
    }

    private async Task WaitForPolicyServerAsync()
    {
        try
        {
            await WaitForPortAsync(IPAddress.Loopback, SocketmapPort, "linksecure policy-server");
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidOperationException(ex.Message + "\n" + Diagnostics(), ex);
        }
    }

    private void StartRelay()
    {
        System.IO.Directory.CreateDirectory(ConfigDirectory);
        System.IO.Directory.CreateDirectory(QueueDirectory);
        var data = Path.Combine(Directory, "data");
        System.IO.Directory.CreateDirectory(data);
        var caPath = Path.Combine(Directory, "capath");
        System.IO.Directory.CreateDirectory(caPath);
        Run("chown", "postfix", data);
        File.WriteAllText(ResolvConfFile, ResolvConf);

        RelayPort = FreePort();
        var (certificateFile, keyFile) = ca.WriteServerPem("relay." + Zone, ConfigDirectory);
        var settings = LinkSecureSettings.Load(new MemoryStream(File.ReadAllBytes(Path.Combine(Directory, "linksecure.json"))), "relay test configuration");
        var options = new PostfixRelayConfigOptions(IPAddress.Loopback, RelayPort, "relay." + Zone, new[] { "127.0.0.1" }, certificateFile, keyFile)
        {
            SocketmapEndpoint = "inet:127.0.0.1:" + SocketmapPort,
            QueueDirectory = QueueDirectory,
            DataDirectory = data,
            CaFile = Path.Combine(Directory, "test-ca.pem"),
            CaPath = caPath,
            InstanceName = "postfix-linksecure-e2e",
            ReturnHosts = new[] { "exch1.org." + Zone },
            ReturnCertificateNames = new[] { "mail.org." + Zone },
            ReturnDomains = new[] { "org." + Zone },
        };
        var config = PostfixRelayConfig.Generate(settings, options);

        File.WriteAllText(Path.Combine(ConfigDirectory, "main.cf"), config.MainCf);
        File.WriteAllText(Path.Combine(ConfigDirectory, "master.cf"), config.MasterCf);

        // Test-only changes, made in place by postconf: a log file instead of syslog, only the loopback address (so the
        // MX addresses 127.0.0.21-27 are never "myself") and IPv4, and the DNSSEC start-up probe at the test zone, the
        // only zone the resolver validates. Everything else is the generated configuration.
        Run(PostconfCommand, "-c", ConfigDirectory, "-e",
            "maillog_file=" + Path.Combine(Directory, "maillog"),
            "maillog_file_prefixes=" + Directory,
            "inet_interfaces=127.0.0.1",
            "inet_protocols=ipv4",
            "dnssec_probe=ns:" + Zone);
        Run(PostfixCommand, "-c", ConfigDirectory, "check");

        // Set first: a start that fails half-way still gets a stop.
        postfixStarted = true;
        RunInNamespace("start");
    }

    /// <summary>Runs <c>postfix -c DIR COMMAND</c> in a new mount namespace where /etc/resolv.conf is the test's file;
    /// the master and its daemons started there keep that namespace.</summary>
    private void RunInNamespace(string command) =>
        Run(UnshareCommand, "--mount", "sh", "-c", "mount --bind \"$1\" /etc/resolv.conf && exec " + PostfixCommand + " -c \"$2\" \"$3\"", "sh", ResolvConfFile, ConfigDirectory, command);

    /// <summary>A line-oriented SMTP client session for the submission to the relay.</summary>
    private sealed class SubmissionSession
    {
        private readonly CancellationToken cancellationToken;
        private Stream stream;
        private StreamReader reader;

        public SubmissionSession(Stream stream, CancellationToken cancellationToken)
        {
            this.stream = stream;
            this.cancellationToken = cancellationToken;
            reader = new StreamReader(stream, Encoding.ASCII, false, 1, leaveOpen: true);
        }

        public async Task CommandAsync(string command, string expected)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), cancellationToken);
            await stream.FlushAsync(cancellationToken);
            await ExpectAsync(expected);
        }

        /// <summary>Reads a whole (possibly multi-line, RFC 5321 §4.2.1) reply and checks its code.</summary>
        public async Task ExpectAsync(string expected)
        {
            string? line;
            var text = new StringBuilder();
            do
            {
                line = await reader.ReadLineAsync(cancellationToken) ?? throw new IOException("The relay closed the connection; so far: " + text);
                text.AppendLine(line);
            }
            while (line.Length > 3 && line[3] == '-');

            if (!line.StartsWith(expected, StringComparison.Ordinal))
            {
                throw new IOException("The relay answered '" + text.ToString().Trim() + "', expected " + expected + ".");
            }
        }

        public async Task StartTlsAsync(X509Certificate2 root)
        {
            var ssl = new SslStream(stream, false);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "relay." + Zone,
                CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, CustomTrustStore = { root }, RevocationMode = X509RevocationMode.NoCheck },
            }, cancellationToken);
            stream = ssl;
            reader = new StreamReader(stream, Encoding.ASCII, false, 1, leaveOpen: true);
        }
    }
}
