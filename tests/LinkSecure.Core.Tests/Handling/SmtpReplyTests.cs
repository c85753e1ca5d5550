using System;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Handling;
using Xunit;

namespace LinkSecure.Core.Tests.Handling;

public class SmtpReplyTests
{
    [Fact]
    public void CleanStatusText_IsPrintableAsciiOnOneLine()
    {
        // Act
        var text = SmtpReply.CleanStatusText("  LinkSecure:\r\n level\t0 for bücher.example\u0000 \u2028end  ");

        // Assert
        Assert.Equal("LinkSecure: level 0 for b?cher.example end", text);
    }

    [Fact]
    public void CleanStatusText_IsBoundedTo400_AndEmptyForNull()
    {
        // Act
        var bounded = SmtpReply.CleanStatusText(new string('x', 399) + " yz" + new string('w', 50));

        // Assert
        Assert.Equal(new string('x', 399), bounded);
        Assert.Equal(string.Empty, SmtpReply.CleanStatusText(null));
        Assert.Equal(string.Empty, SmtpReply.CleanStatusText(" \r\n "));
    }

    [Fact]
    public void CleanExplanation_KeepsNonAscii_RemovesControlsAndBidiOverrides()
    {
        // Act
        var text = SmtpReply.CleanExplanation("Not delivered to jörg@bücher.example 📧\r\n\tbecause\u0007 \u202Egnp.exe\u202C\uFEFF\u0085ok\u2029.");

        // Assert
        Assert.Equal("Not delivered to jörg@bücher.example 📧 because gnp.exe ok .", text);
    }

    [Fact]
    public void CleanExplanation_DropsUnpairedSurrogates_AndNeverCutsAPair()
    {
        // Act
        var lone = SmtpReply.CleanExplanation("a\uD800b\uDC00c");
        var atLimit = SmtpReply.CleanExplanation(new string('a', 999) + "📧");

        // Assert
        Assert.Equal("abc", lone);
        Assert.Equal(new string('a', 999), atLimit);
        Assert.Equal(string.Empty, SmtpReply.CleanExplanation(null));
    }

    [Fact]
    public void Reply_CleansBothTexts_AndTellsPermanentFromTransient()
    {
        // Act
        var bounce = new SmtpReply(EnhancedStatusCode.RequiredLevelNotMet, "Für jörg@bücher.example\r\nnicht zugestellt", "LinkSecure: bücher\r\n");
        var defer = new SmtpReply(EnhancedStatusCode.LookupFailed, "later", "LinkSecure: later");

        // Assert
        Assert.Equal("550", bounce.ReplyCode);
        Assert.Equal("5.7.30", bounce.EnhancedCode);
        Assert.Equal("Für jörg@bücher.example nicht zugestellt", bounce.Explanation);
        Assert.Equal("LinkSecure: b?cher", bounce.Detail);
        Assert.True(bounce.IsPermanent);
        Assert.False(defer.IsPermanent);
        Assert.Equal("451 4.4.3 LinkSecure: later", defer.ToString());
    }

    [Theory]
    [InlineData("550", "4.4.3")] // RFC 3463 §2: the class digits must agree
    [InlineData("250", "2.0.0")] // not a failure
    [InlineData("55", "5.7.30")]
    public void Reply_RejectsCodesThatDisagree(string reply, string enhanced)
    {
        // Act / Assert
        Assert.Throws<ArgumentException>(() => new SmtpReply(new EnhancedStatusCode(reply, enhanced), "x", "y"));
    }
}
