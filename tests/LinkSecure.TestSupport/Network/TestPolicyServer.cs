using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;

namespace LinkSecure.TestSupport.Network;

/// <summary>What the policy server answers for one host.</summary>
public sealed class PolicyResponse
{
    public int Status { get; init; } = 200;

    public string? ContentType { get; init; } = "text/plain";

    public string Body { get; init; } = string.Empty;

    public string? Location { get; init; }

    /// <summary>Gets a delay between body bytes (a server that trickles).</summary>
    public TimeSpan TrickleDelay { get; init; }

    /// <summary>Gets a value indicating whether the body is sent without Content-Length (chunked).</summary>
    public bool Chunked { get; init; }

    public static PolicyResponse Policy(string mode, long maxAge, params string[] mx) => new()
    {
        Body = "version: STSv1\r\nmode: " + mode + "\r\n" + string.Concat(mx.Select(m => "mx: " + m + "\r\n")) + "max_age: " + maxAge + "\r\n",
    };
}

/// <summary>
/// A real HTTPS server (Kestrel) on 127.0.0.1 and a free port (or a given address and port) that serves MTA-STS policies per host name, with a
/// certificate per SNI name issued by the test CA, or one the test sets (wrong name, expired).
/// </summary>
public sealed class TestPolicyServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, PolicyResponse> responses = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, X509Certificate2> certificates = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, int> requests = new(StringComparer.OrdinalIgnoreCase);
    private readonly TestCertificateAuthority ca;
    private WebApplication? app;

    private TestPolicyServer(TestCertificateAuthority ca)
    {
        this.ca = ca;
    }

    public int Port { get; private set; }

    /// <summary>Gets or sets a delay before every response (benchmarks).</summary>
    public TimeSpan Delay { get; set; }

    public static Task<TestPolicyServer> StartAsync(TestCertificateAuthority ca) => StartAsync(ca, new IPEndPoint(IPAddress.Loopback, 0));

    /// <summary>Starts the server on a given address and port (port 443 of a loopback address, for a client that
    /// connects to the policy host's A record on the standard port, RFC 8461 §3.3).</summary>
    /// <param name="ca">Issues the certificate for each SNI name.</param>
    /// <param name="endpoint">The address and port to listen on; port 0 picks a free one.</param>
    public static async Task<TestPolicyServer> StartAsync(TestCertificateAuthority ca, IPEndPoint endpoint)
    {
        var server = new TestPolicyServer(ca);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(options =>
        {
            options.Listen(endpoint, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificateSelector = (_, name) => server.CertificateFor(name ?? "localhost"),
            }));
        });
        server.app = builder.Build();
        server.app.Run(server.HandleAsync);
        await server.app.StartAsync();
        var address = server.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Port = new Uri(address).Port;
        return server;
    }

    public void Serve(string host, PolicyResponse response) => responses[host] = response;

    public void UseCertificate(string host, X509Certificate2 certificate) => certificates[host] = certificate;

    public int RequestCount(string host) => requests.TryGetValue(host, out var n) ? n : 0;

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private X509Certificate2 CertificateFor(string host) => certificates.GetOrAdd(host, h => ca.Issue(h));

    private async Task HandleAsync(HttpContext context)
    {
        var host = context.Request.Host.Host;
        requests.AddOrUpdate(host, 1, (_, n) => n + 1);
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay);
        }

        if (context.Request.Path != "/.well-known/mta-sts.txt" || !responses.TryGetValue(host, out var response))
        {
            context.Response.StatusCode = 404;
            return;
        }

        context.Response.StatusCode = response.Status;
        if (response.ContentType is not null)
        {
            context.Response.ContentType = response.ContentType;
        }

        if (response.Location is not null)
        {
            context.Response.Headers.Location = response.Location;
        }

        var body = Encoding.UTF8.GetBytes(response.Body);
        if (response.TrickleDelay > TimeSpan.Zero)
        {
            foreach (var b in body)
            {
                await context.Response.Body.WriteAsync(new[] { b }, context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(response.TrickleDelay, context.RequestAborted);
            }

            return;
        }

        if (!response.Chunked)
        {
            context.Response.ContentLength = body.Length;
        }

        await context.Response.Body.WriteAsync(body, CancellationToken.None);
    }
}
