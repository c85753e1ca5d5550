using LinkSecure.Core.Network;
using LinkSecure.Core.Protocol;
using Xunit;

namespace LinkSecure.Core.Tests.Network;

/// <summary>The MTA-STS policy parser's <c>linksecure</c> extension key and <c>max_age</c> cap (RFC 8461 §3.2).</summary>
public class MtaStsPolicyTests
{
    private const string Head = "version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 86400\n";

    [Theory]
    [InlineData("1", LinkSecurityLevel.TransportSecure)]
    [InlineData("2", LinkSecurityLevel.ReadSecure)]
    [InlineData("3", LinkSecurityLevel.BounceInsecure)]
    [InlineData("4", LinkSecurityLevel.ForwardSecure)]
    public void LinkSecureKey_ValidLevel_IsDeclared(string value, LinkSecurityLevel expected)
    {
        // Arrange
        var body = Head + "linksecure: " + value + "\n";

        // Act
        var valid = MtaStsPolicy.TryParse(body, out var policy, out var problem);

        // Assert
        Assert.True(valid, problem);
        Assert.Equal(expected, policy!.DeclaredLevel);
        Assert.Null(policy.DeclaredLevelProblem);
        Assert.Equal("mode enforce, max_age 86400, mx mail.example.com; linksecure " + value, policy.ToString());
    }

    [Theory]
    [InlineData("7")]
    [InlineData("0")]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("3.0")]
    [InlineData("+3")]
    [InlineData("03")]
    public void LinkSecureKey_InvalidValue_IsNotedAndThePolicyStaysValid(string value)
    {
        // Arrange
        var body = Head + "linksecure: " + value + "\n";

        // Act
        var valid = MtaStsPolicy.TryParse(body, out var policy, out var problem);

        // Assert
        Assert.True(valid, problem);
        Assert.Null(policy!.DeclaredLevel);
        Assert.Equal($"linksecure '{value}' is not a level from 1 to 4 and was ignored (unknown extension values are ignored, RFC 8461 §3.2)", policy.DeclaredLevelProblem);
        Assert.Equal("mode enforce, max_age 86400, mx mail.example.com", policy.ToString());
    }

    [Fact]
    public void LinkSecureKey_Repeated_FirstOccurrenceWins()
    {
        // Arrange
        var body = "linksecure: 2\n" + Head + "linksecure: 4\n";

        // Act
        var valid = MtaStsPolicy.TryParse(body, out var policy, out _);

        // Assert
        Assert.True(valid);
        Assert.Equal(LinkSecurityLevel.ReadSecure, policy!.DeclaredLevel);
    }

    [Fact]
    public void LinkSecureKey_RepeatedAfterAnInvalidValue_TheInvalidFirstOneWins()
    {
        // Arrange
        var body = Head + "linksecure: 9\nlinksecure: 3\n";

        // Act
        var valid = MtaStsPolicy.TryParse(body, out var policy, out _);

        // Assert
        Assert.True(valid);
        Assert.Null(policy!.DeclaredLevel);
        Assert.Contains("linksecure '9'", policy.DeclaredLevelProblem);
    }

    [Fact]
    public void LinkSecureKey_WithCrlfAndSpaces_IsDeclared()
    {
        // Arrange
        var body = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nlinksecure:\t 3 \r\nmax_age: 600\r\n";

        // Act
        var valid = MtaStsPolicy.TryParse(body, out var policy, out var problem);

        // Assert
        Assert.True(valid, problem);
        Assert.Equal(LinkSecurityLevel.BounceInsecure, policy!.DeclaredLevel);
    }

    [Fact]
    public void LinkSecureKey_Absent_DeclaresNothing()
    {
        // Act
        var valid = MtaStsPolicy.TryParse(Head, out var policy, out _);

        // Assert
        Assert.True(valid);
        Assert.Null(policy!.DeclaredLevel);
        Assert.Null(policy.DeclaredLevelProblem);
    }

    [Fact]
    public void LinkSecureKey_KeyIsCaseSensitive_OtherSpellingsAreUnknownKeys()
    {
        // Act
        var valid = MtaStsPolicy.TryParse(Head + "LinkSecure: 3\n", out var policy, out _);

        // Assert
        Assert.True(valid);
        Assert.Null(policy!.DeclaredLevel);
        Assert.Null(policy.DeclaredLevelProblem);
    }

    [Theory]
    [InlineData("31557601")]
    [InlineData("9999999999")]
    public void MaxAge_AboveOneYear_IsCappedWithANote(string maxAge)
    {
        // Arrange
        var body = "version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: " + maxAge + "\n";

        // Act
        var valid = MtaStsPolicy.TryParse(body, out var policy, out var problem);

        // Assert
        Assert.True(valid, problem);
        Assert.Equal(MtaStsPolicy.MaxMaxAgeSeconds, (long)policy!.MaxAge.TotalSeconds);
        Assert.Equal($"max_age {maxAge} is above the maximum of 31557600 seconds and was capped to it (RFC 8461 §3.2)", policy.MaxAgeNote);
    }

    [Theory]
    [InlineData("31557600")]
    [InlineData("0")]
    public void MaxAge_WithinTheRange_HasNoNote(string maxAge)
    {
        // Act
        var valid = MtaStsPolicy.TryParse("version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: " + maxAge + "\n", out var policy, out _);

        // Assert
        Assert.True(valid);
        Assert.Null(policy!.MaxAgeNote);
    }

    [Theory]
    [InlineData("99999999999")]
    [InlineData("-1")]
    [InlineData("1e6")]
    public void MaxAge_NotOneToTenDigits_IsInvalid(string maxAge)
    {
        // Act
        var valid = MtaStsPolicy.TryParse("version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: " + maxAge + "\n", out _, out var problem);

        // Assert
        Assert.False(valid);
        Assert.Contains("is not a number of seconds of 1 to 10 digits (RFC 8461 §3.2)", problem);
    }
}
