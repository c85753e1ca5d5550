using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Text.Json;
using System.Threading.Tasks;
using LinkSecure.Cli.Serve;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Database;
using LinkSecure.Core.Handling;
using LinkSecure.Core.Network;
using LinkSecure.TestSupport.Network;
using Xunit;

namespace LinkSecure.Cli.Tests.Serve;

/// <summary>The loopback DNS/HTTPS world of the network tests, configurations that point at it, and in-process
/// <c>linksecure serve</c> instances on free loopback ports.</summary>
public sealed class ServeFixture : IAsyncLifetime
{
    /// <summary>The internal domain of every configuration written here.</summary>
    public const string InternalDomain = "contoso.test";

    public NetworkFixture Network { get; } = new();

    public Task InitializeAsync() => Network.InitializeAsync();

    public Task DisposeAsync() => Network.DisposeAsync();

    /// <summary>Writes a configuration file naming the loopback DNS server, the test CA and the MTA-STS port, with
    /// <paramref name="status"/> as the members of its <c>status</c> section.</summary>
    public string WriteConfig(string status = "")
    {
        var directory = Path.Combine(Network.Directory, "serve-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "LinkSecure.config.json");
        var json = "{ \"internalDomains\": [\"" + InternalDomain + "\"], \"status\": { " + status + " }, \"resolver\": { \"dnsServers\": [\"" + Network.Dns.Address + "\"], "
            + "\"caFiles\": [" + JsonSerializer.Serialize(Network.CaFile) + "], \"httpsPort\": " + Network.Https.Port + ", \"timeoutMilliseconds\": 1500, \"retries\": 1 } }";
        File.WriteAllText(path, json);
        return path;
    }

    /// <summary>A domain with one MX at 127.0.0.1 and an MTA-STS policy in enforce mode naming it (level 1).</summary>
    public string EnforceDomain()
    {
        var domain = Network.NewDomain("enforce");
        Network.PublishMx(domain, "mx1." + domain);
        Network.PublishMtaSts(domain, "e1", PolicyResponse.Policy("enforce", 86400, "mx1." + domain));
        return domain;
    }

    /// <summary>A domain with an MX and no evidence of any level (level 0).</summary>
    public string PlainDomain()
    {
        var domain = Network.NewDomain("plain");
        Network.PublishMx(domain, "mx1." + domain);
        return domain;
    }

    /// <summary>Starts <c>serve</c> in-process over plain HTTP on 127.0.0.1 with the configuration file, built as the
    /// command builds it (configuration, known-domain database, live resolver).</summary>
    public Task<RunningServer> StartAsync(string config, string? addinDirectory = null) =>
        RunningServer.StartAsync(config, addinDirectory ?? Path.Combine(Network.Directory, "no-addin"));
}

/// <summary>An in-process <c>serve</c> and a client for it.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly NetworkProfileSource network;

    private RunningServer(StatusServer server, RecipientStatusQuery query, NetworkProfileSource network, StringWriter log)
    {
        Server = server;
        Query = query;
        this.network = network;
        Log = log;
        Client = new HttpClient { BaseAddress = new Uri(server.Urls[0]), Timeout = TimeSpan.FromSeconds(30) };
    }

    internal StatusServer Server { get; }

    internal RecipientStatusQuery Query { get; }

    public HttpClient Client { get; }

    public StringWriter Log { get; }

    internal static async Task<RunningServer> StartAsync(string config, string addinDirectory)
    {
        var settings = LinkSecureSettings.LoadFile(config);
        var database = KnownDomainDatabase.LoadConfigured(settings, Array.Empty<string>(), null);
        var network = NetworkProfileSource.Create(settings);
        var query = new RecipientStatusQuery(DecisionStack.Create(settings, database, network));
        var options = new ServeOptions { Listen = new List<ListenAddress> { ListenAddress.Parse("http://127.0.0.1:0") }, AddinDirectory = addinDirectory, Verbose = true };
        var log = new StringWriter();
        var server = await StatusServer.StartAsync(options, settings, query, TextWriter.Synchronized(log));
        return new RunningServer(server, query, network, log);
    }

    /// <summary>GET a path and parse the JSON answer.</summary>
    public async Task<(int Status, JsonElement Body, HttpResponseMessage Response)> GetJsonAsync(string path)
    {
        var response = await Client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return ((int)response.StatusCode, document.RootElement.Clone(), response);
    }

    /// <summary>GET a request target exactly as written, over a plain socket, and parse the JSON answer.</summary>
    public async Task<(int Status, string? ContentType, JsonElement Body)> RawGetAsync(string target)
    {
        var uri = new Uri(Server.Urls[0]);
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, uri.Port);
        using var stream = tcp.GetStream();
        stream.ReadTimeout = 30_000;
        var request = System.Text.Encoding.ASCII.GetBytes("GET " + target + " HTTP/1.1\r\nHost: " + uri.Authority + "\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(request);
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = text.Substring(0, split).Split("\r\n");
        var status = int.Parse(head[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var type = Array.Find(head, h => h.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))?.Substring(13).Trim().Split(';')[0];
        using var document = JsonDocument.Parse(text.Substring(split + 4));
        return (status, type, document.RootElement.Clone());
    }

    /// <summary>Queries recipients and returns the entries.</summary>
    public async Task<JsonElement[]> RecipientsAsync(string query)
    {
        var (status, body, _) = await GetJsonAsync("/api/v1/recipients?" + query);
        Assert.Equal(200, status);
        var list = new List<JsonElement>();
        foreach (var entry in body.GetProperty("recipients").EnumerateArray())
        {
            list.Add(entry);
        }

        return list.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.StopAsync(TimeSpan.FromSeconds(5));
        await Server.DisposeAsync();
        network.Dispose();
    }
}

[CollectionDefinition("serve")]
public sealed class ServeCollection : ICollectionFixture<ServeFixture>
{
}
