using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Relay;
using Xunit;

namespace LinkSecure.Core.Tests.Relay;

public class PostfixRelayConfigTests
{
    internal static PostfixRelayConfigOptions Options(string[]? clients = null, string[]? fingerprints = null) =>
        new(IPAddress.Parse("127.0.0.1"), 2525, "Relay.Example.COM", clients ?? new[] { "127.0.0.0/8", "2001:db8::/32", "192.0.2.10" }, "/etc/linksecure/relay.crt", "/etc/linksecure/relay.key")
        {
            ClientCertificateFingerprints = fingerprints ?? Array.Empty<string>(),
        };

    internal static Dictionary<string, string> Parameters(string mainCf)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in mainCf.Split('\n').Where(l => l.Length > 0 && l[0] != '#' && !char.IsWhiteSpace(l[0])))
        {
            var equals = line.IndexOf('=');
            var name = line.Substring(0, equals).Trim();
            Assert.False(result.ContainsKey(name), name + " is set twice");
            result[name] = line.Substring(equals + 1).Trim();
        }

        return result;
    }

    private static Dictionary<string, string> Generate(PostfixRelayConfigOptions options, LinkSecureSettings? settings = null) =>
        Parameters(PostfixRelayConfig.Generate(settings ?? LinkSecureSettings.Default, options).MainCf);

    private static LinkSecureSettings WithMaxDefer(int minutes)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes("{ \"defer\": { \"maxDeferMinutes\": " + minutes + " } }"));
        return LinkSecureSettings.Load(stream);
    }

    [Fact]
    public void Generate_AddressesOnly_OnlyMynetworksMayRelay()
    {
        // Act
        var main = Generate(Options());

        // Assert
        Assert.Equal("127.0.0.0/8 [2001:db8::]/32 192.0.2.10", main["mynetworks"]);
        Assert.Equal("permit_mynetworks, reject", main["smtpd_relay_restrictions"]);
        Assert.Equal("permit_mynetworks, reject_unauth_destination, reject", main["smtpd_recipient_restrictions"]);
        Assert.False(main.ContainsKey("relay_clientcerts"));
        Assert.False(main.ContainsKey("smtpd_tls_ask_ccert"));
    }

    [Fact]
    public void Generate_NeverAnOpenRelay_NoLocalOrRelayDomainAndNoLocalDelivery()
    {
        // Act
        var main = Generate(Options());

        // Assert
        Assert.Equal(string.Empty, main["mydestination"]);
        Assert.Equal(string.Empty, main["relay_domains"]);
        Assert.Equal(string.Empty, main["local_recipient_maps"]);
        Assert.Equal(string.Empty, main["alias_maps"]);
        Assert.StartsWith("error:5.7.1 ", main["local_transport"], StringComparison.Ordinal);
        Assert.EndsWith(", reject", main["smtpd_relay_restrictions"], StringComparison.Ordinal);
        Assert.EndsWith(", reject", main["smtpd_recipient_restrictions"], StringComparison.Ordinal);
        Assert.DoesNotContain(main, p => p.Value.Contains("permit_sasl") || p.Value.Contains("permit_auth_destination"));
    }

    [Fact]
    public void Generate_Fingerprints_PermitTlsClientCertsWithNormalizedSha256Table()
    {
        // Arrange
        var colons = string.Join(":", Enumerable.Repeat("ab", 32));
        var plain = new string('0', 63) + "f";

        // Act
        var main = Generate(Options(fingerprints: new[] { colons, plain }));

        // Assert
        Assert.Equal("permit_mynetworks, permit_tls_clientcerts, reject", main["smtpd_relay_restrictions"]);
        Assert.Equal("permit_mynetworks, permit_tls_clientcerts, reject_unauth_destination, reject", main["smtpd_recipient_restrictions"]);
        Assert.Equal("yes", main["smtpd_tls_ask_ccert"]);
        Assert.Equal("sha256", main["smtpd_tls_fingerprint_digest"]);
        var expected = "inline:{ " + string.Join(":", Enumerable.Repeat("AB", 32)) + "=exchange, " + string.Join(":", Enumerable.Repeat("00", 31)) + ":0F=exchange }";
        Assert.Equal(expected, main["relay_clientcerts"]);
    }

    [Fact]
    public void Generate_InboundTls_MandatoryWithTheAdministratorsCertificate()
    {
        // Act
        var main = Generate(Options());

        // Assert
        Assert.Equal("encrypt", main["smtpd_tls_security_level"]);
        Assert.Equal("/etc/linksecure/relay.crt", main["smtpd_tls_cert_file"]);
        Assert.Equal("/etc/linksecure/relay.key", main["smtpd_tls_key_file"]);
        Assert.Equal("relay.example.com", main["myhostname"]);
    }

    [Fact]
    public void Generate_Outbound_DnssecSocketmapAndSecure()
    {
        // Act
        var main = Generate(Options());

        // Assert
        Assert.Equal("dnssec", main["smtp_dns_support_level"]);
        Assert.Equal("secure", main["smtp_tls_security_level"]);
        Assert.Equal("socketmap:inet:127.0.0.1:8461:linksecure", main["smtp_tls_policy_maps"]);
        Assert.Equal("1", main["smtp_tls_loglevel"]);
        Assert.Equal("/etc/ssl/certs/ca-certificates.crt", main["smtp_tls_CAfile"]);
        Assert.Equal("/etc/ssl/certs", main["smtp_tls_CApath"]);
    }

    [Fact]
    public void Generate_NoParameterWeakerThanSecure()
    {
        // Arrange
        var weak = new[] { "none", "may", "encrypt", "dane", "verify", "fingerprint" };

        // Act
        var main = Generate(Options(fingerprints: new[] { new string('a', 64) }));

        // Assert: the only outbound level is secure, and nothing outside the socketmap could lower it per destination.
        var outbound = main.Where(p => p.Key.StartsWith("smtp_", StringComparison.Ordinal) && p.Key.EndsWith("_security_level", StringComparison.Ordinal)).ToList();
        Assert.Equal(new[] { "smtp_tls_security_level" }, outbound.Select(p => p.Key));
        Assert.DoesNotContain(main, p => p.Key.StartsWith("smtp_", StringComparison.Ordinal) && weak.Contains(p.Value));
        Assert.DoesNotContain(main.Keys, k => k is "smtp_use_tls" or "smtp_enforce_tls" or "smtp_tls_per_site" or "transport_maps" or "relayhost" or "sender_dependent_relayhost_maps" or "smtp_tls_dane_insecure_mx_policy");
        Assert.Single(main.Keys, k => k.EndsWith("_policy_maps", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(240, "240m")]
    [InlineData(0, "0m")]
    [InlineData(10080, "10080m")]
    public void Generate_QueueLifetimes_FollowMaxDeferMinutes(int minutes, string expected)
    {
        // Act
        var main = Generate(Options(), WithMaxDefer(minutes));

        // Assert
        Assert.Equal(expected, main["maximal_queue_lifetime"]);
        Assert.Equal(expected, main["bounce_queue_lifetime"]);
        Assert.Equal("0h", main["delay_warning_time"]);
    }

    [Fact]
    public void Generate_PrivateInstance_OwnQueueAndDataDirectories()
    {
        // Arrange
        var options = new PostfixRelayConfigOptions(IPAddress.Parse("192.0.2.1"), 25, "relay.example.com", new[] { "192.0.2.10" }, "/c.pem", "/k.pem")
        {
            QueueDirectory = "/srv/q",
            DataDirectory = "/srv/d",
            SocketmapEndpoint = "unix:/run/linksecure/policy.sock",
        };

        // Act
        var main = Generate(options);

        // Assert
        Assert.Equal("/srv/q", main["queue_directory"]);
        Assert.Equal("/srv/d", main["data_directory"]);
        Assert.Equal("postfix-linksecure", main["multi_instance_name"]);
        Assert.Equal("socketmap:unix:/run/linksecure/policy.sock:linksecure", main["smtp_tls_policy_maps"]);
    }

    [Fact]
    public void Generate_MasterCf_ListenerAndDebianServicesWithoutLocalDelivery()
    {
        // Act
        var master = PostfixRelayConfig.Generate(LinkSecureSettings.Default, Options()).MasterCf;

        // Assert
        var services = master.Split('\n').Where(l => l.Length > 0 && l[0] != '#' && !char.IsWhiteSpace(l[0]))
            .Select(l => l.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal(new[] { "127.0.0.1:2525", "inet", "n", "-", "n", "-", "-", "smtpd" }, services[0]);
        var names = services.Select(s => s[0] + "/" + s[1]).ToList();
        foreach (var required in new[] { "pickup", "cleanup", "qmgr", "tlsmgr", "rewrite", "bounce", "defer", "trace", "verify", "flush", "proxymap", "smtp", "relay", "error", "retry", "discard", "anvil", "scache" })
        {
            Assert.Contains(required + "/unix", names);
        }

        Assert.DoesNotContain(names, n => n.StartsWith("local/", StringComparison.Ordinal) || n.StartsWith("virtual/", StringComparison.Ordinal) || n.StartsWith("lmtp/", StringComparison.Ordinal));
        Assert.Single(services, s => s[1] == "inet");
    }

    [Fact]
    public void Generate_Ipv6Listener_Bracketed()
    {
        // Arrange
        var options = new PostfixRelayConfigOptions(IPAddress.Parse("::1"), 2526, "relay.example.com", new[] { "::1" }, "/c.pem", "/k.pem");

        // Act
        var config = PostfixRelayConfig.Generate(LinkSecureSettings.Default, options);

        // Assert
        Assert.Contains("\n[::1]:2526 inet ", config.MasterCf, StringComparison.Ordinal);
        Assert.Equal("[::1]", Parameters(config.MainCf)["mynetworks"]);
    }

    [Theory]
    [InlineData("0.0.0.0/0", "open relay")]
    [InlineData("::/0", "open relay")]
    [InlineData("0.0.0.0", "open relay")]
    [InlineData("10.0.0.0/0", "open relay")]
    [InlineData("10.0.0.1/8", "host bits")]
    [InlineData("10.0.0.0/33", "prefix length")]
    [InlineData("exchange.example.com", "not an IP address")]
    public void Validate_BadClient_Refused(string client, string reason)
    {
        // Act
        var problems = PostfixRelayConfig.Validate(Options(new[] { "192.0.2.10", client }));

        // Assert
        Assert.Contains(problems, p => p.Contains(reason));
    }

    [Fact]
    public void Generate_NoClients_ThrowsNeverWidens()
    {
        // Act
        var ex = Assert.Throws<ArgumentException>(() => PostfixRelayConfig.Generate(LinkSecureSettings.Default, Options(Array.Empty<string>())));

        // Assert
        Assert.Contains("no Exchange server", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BadValues_EveryProblemListed()
    {
        // Arrange
        var options = new PostfixRelayConfigOptions(IPAddress.Loopback, 0, "localhost", new[] { "192.0.2.10" }, "relative.pem", "/k ey.pem")
        {
            ClientCertificateFingerprints = new[] { "abcd" },
            SocketmapEndpoint = "tcp:127.0.0.1",
            SocketmapName = "link secure",
            QueueDirectory = "/var/$spool",
        };

        // Act
        var problems = PostfixRelayConfig.Validate(options);

        // Assert
        Assert.Equal(8, problems.Count);
    }

    [Fact]
    public void Generate_SameInput_SameText()
    {
        // Act
        var first = PostfixRelayConfig.Generate(LinkSecureSettings.Default, Options());
        var second = PostfixRelayConfig.Generate(LinkSecureSettings.Default, Options());

        // Assert
        Assert.Equal(first.MainCf, second.MainCf);
        Assert.Equal(first.MasterCf, second.MasterCf);
        Assert.DoesNotContain("\r", first.MainCf + first.MasterCf, StringComparison.Ordinal);
    }

    internal static PostfixRelayConfigOptions WithReturn(PostfixRelayConfigOptions options) =>
        new(options.ListenAddress, options.ListenPort, options.Hostname, options.ExchangeClients, options.CertificateFile, options.KeyFile)
        {
            QueueDirectory = options.QueueDirectory,
            DataDirectory = options.DataDirectory,
            ReturnHosts = new[] { "Exch1.Contoso.example", "192.0.2.7", "2001:db8::7" },
            ReturnCertificateNames = new[] { "mail.contoso.example", "*.Contoso.example" },
            ReturnDomains = new[] { "contoso.example", "*.contoso.example" },
        };

    [Fact]
    public void Generate_ReturnHosts_OrganisationDomainsGoBackToExchangeOverSecureWithTheCertificateNames()
    {
        // Act
        var config = PostfixRelayConfig.Generate(LinkSecureSettings.Default, WithReturn(Options()));
        var main = Parameters(config.MainCf);

        // Assert: RFC 3461 §6.2 — the DSNs go to the envelope sender, an organisation address: only those domains take
        // the return transport, tried in order without MX lookups.
        var nexthop = "linksecure-return:[exch1.contoso.example]:25 [192.0.2.7]:25 [ipv6:2001:db8::7]:25";
        Assert.Equal("inline:{ { contoso.example = " + nexthop + " }, { .contoso.example = " + nexthop + " } }", main["transport_maps"]);
        Assert.Equal("secure", main["smtp_tls_security_level"]);
        var lines = config.MasterCf.Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith("linksecure-return ", StringComparison.Ordinal));
        Assert.Equal(new[] { "linksecure-return", "unix", "-", "-", "n", "-", "-", "smtp" }, lines[start].Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries));
        var settings = lines.Skip(start + 1).TakeWhile(l => l.StartsWith("        -o ", StringComparison.Ordinal)).Select(l => l.Trim().Substring(3)).ToList();
        Assert.Contains("smtp_tls_policy_maps=", settings);
        Assert.Contains("smtp_tls_security_level=secure", settings);
        Assert.Contains("smtp_tls_secure_cert_match=mail.contoso.example:.contoso.example", settings);
        Assert.DoesNotContain(settings, s => s.Contains("_security_level=", StringComparison.Ordinal) && !s.EndsWith("=secure", StringComparison.Ordinal));
    }

    [Fact]
    public void Generate_NoReturnHosts_NoTransportMapAndNoReturnService()
    {
        // Act
        var config = PostfixRelayConfig.Generate(LinkSecureSettings.Default, Options());

        // Assert
        Assert.False(Parameters(config.MainCf).ContainsKey("transport_maps"));
        Assert.DoesNotContain("linksecure-return", config.MasterCf, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ReturnRouteIncomplete_EveryProblemListed()
    {
        // Arrange
        var hostOnly = new PostfixRelayConfigOptions(IPAddress.Loopback, 25, "relay.example.com", new[] { "192.0.2.10" }, "/c.pem", "/k.pem")
        {
            ReturnHosts = new[] { "exch1", "ok.contoso.example" },
            ReturnPort = 0,
        };
        var namesOnly = new PostfixRelayConfigOptions(IPAddress.Loopback, 25, "relay.example.com", new[] { "192.0.2.10" }, "/c.pem", "/k.pem")
        {
            ReturnCertificateNames = new[] { "mail.contoso.example" },
        };
        var badNames = new PostfixRelayConfigOptions(IPAddress.Loopback, 25, "relay.example.com", new[] { "192.0.2.10" }, "/c.pem", "/k.pem")
        {
            ReturnHosts = new[] { "192.0.2.7" },
            ReturnCertificateNames = new[] { "*.", "bad name" },
            ReturnDomains = new[] { "contoso" },
        };

        // Act
        var host = string.Join("\n", PostfixRelayConfig.Validate(hostOnly));
        var names = string.Join("\n", PostfixRelayConfig.Validate(namesOnly));
        var bad = PostfixRelayConfig.Validate(badNames);

        // Assert
        Assert.Contains("the return host 'exch1' is neither an IP address nor a fully qualified host name", host, StringComparison.Ordinal);
        Assert.Contains("the return port 0 is not 1 to 65535", host, StringComparison.Ordinal);
        Assert.Contains("the name on the Exchange servers' certificate", host, StringComparison.Ordinal);
        Assert.Contains("the organisation's domains", host, StringComparison.Ordinal);
        Assert.Contains("without a return host", names, StringComparison.Ordinal);
        Assert.Equal(3, bad.Count);
        Assert.Throws<ArgumentException>(() => PostfixRelayConfig.Generate(LinkSecureSettings.Default, badNames));
    }
}
