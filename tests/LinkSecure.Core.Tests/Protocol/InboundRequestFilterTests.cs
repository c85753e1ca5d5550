using LinkSecure.Core.Protocol;
using Xunit;

namespace LinkSecure.Core.Tests.Protocol;

public class InboundRequestFilterTests
{
    [Theory]
    [InlineData("Internal")]
    [InlineData("internal")]
    [InlineData("  Internal ")]
    public void Classify_EveryValueInternal_IsInternal(string value)
    {
        // Act
        var origin = InboundRequestFilter.Classify(new[] { value, "Internal" });

        // Assert
        Assert.Equal(SubmissionOrigin.Internal, origin);
    }

    [Theory]
    [InlineData("Anonymous")]
    [InlineData("Partner")]
    [InlineData("External")]
    [InlineData("")]
    [InlineData("Internal, really")]
    public void Classify_AnyValueNotInternal_IsOutside(string value)
    {
        // Act
        var alone = InboundRequestFilter.Classify(new[] { value });
        var withInternal = InboundRequestFilter.Classify(new[] { "Internal", value });

        // Assert
        Assert.Equal(SubmissionOrigin.Outside, alone);
        Assert.Equal(SubmissionOrigin.Outside, withInternal);
    }

    [Fact]
    public void Classify_NullValue_IsOutside()
    {
        // Act
        var origin = InboundRequestFilter.Classify(new string?[] { null });

        // Assert
        Assert.Equal(SubmissionOrigin.Outside, origin);
    }

    [Fact]
    public void Classify_NoValue_IsUnknown()
    {
        // Act / Assert
        Assert.Equal(SubmissionOrigin.Unknown, InboundRequestFilter.Classify(null));
        Assert.Equal(SubmissionOrigin.Unknown, InboundRequestFilter.Classify(System.Array.Empty<string?>()));
    }

    [Theory]
    [InlineData("Link-Security")]
    [InlineData("x-link-security")]
    [InlineData("Require-TLS-ESMTP")]
    [InlineData("TLS-Required")]
    public void MustRemove_Outside_RemovesEveryRequestAndWaiverField(string name)
    {
        // Act / Assert
        Assert.True(InboundRequestFilter.MustRemove(SubmissionOrigin.Outside, name));
        Assert.False(InboundRequestFilter.MustRemove(SubmissionOrigin.Internal, name));
    }

    [Theory]
    [InlineData("Link-Security-Part")]
    [InlineData("Link-Security-Subject")]
    [InlineData("X-MS-Exchange-Organization-AuthAs")]
    [InlineData("Subject")]
    [InlineData(null)]
    public void MustRemove_ContentMarkersAndOtherFields_AreKept(string? name)
    {
        // Act / Assert
        Assert.False(InboundRequestFilter.MustRemove(SubmissionOrigin.Outside, name));
        Assert.False(InboundRequestFilter.MustRemove(SubmissionOrigin.Unknown, name));
    }

    [Theory]
    [InlineData("Link-Security", false)]
    [InlineData("X-Link-Security", false)]
    [InlineData("Require-TLS-ESMTP", false)]
    [InlineData("tls-required", true)]
    public void MustRemove_UnknownOrigin_RemovesOnlyTheWaiver(string name, bool removed)
    {
        // Act / Assert
        Assert.Equal(removed, InboundRequestFilter.MustRemove(SubmissionOrigin.Unknown, name));
    }

    [Fact]
    public void Fields_AreExactlyTheFieldsTheParserReads()
    {
        // Assert
        Assert.Equal(4, InboundRequestFilter.Fields.Count);
        Assert.All(InboundRequestFilter.Fields, name => Assert.True(RequestParser.IsRequestHeader(name)));
        Assert.True(InboundRequestFilter.IsAuthAsField("x-ms-exchange-organization-authas"));
        Assert.False(InboundRequestFilter.IsAuthAsField("X-MS-Exchange-Organization-AuthSource"));
    }
}
