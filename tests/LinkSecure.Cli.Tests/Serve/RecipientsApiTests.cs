using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using LinkSecure.TestSupport.Network;
using Xunit;

namespace LinkSecure.Cli.Tests.Serve;

/// <summary><c>GET /api/v1/recipients</c> against the loopback DNS/HTTPS world: the agent's decisions, and the same
/// answers as <c>linksecure explain</c>.</summary>
[Collection("serve")]
public sealed class RecipientsApiTests
{
    private readonly ServeFixture fixture;

    public RecipientsApiTests(ServeFixture fixture)
    {
        this.fixture = fixture;
    }

    [Fact]
    public async Task MtaStsEnforceDomain_IsSecureAtLevelOne()
    {
        // Arrange
        var domain = fixture.EnforceDomain();
        await using var server = await fixture.StartAsync(fixture.WriteConfig());

        // Act
        var entry = (await server.RecipientsAsync("level=1&address=ann@" + domain)).Single();

        // Assert
        Assert.Equal("ready", entry.GetProperty("state").GetString());
        Assert.Equal(domain, entry.GetProperty("domain").GetString());
        Assert.Equal("Secure", entry.GetProperty("decision").GetString());
        Assert.Equal(1, entry.GetProperty("domainLevel").GetInt32());
        Assert.False(entry.GetProperty("internal").GetBoolean());
        Assert.Contains("MtaSts", entry.GetProperty("evidence").GetString(), StringComparison.Ordinal);
        Assert.True(entry.GetProperty("evidence").GetString()!.Length <= 200);
        Assert.True(entry.GetProperty("profileAgeSeconds").GetInt64() >= 0);
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("statusCode").ValueKind);
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task NoEvidence_BouncesWith5730_OrDowngradesWithSafePart()
    {
        // Arrange
        var domain = fixture.PlainDomain();
        await using var server = await fixture.StartAsync(fixture.WriteConfig());

        // Act
        var bounce = (await server.RecipientsAsync("level=1&address=bob@" + domain)).Single();
        var downgrade = (await server.RecipientsAsync("level=1&fallback=safe-part&address=bob@" + domain)).Single();

        // Assert
        Assert.Equal("Bounce", bounce.GetProperty("decision").GetString());
        Assert.Equal("5.7.30", bounce.GetProperty("statusCode").GetString());
        Assert.Equal(0, bounce.GetProperty("domainLevel").GetInt32());
        Assert.Contains("bob@" + domain, bounce.GetProperty("sentence").GetString(), StringComparison.Ordinal);
        Assert.Equal("Downgrade", downgrade.GetProperty("decision").GetString());
        Assert.False(string.IsNullOrEmpty(downgrade.GetProperty("sentence").GetString()));
    }

    [Fact]
    public async Task InternalRecipient_Passes()
    {
        // Arrange
        await using var server = await fixture.StartAsync(fixture.WriteConfig());

        // Act
        var entry = (await server.RecipientsAsync("level=3&address=Dave%40Contoso.TEST")).Single();

        // Assert
        Assert.Equal("Dave@Contoso.TEST", entry.GetProperty("address").GetString());
        Assert.Equal(ServeFixture.InternalDomain, entry.GetProperty("domain").GetString());
        Assert.Equal("Pass", entry.GetProperty("decision").GetString());
        Assert.True(entry.GetProperty("internal").GetBoolean());
        Assert.Equal(0, fixture.Network.Dns.QueryCount(ServeFixture.InternalDomain, 15));
    }

    [Fact]
    public async Task DnsServfail_Defers()
    {
        // Arrange
        var domain = fixture.Network.NewDomain("servfail");
        fixture.Network.Dns.SetFault(domain, DnsFault.ServFail);
        await using var server = await fixture.StartAsync(fixture.WriteConfig());

        // Act: SERVFAIL comes back at once, within the 1.5 s budget, so the entry is decided.
        var entry = (await server.RecipientsAsync("level=1&address=x@" + domain)).Single();

        // Assert
        Assert.Equal("ready", entry.GetProperty("state").GetString());
        Assert.Equal("Defer", entry.GetProperty("decision").GetString());
        Assert.StartsWith("4.", entry.GetProperty("statusCode").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LevelZero_PassesEveryoneWithoutALookup()
    {
        // Arrange
        var domain = fixture.PlainDomain();
        await using var server = await fixture.StartAsync(fixture.WriteConfig());

        // Act
        var entries = await server.RecipientsAsync("level=0&address=a@" + domain + "&address=b@" + ServeFixture.InternalDomain);

        // Assert
        Assert.All(entries, e => Assert.Equal("Pass", e.GetProperty("decision").GetString()));
        Assert.All(entries, e => Assert.Equal(JsonValueKind.Null, e.GetProperty("domainLevel").ValueKind));
        Assert.Equal(0, fixture.Network.Dns.QueryCount(domain, 15));
    }

    [Fact]
    public async Task SlowLookup_AnswersChecking_ThenThePollIsAnsweredFromTheCache_OneLookupForConcurrentQueries()
    {
        // Arrange: the MX query is never answered, so the lookup takes the resolver's timeout (1.5 s) and ends in a
        // temporary failure; the query's budget is 100 ms.
        var domain = fixture.Network.NewDomain("slow");
        fixture.Network.Dns.SetFault(domain, DnsFault.Timeout);
        await using var server = await fixture.StartAsync(fixture.WriteConfig("\"budgetMilliseconds\": 100, \"pollAfterSeconds\": 3"));

        // Act
        var first = server.RecipientsAsync("level=2&address=a@" + domain);
        var second = server.RecipientsAsync("level=2&address=b@" + domain);
        var answers = await Task.WhenAll(first, second);
        JsonElement polled = default;
        for (var attempt = 0; attempt < 100; attempt++)
        {
            polled = (await server.RecipientsAsync("level=2&address=a@" + domain)).Single();
            if (polled.GetProperty("state").GetString() == "ready")
            {
                break;
            }

            await Task.Delay(200);
        }

        // Assert
        foreach (var entry in answers.Select(a => a.Single()))
        {
            Assert.Equal("checking", entry.GetProperty("state").GetString());
            Assert.Equal(JsonValueKind.Null, entry.GetProperty("decision").ValueKind);
            Assert.Equal(3, entry.GetProperty("retryAfterSeconds").GetInt32());
        }

        Assert.Equal("ready", polled.GetProperty("state").GetString());
        Assert.Equal("Defer", polled.GetProperty("decision").GetString());
        Assert.True(server.Server.Counters.Checking >= 2);
        Assert.Equal(1L, server.Query.LookupsStarted);
    }

    [Fact]
    public async Task InvalidEntries_AreErrorsPerEntry_AndTheRestIsAnswered()
    {
        // Arrange
        await using var server = await fixture.StartAsync(fixture.WriteConfig());
        var longAddress = new string('a', 250) + "@x.test";

        // Act
        var entries = await server.RecipientsAsync("level=1&address=not-an-address&address=a%40%5B192.0.2.1%5D&address=" + longAddress + "&address=+e%40" + ServeFixture.InternalDomain + "+&address=");

        // Assert
        Assert.Equal(5, entries.Length);
        Assert.All(entries.Take(3).Append(entries[4]), e =>
        {
            Assert.Equal("error", e.GetProperty("state").GetString());
            Assert.Equal(JsonValueKind.Null, e.GetProperty("domain").ValueKind);
            Assert.Equal(JsonValueKind.Null, e.GetProperty("decision").ValueKind);
            Assert.False(string.IsNullOrEmpty(e.GetProperty("error").GetString()));
        });
        Assert.Contains("address literal", entries[1].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("254", entries[2].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("e@" + ServeFixture.InternalDomain, entries[3].GetProperty("address").GetString());
        Assert.Equal("Pass", entries[3].GetProperty("decision").GetString());
    }

    [Fact]
    public async Task InternationalisedDomain_IsTheALabel()
    {
        // Arrange
        await using var server = await fixture.StartAsync(fixture.WriteConfig());

        // Act: bücher.test, UTF-8 %-escaped.
        var entry = (await server.RecipientsAsync("level=0&address=k%40b%C3%BCcher.test")).Single();

        // Assert
        Assert.Equal("k@bücher.test", entry.GetProperty("address").GetString());
        Assert.Equal("xn--bcher-kva.test", entry.GetProperty("domain").GetString());
    }

    [Fact]
    public async Task SameDomains_SameDecisionAndLevelAsExplain_AndNoAddressIsLogged()
    {
        // Arrange: one recipient per case, and a message tagged level=1 to all of them for explain.
        var enforce = fixture.EnforceDomain();
        var plain = fixture.PlainDomain();
        var servfail = fixture.Network.NewDomain("servfail");
        fixture.Network.Dns.SetFault(servfail, DnsFault.ServFail);
        var addresses = new[] { "r1@" + enforce, "r2@" + plain, "r3@" + ServeFixture.InternalDomain, "r4@" + servfail };
        var config = fixture.WriteConfig();
        var message = Path.Combine(Path.GetDirectoryName(config)!, "message.eml");
        await File.WriteAllTextAsync(message, "From: s@" + ServeFixture.InternalDomain + "\r\nTo: " + string.Join(", ", addresses) + "\r\nLink-Security: level=1; fallback=bounce\r\nSubject: t\r\n\r\nbody\r\n");
        await using var server = await fixture.StartAsync(config);

        // Act
        var (code, output, _) = await CliRunner.RunAsync("explain", message, "--config", config, "--json");
        var served = await server.RecipientsAsync("level=1&fallback=bounce&" + string.Join("&", addresses.Select(a => "address=" + Uri.EscapeDataString(a))));

        // Assert
        Assert.Equal(0, code);
        using var explained = JsonDocument.Parse(output);
        var expected = explained.RootElement.GetProperty("recipients").EnumerateArray().ToArray();
        Assert.Equal(addresses.Length, expected.Length);
        Assert.Equal(new[] { "Secure", "Bounce", "Pass", "Defer" }, served.Select(e => e.GetProperty("decision").GetString()));
        for (var i = 0; i < addresses.Length; i++)
        {
            Assert.Equal(expected[i].GetProperty("recipient").GetString(), served[i].GetProperty("address").GetString());
            Assert.Equal(expected[i].GetProperty("decision").GetString(), served[i].GetProperty("decision").GetString());
            Assert.Equal(expected[i].GetProperty("level").ToString(), served[i].GetProperty("domainLevel").ToString());
            Assert.Equal(expected[i].GetProperty("status").ValueKind == JsonValueKind.Null ? null : expected[i].GetProperty("status").GetString()!.Split(' ')[1], served[i].GetProperty("statusCode").GetString());
            Assert.Equal(expected[i].GetProperty("explanation").ValueKind == JsonValueKind.Null, served[i].GetProperty("decision").GetString() is "Pass" or "Secure");
        }

        var log = server.Log.ToString();
        Assert.Contains(enforce, log, StringComparison.Ordinal);
        Assert.DoesNotContain("r1@", log, StringComparison.Ordinal);
        Assert.DoesNotContain("r2@", log, StringComparison.Ordinal);
        Assert.DoesNotContain(log.Split('\n'), line => line.Contains('@', StringComparison.Ordinal));
    }

    [Fact]
    public async Task DomainEntries_DecideAsTheAddressEntriesOfTheSameDomain_AndNameTheDomain()
    {
        // Arrange
        var plain = fixture.PlainDomain();
        var enforce = fixture.EnforceDomain();
        await using var server = await fixture.StartAsync(fixture.WriteConfig());

        // Act
        var entries = await server.RecipientsAsync("level=1&address=bob@" + plain + "&domain=" + plain.ToUpperInvariant() + "&address=ann@" + enforce + "&domain=" + enforce + ".&domain=" + ServeFixture.InternalDomain);

        // Assert
        Assert.Equal(5, entries.Length);
        foreach (var (address, domain) in new[] { (entries[0], entries[1]), (entries[2], entries[3]) })
        {
            Assert.Equal(JsonValueKind.Null, domain.GetProperty("address").ValueKind);
            Assert.Equal(address.GetProperty("domain").GetString(), domain.GetProperty("domain").GetString());
            Assert.Equal(address.GetProperty("decision").GetString(), domain.GetProperty("decision").GetString());
            Assert.Equal(address.GetProperty("domainLevel").GetInt32(), domain.GetProperty("domainLevel").GetInt32());
            Assert.Equal(address.GetProperty("statusCode").ValueKind, domain.GetProperty("statusCode").ValueKind);
            Assert.DoesNotContain("@", domain.GetProperty("sentence").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal("Bounce", entries[1].GetProperty("decision").GetString());
        Assert.Contains(plain, entries[1].GetProperty("sentence").GetString(), StringComparison.Ordinal);
        Assert.Equal("Pass", entries[4].GetProperty("decision").GetString());
        Assert.True(entries[4].GetProperty("internal").GetBoolean());
    }

    [Fact]
    public async Task BadDomain_IsAPerEntryError()
    {
        // Arrange
        await using var server = await fixture.StartAsync(fixture.WriteConfig());

        // Act
        var entries = await server.RecipientsAsync("level=1&domain=a%40b.test&domain=%5B192.0.2.1%5D&domain=-x.test&domain=&domain=" + ServeFixture.InternalDomain);

        // Assert
        Assert.Equal(5, entries.Length);
        Assert.All(entries.Take(4), e => Assert.Equal("error", e.GetProperty("state").GetString()));
        Assert.All(entries.Take(4), e => Assert.Equal(JsonValueKind.Null, e.GetProperty("domain").ValueKind));
        Assert.Equal("Pass", entries[4].GetProperty("decision").GetString());
    }

    [Fact]
    public async Task BatchLimit_CountsAddressesAndDomains()
    {
        // Arrange
        await using var server = await fixture.StartAsync(fixture.WriteConfig());
        string Query(int n) => "level=0" + string.Concat(Enumerable.Range(0, n).Select(i => i % 2 == 0 ? "&address=u" + i + "%40b.test" : "&domain=d" + i + ".test"));

        // Act
        var hundred = await server.RecipientsAsync(Query(100));
        var (status, body, _) = await server.GetJsonAsync("/api/v1/recipients?" + Query(101));

        // Assert
        Assert.Equal(100, hundred.Length);
        Assert.Equal(400, status);
        Assert.Equal("urn:linksecure:problem:batch-too-large", body.GetProperty("type").GetString());
    }
}
