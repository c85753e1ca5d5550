using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Downgrade;
using MimeKit;
using Xunit;
using Xunit.Abstractions;

namespace LinkSecure.Core.Tests.Downgrade;

/// <summary>
/// Property test over random MIME trees (<see cref="MimeTreeGenerator"/>): no canary ever reaches the output, the
/// safe content arrives byte for byte after decoding, the output parses, and the keep-list fields are preserved exactly.
/// </summary>
/// <remarks>
/// LINKSECURE_PROPERTY_CASES sets the number of cases (default 10,000). LINKSECURE_PROPERTY_SEED sets the base seed to
/// reproduce a run; without it the seed is fixed under CI (CI=true, so CI is reproducible) and random otherwise (so
/// local runs explore). The seed is printed, and a failure names the case's seed and keeps its input in a temp file.
/// </remarks>
public class SafePartDowngraderPropertyTests
{
    private const int CiSeed = 20261128;
    private readonly ITestOutputHelper output;

    public SafePartDowngraderPropertyTests(ITestOutputHelper output) => this.output = output;

    [Fact]
    public void RandomMessages_NeverLeak_KeepSafeContentAndKeepListExactly()
    {
        // Arrange
        var cases = int.TryParse(Environment.GetEnvironmentVariable("LINKSECURE_PROPERTY_CASES"), out var n) && n > 0 ? n : 10_000;
        var seed = BaseSeed();
        output.WriteLine($"property test: {cases} cases, LINKSECURE_PROPERTY_SEED={seed}");
        var notice = DowngradeTestKit.LoadSettings("""{ "downgrade": { "notice": { "text": "From {sender} ({senderAddress}) {messageId} {date}: {safeSubject} / {reason}" } } }""");
        var downgraders = new Dictionary<(bool Notice, bool Extra), SafePartDowngrader>
        {
            [(false, false)] = new(DowngradeSettings.Default),
            [(true, false)] = new(notice),
            [(false, true)] = new(DowngradeTestKit.LoadSettings("""{ "downgrade": { "extraKeepHeaders": [ "X-Keep-Ticket" ] } }""")),
            [(true, true)] = new(DowngradeTestKit.LoadSettings("""{ "downgrade": { "extraKeepHeaders": [ "X-Keep-Ticket" ], "notice": { "text": "{sender}: {safeSubject}" } } }""")),
        };
        var stopwatch = Stopwatch.StartNew();
        var outcomes = new Dictionary<DowngradeOutcome, int>();
        var related = 0;

        for (var i = 0; i < cases; i++)
        {
            var caseSeed = unchecked(seed + i);
            var generated = new MimeTreeGenerator(caseSeed).Generate();
            var useNotice = i % 5 == 4;
            var sut = downgraders[(useNotice, generated.ExtraKeepHeader is not null)];

            // Act
            var (result, bytes) = DowngradeTestKit.Run(sut, generated.Message, seekable: i % 3 != 0, async: i % 7 == 0, readSize: i % 3 == 0 ? 1 + (i % 13) : int.MaxValue);

            // Assert
            try
            {
                Check(generated, result, bytes, useNotice);
            }
            catch (Exception ex)
            {
                var path = Path.Combine(Path.GetTempPath(), $"linksecure-property-{caseSeed}.eml");
                File.WriteAllBytes(path, generated.Message);
                throw new Xunit.Sdk.XunitException($"case {i} failed: LINKSECURE_PROPERTY_SEED={caseSeed} LINKSECURE_PROPERTY_CASES=1 reproduces it; input saved to {path}; result {result}\n{ex.Message}");
            }

            outcomes[result.Outcome] = outcomes.TryGetValue(result.Outcome, out var count) ? count + 1 : 1;
            related += generated.Selected.Count > 1 ? 1 : 0;
        }

        output.WriteLine($"{cases} cases in {stopwatch.Elapsed.TotalSeconds:F1} s; outcomes: {string.Join(", ", outcomes.Select(o => $"{o.Key}={o.Value}"))}; rebuilt multipart/related: {related}");

        // The generator must exercise every outcome that applies (guards against a generator that tests nothing).
        if (cases >= 1000)
        {
            Assert.True(Count(DowngradeOutcome.Downgraded) > cases / 4, "too few downgrades generated");
            Assert.True(Count(DowngradeOutcome.NoSafePart) > 0, "no NoSafePart case generated");
            Assert.True(Count(DowngradeOutcome.NoticeUsed) > 0, "no notice case generated");
            Assert.True(related > 0, "no multipart/related rebuilt");
        }

        int Count(DowngradeOutcome outcome) => outcomes.TryGetValue(outcome, out var count) ? count : 0;
    }

    private static int BaseSeed()
    {
        var text = Environment.GetEnvironmentVariable("LINKSECURE_PROPERTY_SEED");
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed))
        {
            return seed;
        }

        return string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase) ? CiSeed : new Random().Next();
    }

    private static void Check(GeneratedCase generated, DowngradeResult result, byte[] bytes, bool useNotice)
    {
        var expectedOutcome = generated.Selected.Count > 0 ? DowngradeOutcome.Downgraded : useNotice ? DowngradeOutcome.NoticeUsed : DowngradeOutcome.NoSafePart;
        Assert.Equal(expectedOutcome, result.Outcome);
        if (!result.IsWritten)
        {
            Assert.Empty(bytes);
            return;
        }

        // 1. No canary in the raw output.
        var raw = DowngradeTestKit.Latin1Encoding.GetString(bytes);
        foreach (var canary in generated.Canaries)
        {
            Assert.False(raw.IndexOf(canary, StringComparison.Ordinal) >= 0, $"canary {canary} leaked into the output");
        }

        // 2. The output parses, and no canary appears in any decoded part either.
        using var message = MimeMessage.Load(new MemoryStream(bytes));
        var leaves = new List<byte[]>();
        CollectLeaves(message.Body, leaves);
        foreach (var leaf in leaves)
        {
            var decoded = DowngradeTestKit.Latin1Encoding.GetString(leaf);
            foreach (var canary in generated.Canaries)
            {
                Assert.False(decoded.IndexOf(canary, StringComparison.Ordinal) >= 0, $"canary {canary} leaked into a decoded part");
            }
        }

        // 3. The safe content, byte for byte after decoding, in order.
        if (result.Outcome == DowngradeOutcome.Downgraded)
        {
            var expected = MimeTreeGenerator.Leaves(generated.Selected);
            Assert.Equal(expected.Count, leaves.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.True(expected[i].AsSpan().SequenceEqual(leaves[i]), $"safe leaf {i} differs after decoding");
            }

            if (generated.Selected.Count > 1)
            {
                Assert.IsType<MultipartRelated>(message.Body);
            }
        }

        // 4. The keep-list fields, exactly and in order.
        var actualKept = new List<string>();
        foreach (var header in message.Headers)
        {
            var name = header.Field;
            if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Link-Security-Part", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Link-Security-Downgraded", StringComparison.OrdinalIgnoreCase)
                || (!generated.HadMimeVersion && name.Equals("MIME-Version", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            actualKept.Add(DowngradeTestKit.Latin1Encoding.GetString(header.RawField) + ":" + DowngradeTestKit.Latin1Encoding.GetString(header.RawValue));
        }

        var expectedKept = generated.ExpectedKept.Select(k => DowngradeTestKit.Latin1Encoding.GetString(Encoding.UTF8.GetBytes(k))).ToList();
        Assert.Equal(expectedKept, actualKept);
        Assert.Equal(DowngradeTestKit.Reason, message.Headers["Link-Security-Downgraded"]);
    }

    private static void CollectLeaves(MimeEntity? entity, List<byte[]> leaves)
    {
        switch (entity)
        {
            case Multipart multipart:
                foreach (var child in multipart)
                {
                    CollectLeaves(child, leaves);
                }

                break;
            case MessagePart { Message: { } inner }:
                CollectLeaves(inner.Body, leaves);
                break;
            case MimePart part:
                using (var buffer = new MemoryStream())
                {
                    part.Content?.DecodeTo(buffer);
                    leaves.Add(buffer.ToArray());
                }

                break;
        }
    }
}
