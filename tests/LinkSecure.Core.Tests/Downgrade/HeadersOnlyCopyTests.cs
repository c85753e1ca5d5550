using System;
using System.IO;
using System.Text;
using System.Threading.Tasks;
using LinkSecure.Core.Downgrade;
using Xunit;

namespace LinkSecure.Core.Tests.Downgrade;

public class HeadersOnlyCopyTests
{
    private static readonly byte[] Invoice = File.ReadAllBytes(TestPaths.TestData("downgrade", "invoice-mixed-pdf.eml"));

    [Fact]
    public void Default_CopiesEveryField_WithTheSafeSubject_AndNoBody()
    {
        // Act
        var (result, text) = Run(Invoice, null);

        // Assert
        Assert.True(result.IsWritten);
        Assert.StartsWith("Received: from mail.contoso.example (mail.contoso.example [192.0.2.10])\r\n\tby mx.contoso.example", text);
        Assert.Contains("\r\nDKIM-Signature: v=1;", text);
        Assert.Contains("\r\nSubject: A new document is waiting for you\r\n", text);
        Assert.DoesNotContain("EUR 1,234.56 due\r\nDate", text);
        Assert.DoesNotContain("Link-Security-Subject", text);
        Assert.EndsWith("Content-Type: multipart/mixed; boundary=\"outer-boundary\"\r\n", text);
        Assert.DoesNotContain("\r\n\r\n", text);
        Assert.Equal(text.Length, result.BytesWritten);
        Assert.Equal(18, result.FieldCount);
        Assert.False(result.ContainsEightBit);
    }

    [Fact]
    public void ReplaceSubjectOff_KeepsTheOriginal()
    {
        // Act
        var (_, text) = Run(Invoice, new HeadersOnlyOptions { ReplaceSubject = false });

        // Assert
        Assert.Contains("\r\nSubject: Your November invoice: EUR 1,234.56 due\r\n", text);
        Assert.Contains("\r\nLink-Security-Subject: A new document is waiting for you\r\n", text);
    }

    [Fact]
    public void KeepListOnly_DropsEverythingElse()
    {
        // Act
        var (result, text) = Run(Invoice, new HeadersOnlyOptions { KeepListOnly = true, ExtraKeepHeaders = new[] { "X-Mailer" } });

        // Assert
        Assert.DoesNotContain("DKIM", text);
        Assert.DoesNotContain("Content-Type", text);
        Assert.DoesNotContain("Thread-Topic", text);
        Assert.Contains("\r\nX-Mailer: Contoso Billing", text);
        Assert.Contains("\r\nSubject: A new document is waiting for you\r\n", text);
        Assert.Equal(11, result.FieldCount);
    }

    [Fact]
    public void EightBitField_IsReported()
    {
        // Act
        var (result, _) = Run(File.ReadAllBytes(TestPaths.TestData("downgrade", "eight-bit-headers.eml")), null);

        // Assert
        Assert.True(result.ContainsEightBit);
    }

    [Fact]
    public void OnlyTheHeaderIsRead()
    {
        // Arrange: the body is unreadable; the header copy must not need it.
        var header = Encoding.ASCII.GetBytes("From: a@example.com\r\nSubject: x\r\n\r\n");
        var message = new byte[header.Length + 1_000_000];
        header.CopyTo(message, 0);
        using var input = new ThrowingAfterStream(message, header.Length + 16 * 1024);
        using var output = new MemoryStream();

        // Act
        var result = HeadersOnlyCopy.Write(input, output);

        // Assert
        Assert.True(result.IsWritten);
        Assert.Equal("From: a@example.com\r\nSubject: x\r\n", Encoding.ASCII.GetString(output.ToArray()));
    }

    [Theory]
    [InlineData("", "the input is empty")]
    [InlineData("\u0001\u0002 not a header\r\n", "not a MIME message")]
    public void Malformed_WritesNothing(string message, string reason)
    {
        // Act
        var (result, text) = Run(Encoding.ASCII.GetBytes(message), null);

        // Assert
        Assert.False(result.IsWritten);
        Assert.Contains(reason, result.Reason);
        Assert.Empty(text);
    }

    [Fact]
    public async Task Async_EqualsSync()
    {
        // Arrange
        using var output = new MemoryStream();

        // Act
        var result = await HeadersOnlyCopy.WriteAsync(new MemoryStream(Invoice), output);

        // Assert
        Assert.True(result.IsWritten);
        Assert.Equal(Run(Invoice, null).Text, DowngradeTestKit.Latin1Encoding.GetString(output.ToArray()));
    }

    [Fact]
    public void NullArguments_Throw()
    {
        // Act + Assert
        Assert.Equal("input", Assert.Throws<ArgumentNullException>(() => HeadersOnlyCopy.Write(null!, Stream.Null)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentNullException>(() => HeadersOnlyCopy.Write(Stream.Null, null!)).ParamName);
    }

    private static (HeadersOnlyResult Result, string Text) Run(byte[] message, HeadersOnlyOptions? options)
    {
        using var output = new MemoryStream();
        var result = HeadersOnlyCopy.Write(new MemoryStream(message), output, options);
        return (result, DowngradeTestKit.Latin1Encoding.GetString(output.ToArray()));
    }

    private sealed class ThrowingAfterStream : MemoryStream
    {
        private readonly int limit;

        public ThrowingAfterStream(byte[] data, int limit)
            : base(data, writable: false) => this.limit = limit;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (Position >= limit)
            {
                throw new InvalidOperationException("the body was read");
            }

            return base.Read(buffer, offset, count);
        }
    }
}
