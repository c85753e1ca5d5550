using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.RateLimiting;
using System.Threading.Tasks;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Handling;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LinkSecure.Cli.Serve;

/// <summary>
/// The HTTPS status service of <c>linksecure serve</c> on Kestrel (docs/serve.md): the status API, the add-in's files,
/// a strict Content-Security-Policy on every response, a per-client token bucket and concurrency limit on the recipient
/// queries, and a graceful stop.
/// </summary>
internal sealed class StatusServer : IAsyncDisposable
{
    /// <summary>The Windows service name <c>docs/serve.md</c> registers.</summary>
    public const string ServiceName = "LinkSecureServe";

    /// <summary>The recipient query path, the one rate-limited endpoint.</summary>
    public const string RecipientsPath = "/api/v1/recipients";

    // The longest request line: 100 addresses of 254 characters, each %-escaped, fit.
    private const int MaxRequestLineBytes = 128 * 1024;

    private readonly WebApplication app;
    private readonly StatusApi api;
    private string publicUrl = string.Empty;

    private StatusServer(WebApplication app, StatusApi api, ServeCounters counters)
    {
        this.app = app;
        this.api = api;
        Counters = counters;
    }

    /// <summary>Gets the counters.</summary>
    public ServeCounters Counters { get; }

    /// <summary>Gets the bound addresses (the actual ports).</summary>
    public IReadOnlyList<string> Urls { get; private set; } = [];

    /// <summary>Gets the public base URL (the manifest's, and the origin CORS allows), without a trailing slash.</summary>
    public string PublicUrl => publicUrl;

    /// <summary>Gets a token cancelled when the host stops on its own (a Windows service stop, SIGTERM to the host).</summary>
    public CancellationToken HostStopping => app.Lifetime.ApplicationStopping;

    /// <summary>The Content-Security-Policy of every response (docs/serve.md, "Content-Security-Policy").</summary>
    public static string ContentSecurityPolicy(IReadOnlyList<string> frameAncestors) =>
        "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors "
        + (frameAncestors.Count == 0 ? "*" : string.Join(' ', frameAncestors)) + "; object-src 'none'; base-uri 'self'";

    /// <summary>Builds and starts the service.</summary>
    /// <param name="options">The checked command-line options.</param>
    /// <param name="settings">The configuration.</param>
    /// <param name="query">The recipient query over the agent's decision stack.</param>
    /// <param name="log">Where log lines go.</param>
    /// <returns>The running service.</returns>
    /// <exception cref="IOException">An address cannot be bound.</exception>
    public static async Task<StatusServer> StartAsync(ServeOptions options, LinkSecureSettings settings, RecipientStatusQuery query, TextWriter log)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new TextWriterLoggerProvider(log));
        builder.Logging.SetMinimumLevel(LogLevel.Information);

        // ASP.NET Core's request logging names the URL, and so the addresses queried: never below Warning.
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("System", LogLevel.Warning);
        builder.Logging.AddFilter("LinkSecure", options.Verbose ? LogLevel.Debug : LogLevel.Information);
        builder.Services.AddWindowsService(o => o.ServiceName = ServiceName);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));

        var counters = new ServeCounters();
        var status = settings.Status;
        builder.Services.AddRateLimiter(limits =>
        {
            limits.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(context => IsLimited(context)
                    ? RateLimitPartition.GetTokenBucketLimiter(Client(context), _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = status.Burst,
                        TokensPerPeriod = 1,
                        ReplenishmentPeriod = TimeSpan.FromMilliseconds(Math.Max(1, 60_000 / status.RequestsPerMinute)),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    })
                    : RateLimitPartition.GetNoLimiter(string.Empty)),
                PartitionedRateLimiter.Create<HttpContext, string>(context => IsLimited(context)
                    ? RateLimitPartition.GetConcurrencyLimiter(Client(context), _ => new ConcurrencyLimiterOptions
                    {
                        PermitLimit = status.ConcurrentRequestsPerClient,
                        QueueLimit = 0,
                    })
                    : RateLimitPartition.GetNoLimiter(string.Empty)));
            limits.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limits.OnRejected = (rejected, token) =>
            {
                counters.CountRateLimited();
                var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)) : 1;
                rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return new ValueTask(StatusApi.WriteProblemAsync(rejected.HttpContext, StatusCodes.Status429TooManyRequests, "rate-limited", "Too many requests", "this client's query rate or concurrency limit is reached; retry after " + seconds.ToString(CultureInfo.InvariantCulture) + " s"));
            };
        });

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestLineSize = MaxRequestLineBytes;
            kestrel.Limits.MaxRequestBufferSize = MaxRequestLineBytes * 2;
            kestrel.Limits.MaxRequestBodySize = 0;
            foreach (var listen in options.Listen)
            {
                kestrel.Listen(listen.Address, listen.Port, endpoint =>
                {
                    endpoint.Protocols = listen.IsHttps ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1;
                    if (listen.IsHttps)
                    {
                        endpoint.UseHttps(options.Certificate!);
                    }
                });
            }
        });

        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("LinkSecure.Serve");
        var api = new StatusApi(settings, query, counters, logger);
        var server = new StatusServer(app, api, counters);
        var csp = ContentSecurityPolicy(options.FrameAncestors);
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = csp;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            if (context.Request.IsHttps)
            {
                headers.StrictTransportSecurity = "max-age=31536000";
            }

            // The classic Windows JavaScript-only runtime treats same-origin calls as cross-origin (reference §2.3):
            // the service's own origin, and only that one, is allowed.
            if (context.Request.Path.StartsWithSegments("/api/v1", StringComparison.Ordinal)
                && context.Request.Headers.Origin is { Count: 1 } origin && string.Equals(origin[0], server.PublicOrigin, StringComparison.OrdinalIgnoreCase))
            {
                headers.AccessControlAllowOrigin = origin[0];
                headers.Vary = "Origin";
            }

            return next(context);
        });
        app.UseRateLimiter();

        app.MapGet(RecipientsPath, api.RecipientsAsync);
        app.MapGet("/api/v1/policy", api.PolicyAsync);
        app.MapGet("/healthz", api.HealthAsync);
        app.MapMethods("/api/v1/{**path}", [HttpMethods.Options], (HttpContext context) =>
        {
            context.Response.Headers.AccessControlAllowMethods = "GET";
            context.Response.Headers.AccessControlAllowHeaders = "content-type";
            context.Response.Headers.AccessControlMaxAge = "600";
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        });

        var addin = new AddinFiles(options.AddinDirectory, () => server.PublicUrl);
        addin.Map(app);
        app.MapFallback((HttpContext context) => StatusApi.WriteProblemAsync(context, StatusCodes.Status404NotFound, "not-found", "Not found", "no such resource; the API is under /api/v1/ and the add-in under /addin/"));

        await app.StartAsync().ConfigureAwait(false);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        server.Urls = addresses;
        server.publicUrl = options.PublicUrl ?? DefaultPublicUrl(options.Listen[0], addresses);
        foreach (var url in addresses)
        {
            await log.WriteLineAsync("linksecure serve: listening on " + url).ConfigureAwait(false);
        }

        await log.WriteLineAsync("linksecure serve: public URL " + server.publicUrl + " (add-in manifest " + server.publicUrl + AddinFiles.RequestPath + "/" + AddinFiles.ManifestName + ")").ConfigureAwait(false);
        if (!addin.Exists)
        {
            await log.WriteLineAsync("linksecure serve: no add-in files at " + addin.Directory + ", so /addin/ answers 404; build the CLI after 'npm ci' in src/LinkSecure.Addin, or give --addin-dir (docs/serve.md).").ConfigureAwait(false);
        }

        return server;
    }

    /// <summary>Gets the scheme, host and port of <see cref="PublicUrl"/>.</summary>
    private string PublicOrigin => Uri.TryCreate(publicUrl, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : string.Empty;

    /// <summary>Stops gracefully: <c>/healthz</c> says so, new connections are refused, requests in flight finish
    /// within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        api.MarkStopping();
        using var timeout = new CancellationTokenSource(grace);
        await app.StopAsync(timeout.Token).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => app.DisposeAsync();

    private static bool IsLimited(HttpContext context) => context.Request.Path.Equals(RecipientsPath, StringComparison.Ordinal);

    /// <summary>The client a limit applies to: the remote address (behind a reverse proxy, the proxy's).</summary>
    private static string Client(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static string DefaultPublicUrl(ListenAddress first, List<string> bound)
    {
        var port = first.Port;
        if (port == 0 && bound.Count > 0 && Uri.TryCreate(bound[0].Replace("[::]", "[::1]", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal), UriKind.Absolute, out var uri))
        {
            port = uri.Port;
        }

        if (!first.IsAny)
        {
            return first.Format(port);
        }

        return (first.IsHttps ? "https://" : "http://") + Dns.GetHostName().ToLowerInvariant() + ":" + port.ToString(CultureInfo.InvariantCulture);
    }
}
