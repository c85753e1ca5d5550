using System;
using System.IO;
using System.Linq;
using System.Text;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Downgrade;
using MimeKit;
using Xunit;

namespace LinkSecure.Core.Tests.Downgrade;

/// <summary>
/// Hostile input: the result is always a well-formed downgraded message or <see cref="DowngradeOutcome.Malformed"/>
/// with a reason; never an exception from the message, never unbounded memory.
/// </summary>
public class SafePartDowngraderHostileInputTests
{
    private const string Top = "From: a@contoso.example\nTo: b@example.com\nSubject: s\nMessage-ID: <h@contoso.example>\nMIME-Version: 1.0\n";

    [Fact]
    public void DeepNesting_BeyondLimit_IsMalformed()
    {
        // Arrange: 200 nested multiparts with the safe part at the bottom.
        var input = DowngradeTestKit.Crlf(Top + Nested(200));

        // Act
        var (result, output) = DowngradeTestKit.Run(input);

        // Assert
        Assert.Equal(DowngradeOutcome.Malformed, result.Outcome);
        Assert.Contains("nested deeper than the limit of 64", result.Reason);
        Assert.Empty(output);
    }

    [Fact]
    public void DeepNesting_WithinLimit_FindsTheSafePart()
    {
        // Arrange
        var input = DowngradeTestKit.Crlf(Top + Nested(60));

        // Act
        var (result, output) = DowngradeTestKit.Run(input);

        // Assert
        Assert.Equal(DowngradeOutcome.Downgraded, result.Outcome);
        Assert.EndsWith("deep safe text", Encoding.ASCII.GetString(output));
    }

    [Fact]
    public void DeepNesting_InsideAttachedMessages_CountsTowardsTheLimit()
    {
        // Arrange: 100 levels of forwarded messages.
        var body = "Content-Type: text/plain\n\ninnermost";
        for (var i = 0; i < 100; i++)
        {
            body = "Content-Type: message/rfc822\n\nFrom: x@example.com\n" + body;
        }

        var input = DowngradeTestKit.Crlf(Top + "Content-Type: multipart/mixed; boundary=\"o\"\n\n--o\nContent-Type: text/plain\nLink-Security-Part: safe\n\nsafe\n--o\n" + body + "\n--o--\n");

        // Act
        var (result, _) = DowngradeTestKit.Run(input);

        // Assert
        Assert.Equal(DowngradeOutcome.Malformed, result.Outcome);
        Assert.Contains("nested deeper", result.Reason);
    }

    [Fact]
    public void ThousandsOfParts_WithinLimit_AreDowngraded()
    {
        // Arrange
        var input = DowngradeTestKit.Crlf(Top + ManyParts(5000));

        // Act
        var (result, output) = DowngradeTestKit.Run(input);

        // Assert
        Assert.Equal(DowngradeOutcome.Downgraded, result.Outcome);
        Assert.EndsWith("safe among many", Encoding.ASCII.GetString(output));
        Assert.DoesNotContain("filler", Encoding.ASCII.GetString(output));
    }

    [Fact]
    public void TooManyParts_IsMalformed()
    {
        // Arrange
        var input = DowngradeTestKit.Crlf(Top + ManyParts(12_000));

        // Act
        var (result, output) = DowngradeTestKit.Run(input);

        // Assert
        Assert.Equal(DowngradeOutcome.Malformed, result.Outcome);
        Assert.Contains("more than the limit of 10,000 MIME entities", result.Reason);
        Assert.Empty(output);
    }

    [Fact]
    public void MultipartWithoutBoundaryParameter_IsMalformed()
    {
        // Arrange
        var input = DowngradeTestKit.Crlf(Top + "Content-Type: multipart/mixed\n\n--x\nContent-Type: text/plain\nLink-Security-Part: safe\n\nsafe\n--x--\n");

        // Act
        var (result, _) = DowngradeTestKit.Run(input);

        // Assert
        Assert.Equal(DowngradeOutcome.Malformed, result.Outcome);
        Assert.Contains("multipart/mixed at byte", result.Reason);
        Assert.Contains("no boundary parameter", result.Reason);
    }

    [Fact]
    public void BoundaryThatNeverOccurs_IsMalformed()
    {
        // Arrange: declared "real", used "fake"; MimeKit reads everything as preamble.
        var input = DowngradeTestKit.Crlf(Top + "Content-Type: multipart/mixed; boundary=\"real\"\n\n--fake\nContent-Type: text/plain\nLink-Security-Part: safe\n\nsafe\n--fake--\n");

        // Act
        var (result, _) = DowngradeTestKit.Run(input);

        // Assert
        Assert.Equal(DowngradeOutcome.Malformed, result.Outcome);
        Assert.Contains("no body parts", result.Reason);
    }

    [Fact]
    public void HugeBoundaryParameter_IsMalformed()
    {
        // Arrange: a 100,000-character boundary (under the header-field limit).
        var boundary = new string('b', 100_000);
        var input = DowngradeTestKit.Crlf(Top + "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\n\n--" + boundary + "\nContent-Type: text/plain\nLink-Security-Part: safe\n\nsafe\n--" + boundary + "--\n");

        // Act
        var (result, _) = DowngradeTestKit.Run(input);

        // Assert
        Assert.Equal(DowngradeOutcome.Malformed, result.Outcome);
        Assert.Contains("boundary longer than 994 characters", result.Reason);
    }

    [Fact]
    public void MissingCloseDelimiter_IsTolerated_AndTheSafePartIsExact()
    {
        // Arrange: a truncated message; the safe part comes before the cut.
        var input = DowngradeTestKit.Crlf(Top + "Content-Type: multipart/mixed; boundary=\"x\"\n\n--x\nContent-Type: text/plain\nLink-Security-Part: safe\n\nsafe text\n--x\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\nSECRETSECRET");

        // Act
        var (result, output) = DowngradeTestKit.Run(input);

        // Assert
        Assert.Equal(DowngradeOutcome.Downgraded, result.Outcome);
        var text = Encoding.ASCII.GetString(output);
        Assert.EndsWith("\r\n\r\nsafe text", text);
        Assert.DoesNotContain("SECRET", text);
    }

    [Fact]
    public void BrokenStructureInsideAnAttachedMessage_IsNotTheMessagesProblem()
    {
        // Arrange: the attached message's multipart has no boundary; it is content, not our tree.
        var input = DowngradeTestKit.Crlf(Top + "Content-Type: multipart/mixed; boundary=\"o\"\n\n--o\nContent-Type: text/plain\nLink-Security-Part: safe\n\nsafe\n--o\nContent-Type: message/rfc822\n\nFrom: x@example.com\nContent-Type: multipart/mixed\n\nno boundary\n--o--\n");

        // Act
        var (result, _) = DowngradeTestKit.Run(input);

        // Assert
        Assert.Equal(DowngradeOutcome.Downgraded, result.Outcome);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void HugeHeaderLine_IsMalformed_WithBoundedMemory(bool seekable)
    {
        // Arrange: a 20 MB header line (folded or not, MimeKit would buffer it whole).
        var builder = new StringBuilder("From: a@contoso.example\r\nX-Huge: ");
        builder.Append('A', 20 * 1024 * 1024).Append("\r\nContent-Type: text/plain\r\nLink-Security-Part: safe\r\n\r\nbody");
        var input = Encoding.ASCII.GetBytes(builder.ToString());
        builder.Clear();

        // Act
        var before = GC.GetAllocatedBytesForCurrentThread();
        var (result, output) = DowngradeTestKit.Run(input, seekable: seekable);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Assert
        Assert.Equal(DowngradeOutcome.Malformed, result.Outcome);
        Assert.Contains("longer than the limit of 131,072 bytes", result.Reason);
        Assert.Empty(output);
        Assert.True(allocated < 4 * 1024 * 1024, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void HugeHeaderLineInAPart_IsMalformed()
    {
        // Arrange
        var input = DowngradeTestKit.Crlf(Top + "Content-Type: multipart/mixed; boundary=\"x\"\n\n--x\nContent-Type: text/plain\nContent-Description: " + new string('d', 300_000) + "\n\nbody\n--x--\n");

        // Act
        var (result, _) = DowngradeTestKit.Run(input);

        // Assert
        Assert.Equal(DowngradeOutcome.Malformed, result.Outcome);
        Assert.Contains("header field", result.Reason);
    }

    [Fact]
    public void TooManyHeaderFields_IsMalformed()
    {
        // Arrange
        var input = DowngradeTestKit.Crlf("From: a@contoso.example\n" + string.Concat(Enumerable.Repeat("Received: x\n", 3000)) + "\nbody");

        // Act
        var (result, _) = DowngradeTestKit.Run(input);

        // Assert
        Assert.Equal(DowngradeOutcome.Malformed, result.Outcome);
        Assert.Contains("more than the limit of 2,000 fields", result.Reason);
    }

    [Fact]
    public void EightBitAndInvalidBytesInHeaders_AreCopiedRawWhenKept_AndDroppedOtherwise()
    {
        // Arrange: raw Latin-1 and invalid UTF-8 in a kept field; NUL and 8-bit in dropped fields and names.
        var head = DowngradeTestKit.Latin1Encoding.GetBytes("From: J\xfcrgen \xff\xfe <j@contoso.example>\r\nSubject: caf\xe9 \x00 x\r\nX-\xe4rger: SECRET1\r\nX-Bin: \x01\x02SECRET2\x7f\r\nno colon line SECRET3\r\n");
        var rest = DowngradeTestKit.Crlf("Content-Type: multipart/mixed; boundary=\"x\"\n\n--x\nContent-Type: text/plain; charset=x-unknown-charset\nContent-Transfer-Encoding: base64\nLink-Security-Part: safe\n\n!!!not base64!!!\n--x--\n");
        var input = head.Concat(rest).ToArray();

        // Act
        var (result, output) = DowngradeTestKit.Run(input);

        // Assert
        Assert.Equal(DowngradeOutcome.Downgraded, result.Outcome);
        var text = DowngradeTestKit.Latin1(output);
        Assert.StartsWith("From: J\xfcrgen \xff\xfe <j@contoso.example>\r\nSubject: caf\xe9 \x00 x\r\n", text);
        Assert.DoesNotContain("SECRET", text);
        Assert.EndsWith("charset=x-unknown-charset\r\nContent-Transfer-Encoding: base64\r\nLink-Security-Part: safe\r\n\r\n!!!not base64!!!", text);
        using var parsed = MimeMessage.Load(new MemoryStream(output));
        Assert.IsType<TextPart>(parsed.Body);
    }

    [Fact]
    public void MarkerInsideAttachmentsEmbeddedMessage_IsIgnored_EvenDeepInside()
    {
        // Arrange: mixed → message/rfc822 → mixed → message/rfc822 → marked text.
        var inner = "From: y@example.com\nContent-Type: text/plain\nLink-Security-Part: safe\n\nDEEP-SECRET";
        var middle = "From: x@example.com\nContent-Type: multipart/mixed; boundary=\"m\"\n\n--m\nContent-Type: message/rfc822\n\n" + inner + "\n--m--";
        var input = DowngradeTestKit.Crlf(Top + "Content-Type: multipart/mixed; boundary=\"o\"\n\n--o\nContent-Type: text/plain\n\nOUTER-SECRET\n--o\nContent-Type: message/rfc822\n\n" + middle + "\n--o--\n");

        // Act
        var (result, output) = DowngradeTestKit.Run(input);

        // Assert
        Assert.Equal(DowngradeOutcome.NoSafePart, result.Outcome);
        Assert.Contains("1 marker(s) inside attached messages ignored", result.Reason);
        Assert.Empty(output);
    }

    [Theory]
    [InlineData("safe", true)]
    [InlineData("SAFE", true)]
    [InlineData("  safe ; note=public", true)]
    [InlineData("unsafe", false)]
    [InlineData("safe-ish", false)]
    [InlineData("", false)]
    [InlineData("confidential", false)]
    public void MarkerValue_IsTheFirstTokenCaseInsensitive(string value, bool marked)
    {
        // Arrange
        var input = DowngradeTestKit.Crlf(Top + "Content-Type: multipart/mixed; boundary=\"x\"\n\n--x\nContent-Type: text/plain\nLink-Security-Part: " + value + "\n\nmarked?\n--x--\n");

        // Act
        var (result, _) = DowngradeTestKit.Run(input);

        // Assert
        Assert.Equal(marked ? DowngradeOutcome.Downgraded : DowngradeOutcome.NoSafePart, result.Outcome);
    }

    [Fact]
    public void ConflictingMarkers_DoNotMarkTheEntity()
    {
        // Arrange: "safe" and "confidential" on the same part: left out; the next marked part wins.
        var input = DowngradeTestKit.Crlf(Top + "Content-Type: multipart/mixed; boundary=\"x\"\n\n--x\nContent-Type: text/plain\nLink-Security-Part: safe\nLink-Security-Part: confidential\n\nCONFLICT-SECRET\n--x\nContent-Type: text/plain\nLink-Security-Part: safe\n\nclean safe part\n--x--\n");

        // Act
        var (result, output) = DowngradeTestKit.Run(input);

        // Assert
        Assert.Equal(DowngradeOutcome.Downgraded, result.Outcome);
        Assert.EndsWith("clean safe part", Encoding.ASCII.GetString(output));
        Assert.DoesNotContain("CONFLICT", Encoding.ASCII.GetString(output));
    }

    [Fact]
    public void RelatedStartParameter_NamesTheRoot()
    {
        // Arrange: the start parameter names the second part as root; it is marked, as is the third; the first
        // (not the root) is marked too but comes first, so it is the safe part alone.
        const string Related = "Content-Type: multipart/related; boundary=\"r\"; type=\"text/html\"; start=\"<root@x>\"\n\n";
        var rootMarked = DowngradeTestKit.Crlf(Top + Related + "--r\nContent-Type: image/png\nContent-ID: <img1@x>\n\nIMG1-SECRET\n--r\nContent-Type: text/html\nContent-ID: <root@x>\nLink-Security-Part: safe\n\n<p>root</p>\n--r\nContent-Type: image/png\nContent-ID: <img2@x>\nLink-Security-Part: safe\n\nimg2\n--r--\n");

        // Act
        var (result, output) = DowngradeTestKit.Run(rootMarked);

        // Assert
        Assert.Equal(DowngradeOutcome.Downgraded, result.Outcome);
        using var parsed = MimeMessage.Load(new MemoryStream(output));
        var related = Assert.IsType<MultipartRelated>(parsed.Body);
        Assert.Equal(2, related.Count);
        Assert.Equal("root@x", related[0].ContentId);
        Assert.Equal("img2@x", related[1].ContentId);
        Assert.DoesNotContain("IMG1", Encoding.ASCII.GetString(output));
    }

    [Fact]
    public void MarkedNonRootOfRelated_StandsAlone()
    {
        // Arrange: the HTML root is not marked; a marked image is the safe part, but it is no root: siblings stay out.
        var input = DowngradeTestKit.Crlf(Top + "Content-Type: multipart/related; boundary=\"r\"; type=\"text/html\"\n\n--r\nContent-Type: text/html\n\nROOT-SECRET\n--r\nContent-Type: image/png\nLink-Security-Part: safe\n\nimg1\n--r\nContent-Type: image/png\nLink-Security-Part: safe\n\nIMG2-LATER\n--r--\n");

        // Act
        var (result, output) = DowngradeTestKit.Run(input);

        // Assert
        Assert.Equal(DowngradeOutcome.Downgraded, result.Outcome);
        var text = Encoding.ASCII.GetString(output);
        Assert.EndsWith("Content-Type: image/png\r\nLink-Security-Part: safe\r\n\r\nimg1", text);
        Assert.DoesNotContain("IMG2", text);
    }

    [Fact]
    public void GeneratedBoundary_AvoidsLinesInTheEnclosedParts()
    {
        // Arrange: the safe HTML contains lines that look like the first two generated boundaries.
        var input = DowngradeTestKit.Crlf(Top + "Content-Type: multipart/related; boundary=\"r\"; type=\"text/html\"\n\n--r\nContent-Type: text/html\nLink-Security-Part: safe\n\n--=_LinkSecure_related_0_\n--=_LinkSecure_related_1_--\n<p>html</p>\n--r\nContent-Type: image/png\nLink-Security-Part: safe\n\nimg\n--r--\n");

        // Act
        var (result, output) = DowngradeTestKit.Run(input);

        // Assert
        Assert.Equal(DowngradeOutcome.Downgraded, result.Outcome);
        Assert.Contains("boundary=\"=_LinkSecure_related_2_\"", Encoding.ASCII.GetString(output));
        using var parsed = MimeMessage.Load(new MemoryStream(output));
        var related = Assert.IsType<MultipartRelated>(parsed.Body);
        Assert.Equal(2, related.Count);
        using var decoded = new MemoryStream();
        ((TextPart)related[0]).Content!.DecodeTo(decoded);
        Assert.Equal("--=_LinkSecure_related_0_\r\n--=_LinkSecure_related_1_--\r\n<p>html</p>", Encoding.ASCII.GetString(decoded.ToArray()));
    }

    [Fact]
    public void Notice_WithHostileHeaderValues_RendersSafely()
    {
        // Arrange: broken encoded words, an unknown charset, invalid UTF-8, a From that does not parse, a huge value.
        var head = DowngradeTestKit.Latin1Encoding.GetBytes(
            "From: =?x-bogus?q?=ZZ=?= \"unterminated <@@>\r\n" +
            "Message-ID: <" + new string('m', 5000) + "@x>\r\n" +
            "Date: \xff\xfe not a date\r\n" +
            "Link-Security-Subject: =?utf-8?b?!!!notbase64?= \xc3\x28 <script>\r\n" +
            "Content-Type: text/plain\r\n\r\nSECRET body");
        var settings = DowngradeTestKit.LoadSettings("""{ "downgrade": { "notice": { "subject": "{safeSubject} {sender}", "text": "{sender}|{senderAddress}|{safeSubject}|{messageId}|{date}", "html": "<p title=\"{safeSubject}\">{sender} {messageId}</p>" } } }""");

        // Act
        var (result, output) = DowngradeTestKit.Run(head, settings);

        // Assert
        Assert.Equal(DowngradeOutcome.NoticeUsed, result.Outcome);
        var text = DowngradeTestKit.Latin1(output);
        Assert.DoesNotContain("SECRET", text);
        using var parsed = MimeMessage.Load(new MemoryStream(output));
        var alternative = Assert.IsType<MultipartAlternative>(parsed.Body);
        Assert.Equal(2, alternative.Count);
        var html = ((TextPart)alternative[1]).Text;
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("&lt;script&gt;", html);
        Assert.All(parsed.Headers, h => Assert.True(h.RawValue.Length < 1100 || h.Field != "Subject"));
    }

    [Theory]
    [InlineData(new byte[0], "the input is empty")]
    [InlineData(new byte[] { 0x00, 0x01, 0x02, 0xff, 0x0d, 0x0a }, "not a MIME message")]
    public void EmptyOrBinaryInput_IsMalformed(byte[] input, string reason)
    {
        // Act
        var (result, output) = DowngradeTestKit.Run(input);

        // Assert
        Assert.Equal(DowngradeOutcome.Malformed, result.Outcome);
        Assert.Contains(reason, result.Reason);
        Assert.Empty(output);
    }

    [Fact]
    public void UnreadableInput_IsMalformed()
    {
        // Arrange
        var message = File.ReadAllBytes(TestPaths.TestData("downgrade", "invoice-mixed-pdf.eml"));
        using var input = new FailingStream(message, failAfter: 600);
        using var output = new MemoryStream();

        // Act
        var result = new SafePartDowngrader(DowngradeSettings.Default).Downgrade(input, output, DowngradeTestKit.Context);

        // Assert
        Assert.Equal(DowngradeOutcome.Malformed, result.Outcome);
        Assert.Contains("could not be read: disk gone", result.Reason);
        Assert.Equal(0, output.Length);
    }

    [Fact]
    public void SafePartLargerThanBufferLimit_FromForwardOnlyInput_IsMalformed_ButSeekableInputIsFine()
    {
        // Arrange
        var input = DowngradeTestKit.Crlf(Top + "Content-Type: multipart/mixed; boundary=\"x\"\n\n--x\nContent-Type: text/plain\nLink-Security-Part: safe\n\n" + string.Concat(Enumerable.Repeat("safe line of text\n", 20_000)) + "--x--\n");
        var limits = new DowngradeLimits { MaxBufferedBytes = 100_000 };

        // Act
        var (forwardOnly, _) = DowngradeTestKit.Run(input, limits: limits, seekable: false);
        var (seekable, output) = DowngradeTestKit.Run(input, limits: limits, seekable: true);

        // Assert
        Assert.Equal(DowngradeOutcome.Malformed, forwardOnly.Outcome);
        Assert.Contains("may be buffered", forwardOnly.Reason);
        Assert.Equal(DowngradeOutcome.Downgraded, seekable.Outcome);
        Assert.True(output.Length > 360_000);
    }

    [Fact]
    public void RandomGarbage_NeverThrows()
    {
        // Arrange
        var random = new Random(7);
        for (var i = 0; i < 300; i++)
        {
            var input = new byte[100 + random.Next(2000)];
            random.NextBytes(input);
            if (i % 2 == 0)
            {
                // Give half of them a plausible start so the parser goes further.
                Encoding.ASCII.GetBytes("From: a@b\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n").CopyTo(input, 0);
            }

            // Act
            var (result, output) = DowngradeTestKit.Run(input, seekable: i % 3 != 0);

            // Assert
            Assert.True(Enum.IsDefined(typeof(DowngradeOutcome), result.Outcome));
            Assert.Equal(result.IsWritten, output.Length > 0);
        }
    }

    private static string Nested(int depth)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            builder.Append("Content-Type: multipart/mixed; boundary=\"n").Append(i).Append("\"\n\n--n").Append(i).Append('\n');
        }

        builder.Append("Content-Type: text/plain\nLink-Security-Part: safe\n\ndeep safe text");
        for (var i = depth - 1; i >= 0; i--)
        {
            builder.Append("\n--n").Append(i).Append("--");
        }

        return builder.Append('\n').ToString();
    }

    private static string ManyParts(int count)
    {
        var builder = new StringBuilder("Content-Type: multipart/mixed; boundary=\"p\"\n\n");
        for (var i = 0; i < count - 2; i++)
        {
            builder.Append("--p\nContent-Type: text/plain\n\nfiller ").Append(i).Append('\n');
        }

        return builder.Append("--p\nContent-Type: text/plain\nLink-Security-Part: safe\n\nsafe among many\n--p--\n").ToString();
    }

    private sealed class FailingStream : MemoryStream
    {
        private readonly int failAfter;

        public FailingStream(byte[] data, int failAfter)
            : base(data, writable: false) => this.failAfter = failAfter;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (Position >= failAfter)
            {
                throw new IOException("disk gone");
            }

            return base.Read(buffer, offset, Math.Min(count, failAfter - (int)Position));
        }
    }
}
