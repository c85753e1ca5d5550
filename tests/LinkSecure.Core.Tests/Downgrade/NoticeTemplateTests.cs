using LinkSecure.Core.Downgrade;
using Xunit;

namespace LinkSecure.Core.Tests.Downgrade;

public class NoticeTemplateTests
{
    private static readonly NoticeValues Hostile = new()
    {
        Sender = "Eve \"<b>\" & Co <eve@example.com>",
        SenderAddress = "eve+x@example.com",
        SafeSubject = "Q&A <today> 'now'",
        MessageId = "a b&c=d/e?f#g@example.com",
        Date = "Wed, 2 Dec 2026 09:00:00 +0000",
        Reason = "level 0",
    };

    [Fact]
    public void Substitutions_AreEscapedForTheirContext()
    {
        // Arrange
        TemplateText.TryCompile("https://p.example/r?id={messageId}&s={senderAddress}", false, out var url, out _);
        TemplateText.TryCompile("{sender} / {safeSubject} / {pickupUrl}", true, out var text, out _);
        TemplateText.TryCompile("<a href=\"{pickupUrl}\" title=\"{safeSubject}\">{sender}</a>", true, out var html, out _);
        TemplateText.TryCompile("New: {safeSubject}\r\nInjected: {sender}", true, out var subject, out _);
        var sut = new NoticeTemplate(subject, text, html, url);

        // Act
        var renderedText = sut.RenderText(Hostile);
        var renderedHtml = sut.RenderHtml(Hostile);
        var renderedSubject = sut.RenderSubject(Hostile);

        // Assert
        const string Url = "https://p.example/r?id=a%20b%26c%3Dd%2Fe%3Ff%23g%40example.com&s=eve%2Bx%40example.com";
        Assert.Equal("Eve \"<b>\" & Co <eve@example.com> / Q&A <today> 'now' / " + Url + "\n", renderedText);
        Assert.Equal("<a href=\"" + Url.Replace("&", "&amp;") + "\" title=\"Q&amp;A &lt;today&gt; &#39;now&#39;\">Eve &quot;&lt;b&gt;&quot; &amp; Co &lt;eve@example.com&gt;</a>\n", renderedHtml);
        Assert.Equal("New: Q&A <today> 'now' Injected: Eve \"<b>\" & Co <eve@example.com>", renderedSubject);
    }

    [Theory]
    [InlineData("{{literal}} {sender}", "{literal} S")]
    [InlineData("{ SENDER }", "S")]
    [InlineData("}}", "}")]
    public void Braces_AndCaseInsensitiveNames(string template, string expected)
    {
        // Arrange
        Assert.True(TemplateText.TryCompile(template, true, out var compiled, out _));

        // Act
        var rendered = compiled!.Render(_ => "S");

        // Assert
        Assert.Equal(expected, rendered);
    }

    [Theory]
    [InlineData("line\r\nbreak\u0007bell", "line break bell")]
    [InlineData("  trimmed  ", "trimmed")]
    [InlineData(null, "")]
    public void Sanitize_RemovesControlCharacters(string? value, string expected)
    {
        // Act + Assert
        Assert.Equal(expected, NoticeTemplate.Sanitize(value));
    }

    [Fact]
    public void Sanitize_CutsLongValues()
    {
        // Act
        var result = NoticeTemplate.Sanitize(new string('x', 2000));

        // Assert
        Assert.Equal(NoticeTemplate.MaxValueLength, result.Length);
        Assert.EndsWith("\u2026", result);
    }
}
