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
        // Arrange
        var marker = Marker();
        var recipient = "user-" + marker + "@dane-good." + RelayEndToEndFixture.Zone;
        using var timeout = new CancellationTokenSource(Bound);

        // Act
        await relay.SubmitAsync(recipient, marker, timeout.Token);
        var message = await DeliveredAsync("mx-a", marker, timeout.Token);
        var line = await StatusLineAsync(recipient, timeout.Token);

        // Assert
        Assert.True(message.OverTls, "mx-a received the message without TLS");
        Assert.Contains("<" + recipient + ">", message.Recipients);
        Assert.Contains("status=sent", line, StringComparison.Ordinal);
        AssertAuthenticated("mx-a");
        AssertNothingInPlaintext();
    }

    [Fact]
    public async Task DaneDomain_TlsaMismatch_DeferredAndNoDataSent()
    {
        // Arrange
        var recipient = "user-" + Marker() + "@dane-bad." + RelayEndToEndFixture.Zone;
        using var timeout = new CancellationTokenSource(Bound);

        // Act
        await relay.SubmitAsync(recipient, Marker(), timeout.Token);
        var line = await StatusLineAsync(recipient, timeout.Token);

        // Assert: RFC 7672 §2.2 — no TLSA record matches, so the relay defers (RFC 3463 4.7.5, cryptographic failure).
        AssertDeferredForTls(line);
        Assert.Contains("no matching DANE TLSA records", relay.MailLog(), StringComparison.Ordinal);
        Assert.Contains(recipient, relay.Queue(), StringComparison.Ordinal);
        AssertNeverSawData("mx-b");
        AssertNothingInPlaintext();
    }

    [Fact]
    public async Task PinnedDomain_CertificateForPinnedMx_DeliveredOverTls()
    {
        // Arrange
        var marker = Marker();
        var recipient = "user-" + marker + "@pinned." + RelayEndToEndFixture.Zone;
        using var timeout = new CancellationTokenSource(Bound);

        // Act
        await relay.SubmitAsync(recipient, marker, timeout.Token);
        var message = await DeliveredAsync("mx-c", marker, timeout.Token);
        var line = await StatusLineAsync(recipient, timeout.Token);

        // Assert
        Assert.True(message.OverTls, "mx-c received the message without TLS");
        Assert.Contains("status=sent", line, StringComparison.Ordinal);
        AssertAuthenticated("mx-c");
        AssertNothingInPlaintext();
    }

    [Fact]
    public async Task NoEvidence_CertificateNotValidForDomain_DeferredAndNoDataSent()
    {
        // Arrange
        var recipient = "user-" + Marker() + "@plain." + RelayEndToEndFixture.Zone;
        using var timeout = new CancellationTokenSource(Bound);

        // Act
        await relay.SubmitAsync(recipient, Marker(), timeout.Token);
        var line = await StatusLineAsync(recipient, timeout.Token);

        // Assert: the policy is plain "secure", so the certificate must be valid for the domain (RFC 6125 §6); it is not.
        AssertDeferredForTls(line);
        Assert.Contains(recipient, relay.Queue(), StringComparison.Ordinal);
        AssertNeverSawData("mx-d");
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

    private static void AssertDeferredForTls(string line)
    {
        Assert.Contains("dsn=4.7.5", line, StringComparison.Ordinal);
        Assert.Contains("status=deferred", line, StringComparison.Ordinal);
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
