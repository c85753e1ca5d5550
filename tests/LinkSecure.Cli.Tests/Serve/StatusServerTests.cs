using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading.Tasks;
using LinkSecure.TestSupport.Network;
using Xunit;

namespace LinkSecure.Cli.Tests.Serve;

/// <summary>The HTTP surface of <c>linksecure serve</c>: bad input, limits, headers, the add-in's files, health.</summary>
[Collection("serve")]
public sealed class StatusServerTests
{
    private const string Csp = "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors *; object-src 'none'; base-uri 'self'";

    private readonly ServeFixture fixture;

    public StatusServerTests(ServeFixture fixture)
    {
        this.fixture = fixture;
    }

    [Theory]
    [InlineData("address=a%40b.test", "invalid-level")]
    [InlineData("level=5&address=a%40b.test", "invalid-level")]
    [InlineData("level=x&address=a%40b.test", "invalid-level")]
    [InlineData("level=1&level=2&address=a%40b.test", "invalid-query")]
    [InlineData("level=1", "no-address")]
    [InlineData("level=1&fallback=drop&address=a%40b.test", "invalid-fallback")]
    [InlineData("level=1&address=a%40b%FF.test", "invalid-query")]
    [InlineData("level=1&address=a%40b%C3.test", "invalid-query")]
    [InlineData("level=1&address=a%4", "invalid-query")]
    [InlineData("level=1&address=%zz", "invalid-query")]
    public async Task MalformedQuery_Is400ProblemJson_AndTheServerStaysUp(string query, string problem)
    {
        // Arrange
        await using var server = await fixture.StartAsync(fixture.WriteConfig());

        // Act: sent as written (HttpClient would re-escape a malformed %-escape).
        var (status, contentType, body) = await server.RawGetAsync("/api/v1/recipients?" + query);
        var (health, _, _) = await server.GetJsonAsync("/healthz");

        // Assert
        Assert.Equal(400, status);
        Assert.Equal("application/problem+json", contentType);
        Assert.Equal("urn:linksecure:problem:" + problem, body.GetProperty("type").GetString());
        Assert.Equal(400, body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(body.GetProperty("detail").GetString()));
        Assert.Equal(200, health);
    }

    [Fact]
    public async Task TenKilobyteAddress_Is400_AndTheServerStaysUp()
    {
        // Arrange
        await using var server = await fixture.StartAsync(fixture.WriteConfig());

        // Act
        var (status, body, _) = await server.GetJsonAsync("/api/v1/recipients?level=1&address=" + new string('a', 10 * 1024) + "%40b.test");
        var entries = await server.RecipientsAsync("level=0&address=a%40b.test");

        // Assert
        Assert.Equal(400, status);
        Assert.Contains("10247 characters", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Single(entries);
    }

    [Fact]
    public async Task BatchLimit_100Answered_101Refused()
    {
        // Arrange
        await using var server = await fixture.StartAsync(fixture.WriteConfig());
        string Query(int n) => "level=0" + string.Concat(Enumerable.Range(0, n).Select(i => "&address=u" + i + "%40b.test"));

        // Act
        var hundred = await server.RecipientsAsync(Query(100));
        var (status, body, _) = await server.GetJsonAsync("/api/v1/recipients?" + Query(101));

        // Assert
        Assert.Equal(100, hundred.Length);
        Assert.Equal(400, status);
        Assert.Equal("urn:linksecure:problem:batch-too-large", body.GetProperty("type").GetString());
    }

    [Fact]
    public async Task ConfiguredBatchLimit_Applies()
    {
        // Arrange
        await using var server = await fixture.StartAsync(fixture.WriteConfig("\"maxBatch\": 2"));

        // Act
        var (status, _, _) = await server.GetJsonAsync("/api/v1/recipients?level=0&address=a%40b.test&address=b%40b.test&address=c%40b.test");
        var (_, policy, _) = await server.GetJsonAsync("/api/v1/policy");

        // Assert
        Assert.Equal(400, status);
        Assert.Equal(2, policy.GetProperty("maxBatch").GetInt32());
    }

    [Fact]
    public async Task RateLimit_Is429WithRetryAfter_PerClient_AndOtherEndpointsAreNotLimited()
    {
        // Arrange: two queries at once, then one a minute.
        await using var server = await fixture.StartAsync(fixture.WriteConfig("\"burst\": 2, \"requestsPerMinute\": 1"));
        const string Path = "/api/v1/recipients?level=0&address=a%40b.test";

        // Act
        var first = await server.Client.GetAsync(Path);
        var second = await server.Client.GetAsync(Path);
        var third = await server.Client.GetAsync(Path);
        var health = await server.Client.GetAsync("/healthz");

        // Assert
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal("application/problem+json", third.Content.Headers.ContentType!.MediaType);
        Assert.True(third.Headers.RetryAfter!.Delta!.Value.TotalSeconds >= 1);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(1, server.Server.Counters.RateLimited);
    }

    [Fact]
    public async Task ConcurrencyLimit_ASecondQueryWhileTheFirstRuns_Is429()
    {
        // Arrange: one query at a time per client; the first waits for a lookup the DNS server never answers.
        var slow = fixture.Network.NewDomain("held");
        fixture.Network.Dns.SetFault(slow, DnsFault.Timeout);
        await using var server = await fixture.StartAsync(fixture.WriteConfig("\"concurrentRequestsPerClient\": 1, \"budgetMilliseconds\": 10000"));
        var first = server.Client.GetAsync("/api/v1/recipients?level=1&address=a%40" + slow);
        using (var guard = new System.Threading.CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (server.Query.LookupsRunning == 0 && !first.IsCompleted)
            {
                await Task.Delay(10, guard.Token);
            }
        }

        // Act
        var second = await server.Client.GetAsync("/api/v1/recipients?level=0&address=b%40b.test");
        var firstResponse = await first;

        // Assert
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal(HttpStatusCode.OK, firstResponse.StatusCode);
    }

    [Fact]
    public async Task EveryResponse_CarriesTheStrictCsp_AndNoSniff()
    {
        // Arrange
        await using var server = await fixture.StartAsync(fixture.WriteConfig());

        // Act
        var responses = new[]
        {
            await server.Client.GetAsync("/healthz"),
            await server.Client.GetAsync("/api/v1/policy"),
            await server.Client.GetAsync("/api/v1/recipients?level=9"),
            await server.Client.GetAsync("/no/such/path"),
            await server.Client.GetAsync("/addin/taskpane.html"),
        };

        // Assert
        Assert.All(responses, r => Assert.Equal(Csp, r.Headers.GetValues("Content-Security-Policy").Single()));
        Assert.All(responses, r => Assert.Equal("nosniff", r.Headers.GetValues("X-Content-Type-Options").Single()));
        Assert.Equal(HttpStatusCode.NotFound, responses[3].StatusCode);
        Assert.Equal("application/problem+json", responses[3].Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task RecipientAnswers_AreNotCached()
    {
        // Arrange
        await using var server = await fixture.StartAsync(fixture.WriteConfig());

        // Act
        var response = await server.Client.GetAsync("/api/v1/recipients?level=0&address=a%40b.test");

        // Assert
        Assert.True(response.Headers.CacheControl!.NoStore);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Policy_FromTheStatusSection()
    {
        // Arrange
        await using var server = await fixture.StartAsync(fixture.WriteConfig("\"defaultLevel\": 2, \"defaultFallback\": \"safe-part\", \"labelRules\": [ { \"label\": \"Confidential\", \"level\": 3, \"fallback\": \"bounce\" } ]"));

        // Act
        var (status, policy, _) = await server.GetJsonAsync("/api/v1/policy");

        // Assert
        Assert.Equal(200, status);
        Assert.Equal(1, policy.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("Link-Security", policy.GetProperty("headerName").GetString());
        Assert.Equal("Link-Security-Subject", policy.GetProperty("subjectHeaderName").GetString());
        Assert.Equal(2, policy.GetProperty("defaultLevel").GetInt32());
        Assert.Equal("safe-part", policy.GetProperty("defaultFallback").GetString());
        Assert.Equal(new[] { 1, 2, 3, 4 }, policy.GetProperty("levels").EnumerateArray().Select(l => l.GetInt32()));
        Assert.Equal(new[] { ServeFixture.InternalDomain }, policy.GetProperty("internalDomains").EnumerateArray().Select(d => d.GetString()));
        var rule = policy.GetProperty("labelRules").EnumerateArray().Single();
        Assert.Equal("Confidential", rule.GetProperty("label").GetString());
        Assert.Equal(3, rule.GetProperty("level").GetInt32());
        Assert.Equal("bounce", rule.GetProperty("fallback").GetString());
        Assert.Equal(100, policy.GetProperty("maxBatch").GetInt32());
        Assert.Equal(2, policy.GetProperty("pollAfterSeconds").GetInt32());
    }

    [Fact]
    public async Task DefaultFallback_AppliesWhenTheQueryNamesNone()
    {
        // Arrange
        var domain = fixture.PlainDomain();
        await using var server = await fixture.StartAsync(fixture.WriteConfig("\"defaultFallback\": \"safe-part\""));

        // Act
        var (_, body, _) = await server.GetJsonAsync("/api/v1/recipients?level=1&address=a%40" + domain);

        // Assert
        Assert.Equal("safe-part", body.GetProperty("fallback").GetString());
        Assert.Equal("Downgrade", body.GetProperty("recipients")[0].GetProperty("decision").GetString());
    }

    [Fact]
    public async Task Healthz_IsOk()
    {
        // Arrange
        await using var server = await fixture.StartAsync(fixture.WriteConfig());

        // Act
        var (status, body, _) = await server.GetJsonAsync("/healthz");

        // Assert
        Assert.Equal(200, status);
        Assert.Equal("ok", body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task AddinFiles_ManifestTemplated_ScriptsWithTheirMimeTypes_OfficeJsUnchanged()
    {
        // Arrange: an add-in folder as the build lays it out (web/ and office-js dist/ together).
        var addin = Path.Combine(fixture.Network.Directory, "addin-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        Directory.CreateDirectory(Path.Combine(addin, "css"));
        await File.WriteAllTextAsync(Path.Combine(addin, "manifest.xml"), "<OfficeApp><SourceLocation DefaultValue=\"__LINKSECURE_BASE_URL__/addin/taskpane.html\"/><IconUrl DefaultValue=\"__LINKSECURE_BASE_URL__/addin/icon.png\"/></OfficeApp>");
        await File.WriteAllTextAsync(Path.Combine(addin, "launchevent.js"), "const CONFIGURED_BASE_URL = \"__LINKSECURE_BASE_URL__\";");
        var office = "/* office.js __LINKSECURE_BASE_URL__ must stay as it is */\r\nvar Office = {};\n";
        await File.WriteAllTextAsync(Path.Combine(addin, "office.js"), office);
        await File.WriteAllTextAsync(Path.Combine(addin, "taskpane.html"), "<!doctype html><title>t</title>");
        await File.WriteAllTextAsync(Path.Combine(addin, "css", "taskpane.css"), "body{}");
        await File.WriteAllBytesAsync(Path.Combine(addin, "icon.png"), new byte[] { 0x89, 0x50, 0x4E, 0x47 });
        await using var server = await fixture.StartAsync(fixture.WriteConfig(), addin);
        var baseUrl = server.Server.PublicUrl;

        // Act
        var manifest = await server.Client.GetAsync("/addin/manifest.xml");
        var launch = await server.Client.GetAsync("/addin/launchevent.js");
        var officeJs = await server.Client.GetAsync("/addin/office.js");
        var html = await server.Client.GetAsync("/addin/taskpane.html");
        var css = await server.Client.GetAsync("/addin/css/taskpane.css");
        var png = await server.Client.GetAsync("/addin/icon.png");
        var traversal = await server.Client.GetAsync("/addin/%2e%2e/%2e%2e/etc/passwd");
        var allowed = await server.GetJsonAsync("/.well-known/microsoft-officeaddins-allowed.json");

        // Assert
        Assert.Equal("<OfficeApp><SourceLocation DefaultValue=\"" + baseUrl + "/addin/taskpane.html\"/><IconUrl DefaultValue=\"" + baseUrl + "/addin/icon.png\"/></OfficeApp>", await manifest.Content.ReadAsStringAsync());
        Assert.Equal("application/xml", manifest.Content.Headers.ContentType!.MediaType);
        Assert.Equal("const CONFIGURED_BASE_URL = \"" + baseUrl + "\";", await launch.Content.ReadAsStringAsync());
        Assert.Equal(Encoding.UTF8.GetBytes(office), await officeJs.Content.ReadAsByteArrayAsync());
        Assert.Equal("text/javascript", officeJs.Content.Headers.ContentType!.MediaType);
        Assert.Equal("text/html", html.Content.Headers.ContentType!.MediaType);
        Assert.Equal("text/css", css.Content.Headers.ContentType!.MediaType);
        Assert.Equal("image/png", png.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, traversal.StatusCode);
        Assert.Equal(baseUrl + "/addin/launchevent.js", allowed.Body.GetProperty("allowed")[0].GetString());
        Assert.StartsWith("http://127.0.0.1:", baseUrl, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoAddinFiles_404WithALogLine()
    {
        // Arrange
        await using var server = await fixture.StartAsync(fixture.WriteConfig());

        // Act
        var (status, body, _) = await server.GetJsonAsync("/addin/manifest.xml");
        var (other, _, _) = await server.GetJsonAsync("/addin/taskpane.html");

        // Assert
        Assert.Equal(404, status);
        Assert.Equal(404, other);
        Assert.Equal("urn:linksecure:problem:addin-not-installed", body.GetProperty("type").GetString());
        Assert.Contains("no add-in files at", server.Log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cors_OnlyTheServiceOwnOrigin_AndPreflightAnswered()
    {
        // Arrange
        await using var server = await fixture.StartAsync(fixture.WriteConfig());
        using var own = new HttpRequestMessage(HttpMethod.Get, "/api/v1/policy");
        own.Headers.Add("Origin", server.Server.PublicUrl);
        using var foreign = new HttpRequestMessage(HttpMethod.Get, "/api/v1/policy");
        foreign.Headers.Add("Origin", "https://evil.example");
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/v1/recipients");
        preflight.Headers.Add("Origin", server.Server.PublicUrl);

        // Act
        var ownResponse = await server.Client.SendAsync(own);
        var foreignResponse = await server.Client.SendAsync(foreign);
        var preflightResponse = await server.Client.SendAsync(preflight);

        // Assert
        Assert.Equal(server.Server.PublicUrl, ownResponse.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.False(foreignResponse.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal(HttpStatusCode.NoContent, preflightResponse.StatusCode);
        Assert.Equal("GET", preflightResponse.Headers.GetValues("Access-Control-Allow-Methods").Single());
    }
}
