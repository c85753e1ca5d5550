using LinkSecure.Core.Handling;
using LinkSecure.Core.Protocol;
using Xunit;

namespace LinkSecure.Core.Tests.Handling;

/// <summary>The replies a host builds on a later event, where only the codes stored with a recipient are at hand.</summary>
public class LaterEventRepliesTests
{
    [Fact]
    public void DowngradeImpossible_FromStoredCodes_KeepsThem_AndSpeaksPlainly()
    {
        // Act
        var reply = SmtpReply.DowngradeImpossible("jörg@bücher.example", "550", "5.7.10", "no TLS", DowngradeFailure.NotMime, "TnefPart present");

        // Assert
        Assert.Equal("550", reply.ReplyCode);
        Assert.Equal("5.7.10", reply.EnhancedCode);
        Assert.Contains("jörg@bücher.example", reply.Explanation);
        Assert.DoesNotContain("TNEF", reply.Explanation);
        Assert.DoesNotContain("MIME", reply.Explanation);
        Assert.StartsWith("LinkSecure: no TLS; downgrade impossible:", reply.Detail);
        Assert.Contains("TnefPart present", reply.Detail);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("451", "4.4.3")]
    [InlineData("550", "4.7.30")]
    [InlineData("55", "5.7.30")]
    public void DowngradeImpossible_WithMissingOrTransientCodes_IsThe5730Bounce(string? reply, string? enhanced)
    {
        // Act
        var result = SmtpReply.DowngradeImpossible("a@b.example", reply, enhanced, null, DowngradeFailure.NoSafePart, null);

        // Assert
        Assert.True(result.IsPermanent);
        Assert.Equal("550", result.ReplyCode);
        Assert.Equal("5.7.30", result.EnhancedCode);
        Assert.StartsWith("LinkSecure: link security not available; downgrade impossible:", result.Detail);
    }

    [Fact]
    public void InternalErrorReplies_Are430And530_WithTheWhatInTheDetailOnly()
    {
        // Act
        var deferral = SmtpReply.InternalErrorDeferral("Fork threw InvalidOperationException");
        var bounce = SmtpReply.InternalErrorBounce("a@b.example", "Remove returned false");

        // Assert
        Assert.Equal(("451", "4.3.0"), (deferral.ReplyCode, deferral.EnhancedCode));
        Assert.False(deferral.IsPermanent);
        Assert.Contains("Fork threw InvalidOperationException", deferral.Detail);
        Assert.Equal(("550", "5.3.0"), (bounce.ReplyCode, bounce.EnhancedCode));
        Assert.Contains("a@b.example", bounce.Explanation);
        Assert.DoesNotContain("Remove", bounce.Explanation);
        Assert.Contains("Remove returned false", bounce.Detail);
    }

    [Fact]
    public void DowngradeReasonFor_NamesTheRequestedLevel()
    {
        // Arrange
        var request = new LinkSecurityRequest(LinkSecurityLevel.BounceInsecure, FallbackAction.SafePart, false, RequestSources.LinkSecurity);

        // Act
        var reason = MessageDecision.DowngradeReasonFor(request);

        // Assert
        Assert.Equal("link-security level " + (int)LinkSecurityLevel.BounceInsecure + " requested; the recipient's link is not known to meet it", reason);
    }
}
