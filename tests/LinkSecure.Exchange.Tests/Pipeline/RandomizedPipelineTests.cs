using System;
using System.Collections.Generic;
using System.Linq;
using LinkSecure.Core.Protocol;
using LinkSecure.Exchange.Simulator;
using LinkSecure.Exchange.Tests.Support;
using Microsoft.Exchange.Data.Transport;
using Xunit;

namespace LinkSecure.Exchange.Tests.Pipeline;

/// <summary>
/// Thousands of random messages × recipients × requests × domain levels through the simulator. Invariants: every
/// recipient ends in exactly one outcome, no exception escapes and no pipeline rule is broken, no tagged recipient
/// is delivered externally without the secure route (unless it received the downgraded copy), and untagged mail is
/// never altered (unless enforceForAllMail, which may only add a secure route).
/// </summary>
public class RandomizedPipelineTests
{
    private static readonly string[] SecureRoutingDomains = { "linksecure-dv.invalid", "linksecure-cv.invalid", "linksecure-eo.invalid" };

    private static readonly string?[] Requests =
    {
        null, null, null, "level=1", "level=1; fallback=bounce", "level=1; fallback=safe-part", "level=2", "level=2; fallback=safe-part",
        "level=3; fallback=bounce", "level=4; fallback=safe-part", "level=banana", "LEVEL=2 ; FALLBACK=SAFE-PART", "level=0",
    };

    [Theory]
    [InlineData(20261128, false, 1500, ForkMode.ReentersSameEvent, false)]
    [InlineData(4242, true, 1000, ForkMode.ReentersSameEvent, false)]
    [InlineData(20261128, false, 1500, ForkMode.ReentersSameEvent, true)]
    [InlineData(20261128, false, 1500, ForkMode.LaterEventsOnly, false)]
    [InlineData(4242, true, 1000, ForkMode.LaterEventsOnly, true)]
    public void RandomMessages_InvariantsHold(int seed, bool enforceForAllMail, int messages, ForkMode mode, bool deferReverts)
    {
        // Arrange
        var rng = new Random(seed);
        var config = "{ \"enforceForAllMail\": " + (enforceForAllMail ? "true" : "false") + ", \"agent\": { \"lookupBudgetMilliseconds\": 100 } }";
        using var harness = new AgentHarness(config, withLog: false, forkMode: mode);
        harness.Pipeline.DeferReverts = deferReverts;
        var domains = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            var domain = "d" + i + ".example";
            domains.Add(domain);
            switch (i % 8)
            {
                case 0: case 1: case 2: case 3:
                    harness.Profiles.WithCached(domain, i % 5, i % 3 == 0 ? new[] { "*.mx." + domain } : Array.Empty<string>());
                    break;
                case 4: harness.Profiles.WithCached(domain, 4, "mx1." + domain); break;
                case 5: harness.Profiles.WithAsync(domain, rng.Next(0, 5)); break;
                case 6: harness.Profiles.WithTemporaryFailure(domain); break;
                default: harness.Profiles.WithFailure(domain); break;
            }
        }

        harness.Profiles.WithHang("hang.example");
        var checkedRecipients = 0;
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        void Count(string what) => seen[what] = seen.TryGetValue(what, out var n) ? n + 1 : 1;

        for (var m = 0; m < messages; m++)
        {
            var header = Requests[rng.Next(Requests.Length)];
            var waiver = header is null && rng.Next(10) == 0;
            var mime = Messages.Create(header, withSafePart: rng.Next(2) == 0, extraHeader: waiver ? "TLS-Required" : null, extraValue: waiver ? "No" : null);
            var request = RequestParser.Parse(new List<KeyValuePair<string, string>>(
                (header is null ? Array.Empty<KeyValuePair<string, string>>() : new[] { new KeyValuePair<string, string>("Link-Security", header) })
                .Concat(waiver ? new[] { new KeyValuePair<string, string>("TLS-Required", "No") } : Array.Empty<KeyValuePair<string, string>>())));

            var count = rng.Next(0, 7);
            var recipients = new List<SimRecipient>();
            var internals = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            for (var r = 0; r < count; r++)
            {
                var pick = rng.Next(100);
                SimRecipient recipient;
                if (pick < 10)
                {
                    recipient = new SimRecipient("u" + r + "@contoso.example", RecipientCategory.InSameOrganization);
                    internals.Add(recipient.Address.ToString());
                }
                else if (pick == 10)
                {
                    recipient = new SimRecipient("u" + r + "@hang.example");
                }
                else
                {
                    recipient = new SimRecipient("u" + r + "@" + domains[rng.Next(domains.Count)]);
                }

                recipients.Add(recipient);
            }

            var item = new SimMailItem(mime, recipients, isSystemMessage: rng.Next(50) == 0, isTnef: rng.Next(30) == 0);
            harness.Pipeline.ForkKeepsProperties = rng.Next(2) == 0;
            harness.Pipeline.Outcomes.Clear();

            // Act
            harness.Pipeline.Submit(item);

            // Assert
            var context = $"message {m} ({header ?? (waiver ? "TLS-Required: No" : "untagged")}, {count} recipients)";
            Assert.True(harness.Pipeline.Violations.IsEmpty, context + ": " + string.Join("; ", harness.Pipeline.Violations));
            var outcomes = harness.Pipeline.Outcomes;
            Assert.Equal(
                recipients.Select(r => r.Address.ToString()).OrderBy(a => a, StringComparer.Ordinal),
                outcomes.Select(o => o.Address).OrderBy(a => a, StringComparer.Ordinal));

            if (!request.IsRequested && !enforceForAllMail)
            {
                // Untouched means untouched: not even a property on a recipient.
                Assert.All(item.SimRecipients.Items, r => Assert.Empty(r.Bag));
                Assert.Empty(item.Bag);
            }

            foreach (var outcome in outcomes)
            {
                checkedRecipients++;
                Count(outcome.Kind.ToString());
                if (outcome.Override is not null)
                {
                    Count("secure");
                }

                if (Messages.Text(outcome.Mime).Contains("Link-Security-Downgraded"))
                {
                    Count("downgraded");
                }

                var isInternal = internals.Contains(outcome.Address);
                if (item.IsSystem || isInternal || !request.IsRequested)
                {
                    Assert.True(outcome.Kind == OutcomeKind.Delivered, context + ": " + outcome.Address + " was " + outcome.Kind);
                    Assert.Same(mime, outcome.Mime);
                    if (outcome.Override is not null)
                    {
                        Assert.True(enforceForAllMail && !isInternal && !item.IsSystem && !request.IsWaiver, context + ": untagged mail got a route");
                        Assert.Contains(outcome.Override.RoutingDomain.Domain, SecureRoutingDomains);
                    }

                    continue;
                }

                if (outcome.Kind == OutcomeKind.Delivered)
                {
                    var downgraded = Messages.Text(outcome.Mime).Contains("Link-Security-Downgraded");
                    Assert.True(
                        downgraded || (outcome.Override is not null && SecureRoutingDomains.Contains(outcome.Override.RoutingDomain.Domain)),
                        context + ": tagged recipient " + outcome.Address + " delivered without the secure route");
                    if (downgraded)
                    {
                        Assert.Equal(FallbackAction.SafePart, request.Fallback);
                        Assert.Null(outcome.Override);
                    }
                }
                else if (outcome.Kind == OutcomeKind.Bounced)
                {
                    Assert.StartsWith("5.", outcome.Response.EnhancedStatusCode);
                    Assert.False(string.IsNullOrEmpty(outcome.Response.DsnExplanation));
                }
                else
                {
                    Assert.StartsWith("4.", outcome.Response.EnhancedStatusCode);
                }
            }
        }

        Assert.True(checkedRecipients > messages, "too few recipients were exercised");
        foreach (var kind in new[] { "Delivered", "Bounced", "Deferred", "secure", "downgraded" })
        {
            Assert.True(seen.ContainsKey(kind), "no recipient ended " + kind);
        }

        Assert.True(harness.Pipeline.ForkCount > 0, "no fork happened");
        Assert.True(harness.Pipeline.AsyncCount > 0, "no asynchronous lookup happened");
    }
}
