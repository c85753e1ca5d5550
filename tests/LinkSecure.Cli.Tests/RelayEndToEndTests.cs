using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.TestSupport.Probing;
using LinkSecure.TestSupport.Relay;
using Xunit;

namespace LinkSecure.Cli.Tests;

/// <summary>
/// The relay end to end (docs/relay.md): mail submitted to a real Postfix relay configured by PostfixRelayConfig, whose
/// per-destination TLS policy comes from <c>linksecure policy-server</c> over a validating resolver, reaches an MX only
/// when the policy's evidence is met, and never in plaintext.
/// </summary>
public sealed class RelayEndToEndTests : IClassFixture<RelayEndToEndFixture>
{
    /// <summary>The bound on every wait for a delivery or a deferral.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly RelayEndToEndFixture relay;

    public RelayEndToEndTests(RelayEndToEndFixture relay)
    {
        this.relay = relay;
    }

    [Fact]
    public async Task DaneDomain_MatchingTlsa_DeliveredOverTls()
    {
        // Arrange, Act and Assert: RFC 7672 §3.1 — a TLSA 3 1 1 record matches the MX's key.
        await AssertDeliveredOverTlsAsync("dane-good", "mx-a", "mx-a");
    }

    [Fact]
    public async Task DaneDomain_TlsaMismatch_DeferredAndNoDataSent()
    {
        // Arrange, Act and Assert: RFC 7672 §2.2 — no TLSA record matches, so the relay defers (RFC 3463 4.7.5,
        // cryptographic failure).
        await AssertDeferredForTlsAsync("dane-bad", "mx-b");
        Assert.Contains("no matching DANE TLSA records", relay.MailLog(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PinnedDomain_CertificateForPinnedMx_DeliveredOverTls()
    {
        // Arrange, Act and Assert: the override pins mx-c's name, and its test-CA certificate is for that name.
        await AssertDeliveredOverTlsAsync("pinned", "mx-c", "mx-c");
    }

    [Fact]
    public async Task NoEvidence_CertificateNotValidForDomain_DeferredAndNoDataSent()
    {
        // Arrange, Act and Assert: the policy is plain "secure", so the certificate must be valid for the domain
        // (RFC 6125 §6); it is not.
        await AssertDeferredForTlsAsync("plain", "mx-d");
    }

    [Fact]
    public async Task MtaStsEnforce_CertificateForPolicyMx_DeliveredOverTls()
    {
        // Arrange, Act and Assert: RFC 8461 §4.1 — the MX is a name of the enforce policy and its certificate is valid
        // for that name.
        await AssertDeliveredOverTlsAsync("sts", "mx-e", "mx-e.sts");
        Assert.Contains("secure match=mx-e.sts." + RelayEndToEndFixture.Zone + " servername=hostname", relay.PolicyServerLog(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MtaStsEnforce_CertificateOutsidePolicyNames_DeferredAndNoDataSent()
    {
        // Arrange, Act and Assert: RFC 8461 §4.2 — under enforce, an MX whose certificate does not match a policy name
        // gets no mail.
        await AssertDeferredForTlsAsync("sts-bad", "mx-f");
        Assert.Contains("secure match=mx-f.sts-bad." + RelayEndToEndFixture.Zone + " servername=hostname", relay.PolicyServerLog(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PermanentRecipientFailure_DsnDeliveredToSender()
    {
        // Arrange
        var marker = Marker();
        var sender = "sender-" + marker + "@sender." + RelayEndToEndFixture.Zone;
        var recipient = RelayEndToEndFixture.UnknownUserPrefix + marker + "@dane-good." + RelayEndToEndFixture.Zone;
        using var timeout = new CancellationTokenSource(Bound);

        // Act
        await relay.SubmitAsync(sender, recipient, marker, timeout.Token);
        var line = await StatusLineAsync(recipient, timeout.Token);
        var dsn = await DeliveredAsync("exchange", recipient, timeout.Token);

        // Assert: RFC 3461 §6 and RFC 3464 — a null-sender multipart/report naming the recipient and its 5.1.1 status.
        Assert.Contains("status=bounced", line, StringComparison.Ordinal);
        Assert.Contains("dsn=5.1.1", line, StringComparison.Ordinal);
        Assert.True(dsn.OverTls, "the sender's exchange received the DSN without TLS");
        Assert.Equal("<>", dsn.Sender.Split(' ')[0]);
        Assert.Contains("<" + sender + ">", dsn.Recipients);
        Assert.Contains("multipart/report", dsn.Data, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("report-type=delivery-status", dsn.Data, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Final-Recipient: rfc822; " + recipient, dsn.Data, StringComparison.Ordinal);
        Assert.Contains("Status: 5.1.1", dsn.Data, StringComparison.Ordinal);
        Assert.Contains("Action: failed", dsn.Data, StringComparison.Ordinal);
        AssertNothingInPlaintext();
    }

    [Fact]
    public async Task PermanentFailure_OrganisationSender_DsnReturnsToExchangeOverTheReturnRoute()
    {
        // Arrange: the organisation's public MX (mx-d) presents a certificate not valid for its domain, so the strict
        // map's "secure" would defer the DSN; the return route sends it to the Exchange server, checked against the
        // Exchange certificate's name (mail.org) instead.
        var marker = Marker();
        var sender = "ann-" + marker + "@org." + RelayEndToEndFixture.Zone;
        var recipient = RelayEndToEndFixture.UnknownUserPrefix + marker + "@dane-good." + RelayEndToEndFixture.Zone;
        using var timeout = new CancellationTokenSource(Bound);

        // Act
        await relay.SubmitAsync(sender, recipient, marker, timeout.Token);
        var dsn = await DeliveredAsync("exchange-org", recipient, timeout.Token);
        var line = await StatusLineAsync(sender, timeout.Token);

        // Assert: RFC 3464 — the DSN to the envelope sender, over TLS, by the return transport, the server verified.
        Assert.True(dsn.OverTls, "the organisation's Exchange received the DSN without TLS");
        Assert.Equal("<>", dsn.Sender.Split(' ')[0]);
        Assert.Contains("<" + sender + ">", dsn.Recipients);
        Assert.Contains("Final-Recipient: rfc822; " + recipient, dsn.Data, StringComparison.Ordinal);
        Assert.Contains("status=sent", line, StringComparison.Ordinal);
        Assert.Contains("relay=exch1.org." + RelayEndToEndFixture.Zone, line, StringComparison.Ordinal);
        Assert.Contains("Verified TLS connection established to exch1.org." + RelayEndToEndFixture.Zone, relay.MailLog(), StringComparison.Ordinal);
        Assert.DoesNotContain(relay.Exchangers["mx-d"].Messages, m => m.Data.Contains(marker, StringComparison.Ordinal));
        AssertNothingInPlaintext();
    }

    private static string Marker() => Guid.NewGuid().ToString("N");

    private async Task<ReceivedSmtpMessage> DeliveredAsync(string exchanger, string marker, CancellationToken cancellationToken)
    {
        var server = relay.Exchangers[exchanger];
        while (!cancellationToken.IsCancellationRequested)
        {
            var message = server.Messages.FirstOrDefault(m => m.Data.Contains(marker, StringComparison.Ordinal));
            if (message is not null)
            {
                return message;
            }

            await Task.Delay(200, CancellationToken.None);
        }

        throw new Xunit.Sdk.XunitException(exchanger + " did not receive the message within " + Bound.TotalSeconds + " s.\n" + relay.Diagnostics());
    }

    /// <summary>Waits for the relay's log line with the recipient's delivery status (sent, deferred or bounced); the
    /// smtp client logs its TLS outcome before it.</summary>
    private async Task<string> StatusLineAsync(string recipient, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var line = relay.MailLog().Split('\n').FirstOrDefault(l => l.Contains("to=<" + recipient + ">", StringComparison.Ordinal) && l.Contains(" status=", StringComparison.Ordinal));
            if (line is not null)
            {
                return line;
            }

            await Task.Delay(200, CancellationToken.None);
        }

        throw new Xunit.Sdk.XunitException("The relay logged no delivery status for " + recipient + " within " + Bound.TotalSeconds + " s.\n" + relay.Diagnostics());
    }

    /// <summary>Submits a message for a user at the domain (a label of the test zone) and asserts the MX received it over
    /// TLS, the relay logged it sent, and Postfix verified the MX (named by its host relative to the zone).</summary>
    private async Task AssertDeliveredOverTlsAsync(string domain, string exchanger, string host)
    {
        var marker = Marker();
        var recipient = "user-" + marker + "@" + domain + "." + RelayEndToEndFixture.Zone;
        using var timeout = new CancellationTokenSource(Bound);

        await relay.SubmitAsync(recipient, marker, timeout.Token);
        var message = await DeliveredAsync(exchanger, marker, timeout.Token);
        var line = await StatusLineAsync(recipient, timeout.Token);

        Assert.True(message.OverTls, exchanger + " received the message without TLS");
        Assert.Contains("<" + recipient + ">", message.Recipients);
        Assert.Contains("status=sent", line, StringComparison.Ordinal);
        AssertAuthenticated(host);
        AssertNothingInPlaintext();
    }

    /// <summary>Submits a message for a user at the domain (a label of the test zone) and asserts the relay deferred it
    /// for TLS (RFC 3463 4.7.5), kept it queued, and never sent DATA to the domain's MX.</summary>
    private async Task AssertDeferredForTlsAsync(string domain, string exchanger)
    {
        var recipient = "user-" + Marker() + "@" + domain + "." + RelayEndToEndFixture.Zone;
        using var timeout = new CancellationTokenSource(Bound);

        await relay.SubmitAsync(recipient, Marker(), timeout.Token);
        var line = await StatusLineAsync(recipient, timeout.Token);

        Assert.Contains("dsn=4.7.5", line, StringComparison.Ordinal);
        Assert.Contains("status=deferred", line, StringComparison.Ordinal);
        Assert.Contains(recipient, relay.Queue(), StringComparison.Ordinal);
        AssertNeverSawData(exchanger);
        AssertNothingInPlaintext();
    }

    /// <summary>Postfix logs "Verified" only when the peer authenticated (DANE or PKIX with a matching name).</summary>
    private void AssertAuthenticated(string exchanger) =>
        Assert.Contains("Verified TLS connection established to " + exchanger + "." + RelayEndToEndFixture.Zone, relay.MailLog(), StringComparison.Ordinal);

    private void AssertNeverSawData(string exchanger)
    {
        var server = relay.Exchangers[exchanger];
        Assert.DoesNotContain(server.Commands, c => c.StartsWith("DATA", StringComparison.OrdinalIgnoreCase));
        Assert.Empty(server.Messages);
    }

    private void AssertNothingInPlaintext()
    {
        foreach (var (name, server) in relay.Exchangers)
        {
            Assert.All(server.Messages, m => Assert.True(m.OverTls, name + " received a message without TLS"));
        }
    }
}
