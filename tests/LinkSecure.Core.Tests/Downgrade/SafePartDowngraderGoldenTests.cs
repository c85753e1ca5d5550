using System;
using System.IO;
using LinkSecure.Core.Downgrade;
using MimeKit;
using Xunit;

namespace LinkSecure.Core.Tests.Downgrade;

/// <summary>
/// Golden files: <c>TestData/downgrade/&lt;case&gt;.eml</c> → <c>&lt;case&gt;[.&lt;config&gt;].expected.eml</c>, byte for byte,
/// for the sync and async APIs and for seekable and forward-only input. Set LINKSECURE_UPDATE_GOLDEN=1 to rewrite the
/// expected files in the source tree; review every change before committing it.
/// </summary>
public class SafePartDowngraderGoldenTests
{
    public static TheoryData<string, string?, DowngradeOutcome> Cases => new()
    {
        { "invoice-mixed-pdf", null, DowngradeOutcome.Downgraded },
        { "outlook-related", null, DowngradeOutcome.Downgraded },
        { "related-html-only", null, DowngradeOutcome.Downgraded },
        { "alternative-marked", null, DowngradeOutcome.Downgraded },
        { "forwarded-rfc822", null, DowngradeOutcome.Downgraded },
        { "marker-only-in-attached-message", null, DowngradeOutcome.NoSafePart },
        { "marker-only-in-attached-message", "notice-text", DowngradeOutcome.NoticeUsed },
        { "smime-signed", null, DowngradeOutcome.Downgraded },
        { "first-marker-wins", null, DowngradeOutcome.Downgraded },
        { "root-marked", null, DowngradeOutcome.Downgraded },
        { "no-marker", null, DowngradeOutcome.NoSafePart },
        { "no-marker", "notice-full", DowngradeOutcome.NoticeUsed },
        { "no-marker", "notice-html", DowngradeOutcome.NoticeUsed },
        { "extra-keep-header", null, DowngradeOutcome.Downgraded },
        { "extra-keep-header", "extra-keep", DowngradeOutcome.Downgraded },
        { "unix-newlines", null, DowngradeOutcome.Downgraded },
        { "digest-default-type", null, DowngradeOutcome.Downgraded },
        { "eight-bit-headers", null, DowngradeOutcome.Downgraded },
        { "safe-attached-message", null, DowngradeOutcome.Downgraded },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Downgrade_MatchesGoldenFile(string name, string? config, DowngradeOutcome expectedOutcome)
    {
        // Arrange
        var input = File.ReadAllBytes(TestPaths.TestData("downgrade", name + ".eml"));
        var sut = new SafePartDowngrader(DowngradeTestKit.LoadConfigFile(config));
        var expectedName = name + (config is null ? string.Empty : "." + config) + ".expected.eml";

        // Act
        var (result, output) = DowngradeTestKit.Run(sut, input);

        // Assert
        Assert.Equal(expectedOutcome, result.Outcome);
        if (!result.IsWritten)
        {
            Assert.Empty(output);
            Assert.False(File.Exists(TestPaths.TestData("downgrade", expectedName)), "a golden file exists for a case that writes nothing");
            return;
        }

        Assert.Equal(output.Length, result.BytesWritten);
        UpdateGoldenIfAsked(expectedName, output);
        var expected = File.ReadAllBytes(TestPaths.TestData("downgrade", expectedName));
        Assert.Equal(DowngradeTestKit.Latin1(expected), DowngradeTestKit.Latin1(output));

        // The same bytes whichever API and input kind is used.
        Assert.Equal(expected, DowngradeTestKit.Run(sut, input, async: true).Output);
        Assert.Equal(expected, DowngradeTestKit.Run(sut, input, seekable: false).Output);
        Assert.Equal(expected, DowngradeTestKit.Run(sut, input, seekable: false, async: true, readSize: 7).Output);

        // And the output is a message MimeKit reads.
        using var parsed = MimeMessage.Load(new MemoryStream(output));
        Assert.NotNull(parsed.Body);
    }

    private static void UpdateGoldenIfAsked(string expectedName, byte[] output)
    {
        if (Environment.GetEnvironmentVariable("LINKSECURE_UPDATE_GOLDEN") != "1")
        {
            return;
        }

        var path = Path.Combine(TestPaths.RepositoryRoot(), "tests", "LinkSecure.Core.Tests", "TestData", "downgrade", expectedName);
        File.WriteAllBytes(path, output);
        File.WriteAllBytes(TestPaths.TestData("downgrade", expectedName), output);
    }
}
