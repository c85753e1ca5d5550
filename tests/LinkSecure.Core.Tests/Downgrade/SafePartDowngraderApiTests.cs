using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Downgrade;
using Xunit;

namespace LinkSecure.Core.Tests.Downgrade;

/// <summary>The public contract: argument validation, cancellation, nothing written unless a message is, thread safety.</summary>
public class SafePartDowngraderApiTests
{
    private static readonly byte[] Invoice = File.ReadAllBytes(TestPaths.TestData("downgrade", "invoice-mixed-pdf.eml"));

    [Fact]
    public void Constructor_NullSettings_Throws()
    {
        // Act + Assert
        var ex = Assert.Throws<ArgumentNullException>(() => new SafePartDowngrader(null!));
        Assert.Equal("settings", ex.ParamName);
    }

    [Fact]
    public void Downgrade_NullOrUnusableArguments_Throw()
    {
        // Arrange
        var sut = new SafePartDowngrader(DowngradeSettings.Default);
        using var input = new MemoryStream(Invoice);
        using var output = new MemoryStream();
        using var readOnly = new MemoryStream(new byte[1], writable: false);
        var context = DowngradeTestKit.Context;

        // Act + Assert
        Assert.Equal("input", Assert.Throws<ArgumentNullException>(() => sut.Downgrade(null!, output, context)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentNullException>(() => sut.Downgrade(input, null!, context)).ParamName);
        Assert.Equal("context", Assert.Throws<ArgumentNullException>(() => sut.Downgrade(input, output, null!)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => sut.Downgrade(input, readOnly, context)).ParamName);
        Assert.Equal("reason", Assert.Throws<ArgumentException>(() => new DowngradeContext(" \r\n ")).ParamName);
        Assert.Equal("reason", Assert.Throws<ArgumentNullException>(() => new DowngradeContext(null!)).ParamName);
    }

    [Fact]
    public async Task Downgrade_Cancelled_ThrowsOperationCanceled()
    {
        // Arrange
        var sut = new SafePartDowngrader(DowngradeSettings.Default);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        // Act + Assert
        Assert.ThrowsAny<OperationCanceledException>(() => sut.Downgrade(new MemoryStream(Invoice), new MemoryStream(), DowngradeTestKit.Context, cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sut.DowngradeAsync(new MemoryStream(Invoice), new MemoryStream(), DowngradeTestKit.Context, cancelled.Token));
    }

    [Fact]
    public void StaticConvenience_EqualsInstanceCall()
    {
        // Arrange
        using var output = new MemoryStream();

        // Act
        var result = SafePartDowngrader.Downgrade(new MemoryStream(Invoice), output, DowngradeSettings.Default, DowngradeTestKit.Context);

        // Assert
        Assert.Equal(DowngradeOutcome.Downgraded, result.Outcome);
        Assert.Equal(DowngradeTestKit.Run(Invoice).Output, output.ToArray());
        Assert.StartsWith("Downgraded: kept the safe part text/plain (entity at byte ", result.ToString());
    }

    [Fact]
    public void Reason_CountsIgnoredLaterMarkers()
    {
        // Arrange
        var input = File.ReadAllBytes(TestPaths.TestData("downgrade", "first-marker-wins.eml"));

        // Act
        var (result, _) = DowngradeTestKit.Run(input);

        // Assert
        Assert.Equal(DowngradeOutcome.Downgraded, result.Outcome);
        Assert.EndsWith("; 2 later marked part(s) ignored (the first wins)", result.Reason);
    }

    [Fact]
    public void Input_IsReadFromItsCurrentPosition()
    {
        // Arrange: the message follows 100 bytes of something else; offsets must be relative to the start position.
        var prefixed = new byte[100 + Invoice.Length];
        Invoice.CopyTo(prefixed, 100);
        using var input = new MemoryStream(prefixed);
        input.Position = 100;
        using var output = new MemoryStream();

        // Act
        var result = new SafePartDowngrader(DowngradeSettings.Default).Downgrade(input, output, DowngradeTestKit.Context);

        // Assert
        Assert.Equal(DowngradeOutcome.Downgraded, result.Outcome);
        Assert.Equal(DowngradeTestKit.Run(Invoice).Output, output.ToArray());
    }

    [Fact]
    public void StreamThatClaimsToSeekButCannotTellItsPosition_IsReadForwardOnly()
    {
        // Arrange
        using var input = new PositionlessStream(Invoice);
        using var output = new MemoryStream();

        // Act
        var result = new SafePartDowngrader(DowngradeSettings.Default).Downgrade(input, output, DowngradeTestKit.Context);

        // Assert
        Assert.Equal(DowngradeOutcome.Downgraded, result.Outcome);
        Assert.Equal(DowngradeTestKit.Run(Invoice).Output, output.ToArray());
    }

    [Fact]
    public void ReasonWithControlCharacters_IsSanitisedAndEncoded()
    {
        // Arrange
        var context = new DowngradeContext("line one\r\nX-Injected: yes\tand Grüße");
        using var output = new MemoryStream();

        // Act
        new SafePartDowngrader(DowngradeSettings.Default).Downgrade(new MemoryStream(Invoice), output, context);

        // Assert
        var text = System.Text.Encoding.ASCII.GetString(output.ToArray());
        Assert.DoesNotContain("\r\nX-Injected", text);
        using var parsed = MimeKit.MimeMessage.Load(new MemoryStream(output.ToArray()));
        Assert.Equal("line one X-Injected: yes and Grüße", parsed.Headers["Link-Security-Downgraded"]);
    }

    [Fact]
    public void ConcurrentCalls_OnOneInstance_GiveIdenticalResults()
    {
        // Arrange
        var sut = new SafePartDowngrader(DowngradeSettings.Default);
        var expected = DowngradeTestKit.Run(sut, Invoice).Output;

        // Act
        var results = new byte[64][];
        Parallel.For(0, results.Length, i => results[i] = DowngradeTestKit.Run(sut, Invoice, seekable: i % 2 == 0, async: i % 3 == 0).Output);

        // Assert
        Assert.All(results, r => Assert.Equal(expected, r));
    }

    [Fact]
    public void Limits_RejectNonsense()
    {
        // Act + Assert
        Assert.Throws<ArgumentOutOfRangeException>(() => new DowngradeLimits { MaxDepth = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new DowngradeLimits { MaxHeaderFieldBytes = 10 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new DowngradeLimits { MaxBufferedBytes = 0 });
        Assert.Equal(64, DowngradeLimits.Default.MaxDepth);
    }

    [Fact]
    public void KeepList_IsTheDocumentedOne()
    {
        // Assert
        Assert.Equal(
            new[] { "From", "Sender", "Reply-To", "To", "Cc", "Date", "Message-ID", "In-Reply-To", "References", "Subject", "MIME-Version", "Received", "Return-Path", "Link-Security" },
            DowngradeKeepList.Headers);
        Assert.True(DowngradeKeepList.IsContentHeader("content-type"));
        Assert.False(DowngradeKeepList.IsContentHeader("X-Content-Type"));
    }

    private sealed class PositionlessStream : MemoryStream
    {
        public PositionlessStream(byte[] data)
            : base(data, writable: false)
        {
        }

        public override long Position
        {
            get => throw new NotSupportedException("no position");
            set => throw new NotSupportedException("no position");
        }
    }
}
