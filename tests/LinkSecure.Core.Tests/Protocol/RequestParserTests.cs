using System.Collections.Generic;
using System.IO;
using System.Text;
using LinkSecure.Core.Protocol;
using MimeKit;
using Xunit;

namespace LinkSecure.Core.Tests.Protocol;

public class RequestParserTests
{
    private static LinkSecurityRequest ParsePairs(params (string Name, string Value)[] headers)
    {
        var list = new List<KeyValuePair<string, string>>();
        foreach (var (name, value) in headers)
        {
            list.Add(new KeyValuePair<string, string>(name, value));
        }

        return RequestParser.Parse(list);
    }

    private static LinkSecurityRequest ParseMessage(string headerBlock)
    {
        var bytes = Encoding.UTF8.GetBytes(headerBlock.Replace("\n", "\r\n") + "\r\n\r\nbody\r\n");
        var message = MimeMessage.Load(new MemoryStream(bytes));
        return RequestParser.Parse(message.Headers);
    }

    [Fact]
    public void NoRelevantHeaders_ReturnsSharedNoneInstance()
    {
        // Arrange
        var headers = new[] { ("From", "a@example.com"), ("Subject", "hello"), ("X-Mailer", "test") };

        // Act
        var request = ParsePairs(headers);

        // Assert
        Assert.Same(LinkSecurityRequest.None, request);
        Assert.False(request.IsRequested);
        Assert.False(request.IsWaiver);
        Assert.Empty(request.Warnings);
    }

    [Theory]
    [InlineData("level=2; fallback=safe-part", LinkSecurityLevel.ReadSecure, FallbackAction.SafePart)]
    [InlineData("level=4;fallback=bounce", LinkSecurityLevel.ForwardSecure, FallbackAction.Bounce)]
    [InlineData("  LEVEL = 3 ;  Fallback =  SAFE-PART  ", LinkSecurityLevel.BounceInsecure, FallbackAction.SafePart)]
    [InlineData("fallback=safe-part", LinkSecurityLevel.TransportSecure, FallbackAction.SafePart)]
    [InlineData("level=2", LinkSecurityLevel.ReadSecure, FallbackAction.Bounce)]
    [InlineData("", LinkSecurityLevel.TransportSecure, FallbackAction.Bounce)]
    [InlineData("level=1; fallback=bounce; x-future=7; another=thing", LinkSecurityLevel.TransportSecure, FallbackAction.Bounce)]
    [InlineData("level=2;", LinkSecurityLevel.ReadSecure, FallbackAction.Bounce)]
    public void WellFormedValues_AreParsed(string value, LinkSecurityLevel level, FallbackAction fallback)
    {
        // Act
        var request = ParsePairs(("Link-Security", value));

        // Assert
        Assert.Equal(level, request.Level);
        Assert.Equal(fallback, request.Fallback);
        Assert.Empty(request.Warnings);
        Assert.Equal(RequestSources.LinkSecurity, request.Sources);
    }

    [Theory]
    [InlineData("level=5; fallback=safe-part")]
    [InlineData("level=high")]
    [InlineData("level=-1")]
    [InlineData("level=2; fallback=discard")]
    [InlineData("level")]
    [InlineData("=2")]
    [InlineData("level=2; level=3")]
    [InlineData("level=2 fallback=safe-part")]
    [InlineData("level=12")]
    public void MalformedValues_ReadAsStrictest_WithWarning(string value)
    {
        // Act
        var request = ParsePairs(("Link-Security", value));

        // Assert
        Assert.Equal(LinkSecurityLevel.TransportSecure, request.Level);
        Assert.Equal(FallbackAction.Bounce, request.Fallback);
        var warning = Assert.Single(request.Warnings);
        Assert.Contains("malformed", warning);
    }

    [Fact]
    public void OversizedValue_IsMalformed()
    {
        // Arrange
        var value = "level=2; fallback=safe-part; pad=" + new string('x', 2000);

        // Act
        var request = ParsePairs(("Link-Security", value));

        // Assert
        Assert.Equal(LinkSecurityLevel.TransportSecure, request.Level);
        Assert.Equal(FallbackAction.Bounce, request.Fallback);
        Assert.Single(request.Warnings);
    }

    [Fact]
    public void LevelZero_IsAnExplicitClear()
    {
        // Act
        var request = ParsePairs(("Link-Security", "level=0"));

        // Assert
        Assert.False(request.IsRequested);
        Assert.False(request.IsWaiver);
        Assert.Equal(RequestSources.LinkSecurity, request.Sources);
    }

    [Fact]
    public void SeveralFields_StrictestWinsPerDimension()
    {
        // Act
        var request = ParsePairs(("Link-Security", "level=1; fallback=safe-part"), ("X-Link-Security", "level=3; fallback=safe-part"), ("Link-Security", "level=2; fallback=bounce"));

        // Assert
        Assert.Equal(LinkSecurityLevel.BounceInsecure, request.Level);
        Assert.Equal(FallbackAction.Bounce, request.Fallback);
        Assert.Equal(RequestSources.LinkSecurity | RequestSources.XLinkSecurity, request.Sources);
    }

    [Fact]
    public void LevelZeroAndARequest_RequestWins()
    {
        // Act
        var request = ParsePairs(("Link-Security", "level=0"), ("Link-Security", "level=2; fallback=safe-part"));

        // Assert
        Assert.Equal(LinkSecurityLevel.ReadSecure, request.Level);
        Assert.Equal(FallbackAction.SafePart, request.Fallback);
    }

    [Fact]
    public void XLinkSecurityAlias_HasSameMeaning()
    {
        // Act
        var request = ParsePairs(("x-link-security", "level=2; fallback=safe-part"));

        // Assert
        Assert.Equal(LinkSecurityLevel.ReadSecure, request.Level);
        Assert.Equal(FallbackAction.SafePart, request.Fallback);
        Assert.Equal(RequestSources.XLinkSecurity, request.Sources);
    }

    [Theory]
    [InlineData("yes")]
    [InlineData(" YES ")]
    public void RequireTlsEsmtpYes_MeansLevel1Bounce(string value)
    {
        // Act
        var request = ParsePairs(("Require-TLS-ESMTP", value));

        // Assert
        Assert.Equal(LinkSecurityLevel.TransportSecure, request.Level);
        Assert.Equal(FallbackAction.Bounce, request.Fallback);
        Assert.Equal(RequestSources.RequireTlsEsmtp, request.Sources);
    }

    [Fact]
    public void RequireTlsEsmtpOtherValue_IsIgnoredWithWarning()
    {
        // Act
        var request = ParsePairs(("Require-TLS-ESMTP", "maybe"));

        // Assert
        Assert.False(request.IsRequested);
        Assert.Single(request.Warnings);
    }

    [Theory]
    [InlineData("No")]
    [InlineData("no")]
    [InlineData(" NO ")]
    public void TlsRequiredNo_IsAWaiver(string value)
    {
        // Act
        var request = ParsePairs(("TLS-Required", value));

        // Assert
        Assert.True(request.IsWaiver);
        Assert.False(request.IsRequested);
        Assert.Equal(RequestSources.TlsRequiredNo, request.Sources);
    }

    [Fact]
    public void TlsRequiredNoWithRequest_RequestWinsAndIsLogged()
    {
        // Act
        var request = ParsePairs(("TLS-Required", "No"), ("Link-Security", "level=2"));

        // Assert
        Assert.False(request.IsWaiver);
        Assert.Equal(LinkSecurityLevel.ReadSecure, request.Level);
        Assert.Contains(request.Warnings, w => w.Contains("request wins"));
        Assert.True(request.Sources.HasFlag(RequestSources.TlsRequiredNo));
    }

    [Fact]
    public void TlsRequiredWithOtherValue_IsNotAWaiver()
    {
        // Act
        var request = ParsePairs(("TLS-Required", "No"), ("TLS-Required", "Yes"));

        // Assert
        Assert.False(request.IsWaiver);
        Assert.False(request.IsRequested);
        Assert.NotEmpty(request.Warnings);
    }

    [Fact]
    public void FoldedHeaderInMessage_IsUnfoldedAndParsed()
    {
        // Act
        var request = ParseMessage("From: a@example.com\nLink-Security: level=3;\n fallback=safe-part\nSubject: x");

        // Assert
        Assert.Equal(LinkSecurityLevel.BounceInsecure, request.Level);
        Assert.Equal(FallbackAction.SafePart, request.Fallback);
    }

    [Fact]
    public void FoldedValueInPairs_IsUnfolded()
    {
        // Act
        var request = ParsePairs(("Link-Security", "level=2;\r\n\tfallback=safe-part"));

        // Assert
        Assert.Equal(LinkSecurityLevel.ReadSecure, request.Level);
        Assert.Equal(FallbackAction.SafePart, request.Fallback);
    }

    [Fact]
    public void EncodedWordValue_IsDecodedOnce()
    {
        // Act: "level=2; fallback=safe-part" as an RFC 2047 Q encoded-word
        var request = ParsePairs(("Link-Security", "=?us-ascii?Q?level=3D2=3B_fallback=3Dsafe-part?="));

        // Assert
        Assert.Equal(LinkSecurityLevel.ReadSecure, request.Level);
        Assert.Equal(FallbackAction.SafePart, request.Fallback);
    }

    [Fact]
    public void MessageHeaderList_ParsesLikePairs()
    {
        // Act
        var request = ParseMessage("From: a@example.com\nX-Link-Security: level=4; fallback=bounce\nTLS-Required: No");

        // Assert
        Assert.Equal(LinkSecurityLevel.ForwardSecure, request.Level);
        Assert.False(request.IsWaiver);
    }

    [Fact]
    public void ToString_UsesHeaderSyntax()
    {
        // Act
        var request = ParsePairs(("Link-Security", "LEVEL=2; FALLBACK=SAFE-PART"));

        // Assert
        Assert.Equal("level=2; fallback=safe-part", request.ToString());
        Assert.Equal("none", LinkSecurityRequest.None.ToString());
    }
}
