using System.IO;
using System.Linq;
using System.Text;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Database;
using Xunit;

namespace LinkSecure.Core.Tests.Configuration;

public class DowngradeSettingsTests
{
    [Fact]
    public void NoSection_GivesDefaults()
    {
        // Act
        var settings = Load("{}");

        // Assert
        Assert.Same(DowngradeSettings.Default, settings.Downgrade);
        Assert.Empty(settings.Downgrade.ExtraKeepHeaders);
        Assert.Null(settings.Downgrade.Notice);
    }

    [Fact]
    public void FullNotice_IsRead()
    {
        // Arrange
        const string Json = """
        {
          "downgrade": {
            "extraKeepHeaders": [ "X-Ticket-Id", "Organization" ],
            "notice": {
              "subject": "Secure message: {safeSubject}",
              "text": [ "From {sender}", "Read at {pickupUrl}" ],
              "html": "<a href=\"{pickupUrl}\">read</a>",
              "pickupUrl": "https://pickup.example.com/m/{messageId}"
            }
          }
        }
        """;

        // Act
        var downgrade = Load(Json).Downgrade;

        // Assert
        Assert.Equal(new[] { "X-Ticket-Id", "Organization" }, downgrade.ExtraKeepHeaders);
        var notice = Assert.IsType<NoticeSettings>(downgrade.Notice);
        Assert.Equal("Secure message: {safeSubject}", notice.Subject);
        Assert.Equal("From {sender}\nRead at {pickupUrl}\n", notice.Text);
        Assert.Equal("<a href=\"{pickupUrl}\">read</a>", notice.Html);
        Assert.Equal("https://pickup.example.com/m/{messageId}", notice.PickupUrl);
    }

    [Theory]
    [InlineData("""{ "downgrade": { "keep": [] } }""", "$.downgrade.keep", "unknown setting")]
    [InlineData("""{ "downgrade": { "notice": { "text": "x", "footer": "y" } } }""", "$.downgrade.notice.footer", "unknown setting")]
    [InlineData("""{ "downgrade": { "extraKeepHeaders": [ "Content-Type" ] } }""", "$.downgrade.extraKeepHeaders[0]", "MIME content field")]
    [InlineData("""{ "downgrade": { "extraKeepHeaders": [ "X-A", "Bad Name" ] } }""", "$.downgrade.extraKeepHeaders[1]", "not a header field name")]
    [InlineData("""{ "downgrade": { "extraKeepHeaders": [ "Link-Security-Part" ] } }""", "$.downgrade.extraKeepHeaders[0]", "managed by the downgrade")]
    [InlineData("""{ "downgrade": { "extraKeepHeaders": "X-A" } }""", "$.downgrade.extraKeepHeaders", "expected an array")]
    [InlineData("""{ "downgrade": { "notice": { } } }""", "$.downgrade.notice", "give \"text\", \"html\" or both")]
    [InlineData("""{ "downgrade": { "notice": { "text": "Hi {recipient}" } } }""", "$.downgrade.notice.text", "unknown placeholder '{recipient}'")]
    [InlineData("""{ "downgrade": { "notice": { "text": "Hi {sender" } } }""", "$.downgrade.notice.text", "unclosed '{'")]
    [InlineData("""{ "downgrade": { "notice": { "text": "Hi }" } } }""", "$.downgrade.notice.text", "unmatched '}'")]
    [InlineData("""{ "downgrade": { "notice": { "html": "{pickupUrl}" } } }""", "$.downgrade.notice.html", "pickupUrl is not set")]
    [InlineData("""{ "downgrade": { "notice": { "subject": "{nope}", "text": "x" } } }""", "$.downgrade.notice.subject", "unknown placeholder")]
    [InlineData("""{ "downgrade": { "notice": { "text": "x", "pickupUrl": "http://pickup.example.com/{messageId}" } } }""", "$.downgrade.notice.pickupUrl", "https://")]
    [InlineData("""{ "downgrade": { "notice": { "text": "x", "pickupUrl": "https://pickup.example.com/a b" } } }""", "$.downgrade.notice.pickupUrl", "whitespace")]
    [InlineData("""{ "downgrade": { "notice": { "text": "x", "pickupUrl": "https://x.example/{pickupUrl}" } } }""", "$.downgrade.notice.pickupUrl", "cannot be used here")]
    [InlineData("""{ "downgrade": { "notice": { "text": "x", "pickupUrl": "{messageId}" } } }""", "$.downgrade.notice.pickupUrl", "https://")]
    [InlineData("""{ "downgrade": { "notice": { "text": [ "a", 2 ] } } }""", "$.downgrade.notice.text[1]", "expected a string")]
    [InlineData("""{ "downgrade": { "notice": { "text": [] } } }""", "$.downgrade.notice.text", "must not be empty")]
    [InlineData("""{ "downgrade": { "notice": "text" } }""", "$.downgrade.notice", "expected an object")]
    public void InvalidSettings_AreReportedWithTheirJsonPath(string json, string path, string message)
    {
        // Act
        var ex = Assert.Throws<DocumentException>(() => Load(json));

        // Assert
        Assert.Contains(ex.Errors, e => e.Path == path && e.Message.IndexOf(message, System.StringComparison.Ordinal) >= 0);
    }

    [Fact]
    public void SeveralErrors_AreAllReported()
    {
        // Arrange
        const string Json = """{ "downgrade": { "extraKeepHeaders": [ "Content-ID" ], "notice": { "text": "{x}", "html": "{y}" } } }""";

        // Act
        var ex = Assert.Throws<DocumentException>(() => Load(Json));

        // Assert
        Assert.Equal(
            new[] { "$.downgrade.extraKeepHeaders[0]", "$.downgrade.notice.text", "$.downgrade.notice.html" },
            ex.Errors.Select(e => e.Path).ToArray());
    }

    private static LinkSecureSettings Load(string json) =>
        LinkSecureSettings.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)), "test");
}
