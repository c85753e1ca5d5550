using System;
using System.Collections.Generic;
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
/// A bounded mutation fuzzer over the golden inputs (LINKSECURE_FUZZ_ITERATIONS, default 3,000; LINKSECURE_FUZZ_SEED).
/// For every mutant: no exception, a defined outcome, identical results for seekable and forward-only input, an output
/// that MimeKit parses, and no output line that is neither generated nor present in the input.
/// </summary>
public class SafePartDowngraderFuzzTests
{
    private readonly ITestOutputHelper output;

    public SafePartDowngraderFuzzTests(ITestOutputHelper output) => this.output = output;

    /// <summary>The fuzz entry point: one input, every invariant. Usable from a SharpFuzz or libFuzzer harness.</summary>
    /// <param name="input">Any bytes.</param>
    private static readonly SafePartDowngrader WithNotice = new(DowngradeTestKit.LoadSettings("""{ "downgrade": { "notice": { "subject": "{safeSubject} from {sender}", "text": "{sender} {senderAddress} {messageId} {date} {safeSubject}", "html": "<p>{sender} {safeSubject}</p>" } } }"""));

    internal static void FuzzTarget(byte[] input)
    {
        // The notice path: any header values render into a message MimeKit reads.
        var (notice, noticeBytes) = DowngradeTestKit.Run(WithNotice, input);
        Assert.Equal(notice.IsWritten, noticeBytes.Length > 0);
        if (notice.IsWritten)
        {
            using (MimeMessage.Load(new MemoryStream(noticeBytes)))
            {
            }
        }

        var sut = new SafePartDowngrader(DowngradeSettings.Default);
        var (seekable, bytes) = DowngradeTestKit.Run(sut, input, seekable: true);
        var (forwardOnly, forwardBytes) = DowngradeTestKit.Run(sut, input, seekable: false, readSize: 1 + (input.Length % 97));

        Assert.True(Enum.IsDefined(typeof(DowngradeOutcome), seekable.Outcome));
        Assert.Equal(seekable.Outcome, forwardOnly.Outcome);
        Assert.Equal(seekable.Reason, forwardOnly.Reason);
        Assert.Equal(bytes, forwardBytes);
        Assert.Equal(seekable.IsWritten, bytes.Length > 0);
        if (!seekable.IsWritten)
        {
            return;
        }

        using (MimeMessage.Load(new MemoryStream(bytes)))
        {
        }

        // Nothing invented, nothing from elsewhere: every output line is generated or occurs in the input.
        var inputLines = new HashSet<string>(Lines(input), StringComparer.Ordinal);
        var inputText = DowngradeTestKit.Latin1(input);
        foreach (var line in Lines(bytes))
        {
            var generated = line.Length == 0
                || line.StartsWith("Link-Security-Downgraded: ", StringComparison.Ordinal)
                || line == " 0, requested 2"
                || line == "MIME-Version: 1.0"
                || line.StartsWith("--=_LinkSecure_related_", StringComparison.Ordinal)
                || line.StartsWith("Content-Type: multipart/related; type=", StringComparison.Ordinal)
                || line.StartsWith("\tboundary=\"=_LinkSecure_related_", StringComparison.Ordinal)
                || (line.StartsWith("Content-Type: ", StringComparison.Ordinal) && line.IndexOf(';') < 0)
                || (line.StartsWith("Subject:", StringComparison.Ordinal) && inputText.IndexOf(line.Substring(8), StringComparison.Ordinal) >= 0);
            Assert.True(generated || inputLines.Contains(line), $"output line not in the input: {line}");
        }
    }

    [Fact]
    public void MutatedGoldenInputs_KeepEveryInvariant()
    {
        // Arrange
        var iterations = int.TryParse(Environment.GetEnvironmentVariable("LINKSECURE_FUZZ_ITERATIONS"), out var n) && n > 0 ? n : 3000;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("LINKSECURE_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : 4711;
        var corpus = Directory.GetFiles(TestPaths.TestData("downgrade"), "*.eml").Where(f => !f.EndsWith(".expected.eml", StringComparison.Ordinal)).OrderBy(f => f, StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        var random = new Random(seed);
        var outcomes = new Dictionary<DowngradeOutcome, int>();

        for (var i = 0; i < iterations; i++)
        {
            var input = Mutate(corpus[random.Next(corpus.Length)], random);

            // Act + Assert
            try
            {
                FuzzTarget(input);
            }
            catch (Exception ex)
            {
                var path = Path.Combine(Path.GetTempPath(), $"linksecure-fuzz-{seed}-{i}.eml");
                File.WriteAllBytes(path, input);
                throw new Xunit.Sdk.XunitException($"iteration {i} (LINKSECURE_FUZZ_SEED={seed}) failed; input saved to {path}\n{ex}");
            }

            var outcome = new SafePartDowngrader(DowngradeSettings.Default).Downgrade(new MemoryStream(input), Stream.Null, DowngradeTestKit.Context).Outcome;
            outcomes[outcome] = outcomes.TryGetValue(outcome, out var c) ? c + 1 : 1;
        }

        output.WriteLine($"{iterations} mutants (seed {seed}): {string.Join(", ", outcomes.Select(o => $"{o.Key}={o.Value}"))}");
    }

    private static IEnumerable<string> Lines(byte[] bytes) =>
        DowngradeTestKit.Latin1(bytes).Split('\n').Select(l => l.TrimEnd('\r'));

    private static byte[] Mutate(byte[] original, Random random)
    {
        var data = new List<byte>(original);
        var mutations = 1 + random.Next(4);
        for (var m = 0; m < mutations && data.Count > 0; m++)
        {
            var at = random.Next(data.Count);
            switch (random.Next(9))
            {
                case 0: // flip a byte
                    data[at] = (byte)random.Next(256);
                    break;
                case 1: // delete a range
                    data.RemoveRange(at, Math.Min(random.Next(1, 64), data.Count - at));
                    break;
                case 2: // duplicate a range
                    var length = Math.Min(random.Next(1, 200), data.Count - at);
                    data.InsertRange(random.Next(data.Count), data.GetRange(at, length));
                    break;
                case 3: // insert random bytes
                    var junk = new byte[random.Next(1, 16)];
                    random.NextBytes(junk);
                    data.InsertRange(at, junk);
                    break;
                case 4: // truncate
                    data.RemoveRange(at, data.Count - at);
                    break;
                case 5: // a line that looks structural
                    var lines = new[] { "\r\n--outer\r\n", "\r\n--x--\r\n", "\r\nContent-Type: multipart/mixed\r\n", "\r\nLink-Security-Part: safe\r\n", "\r\n\r\n", "\r\nContent-Type: message/rfc822\r\n\r\n", "\r\n--=_LinkSecure_related_0_\r\n" };
                    data.InsertRange(at, Encoding.ASCII.GetBytes(lines[random.Next(lines.Length)]));
                    break;
                case 6: // CRLF → LF at one place
                    var cr = data.IndexOf((byte)'\r', at);
                    if (cr >= 0)
                    {
                        data.RemoveAt(cr);
                    }

                    break;
                case 7: // 8-bit into a header
                    data.Insert(random.Next(Math.Min(data.Count, 400)), (byte)(0x80 + random.Next(128)));
                    break;
                default: // swap two ranges' bytes
                    var other = random.Next(data.Count);
                    (data[at], data[other]) = (data[other], data[at]);
                    break;
            }
        }

        return data.ToArray();
    }
}
