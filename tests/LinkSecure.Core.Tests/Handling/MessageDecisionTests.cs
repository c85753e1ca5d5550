using System;
using System.Linq;
using LinkSecure.Core.Handling;
using LinkSecure.Core.Profiles;
using Xunit;
using static LinkSecure.Core.Tests.Handling.HandlingTestKit;

namespace LinkSecure.Core.Tests.Handling;

public class MessageDecisionTests
{
    private static readonly string[] Jargon = { "TNEF", "MIME", "parser", "byte", "FormatException", "level 0", "LinkSecure" };

    private static RecipientVerdict DowngradeVerdict(string address, DomainProfile profile)
    {
        var source = new ScriptedProfileSource();
        var domain = address.Substring(address.IndexOf('@') + 1);
        var decision = Stack(source).Messages.Decide(Level1SafePart, Recipients(address), new System.Collections.Generic.Dictionary<string, DomainProfile> { [profile.Domain] = profile }, MessageAge.Unknown);
        Assert.Equal(Treatment.Downgrade, decision.Recipients[0].Treatment);
        return decision.Recipients[0];
    }

    [Theory]
    [InlineData(DowngradeFailure.NoSafePart, "no part of it was marked as safe")]
    [InlineData(DowngradeFailure.Malformed, "its content could not be read")]
    [InlineData(DowngradeFailure.TooLarge, "it is too large")]
    [InlineData(DowngradeFailure.NotMime, "sent in a format from which this server cannot take out the protected parts")]
    [InlineData(DowngradeFailure.RewriteFailed, "could not be prepared")]
    public void DowngradeImpossible_ExplainsInPlainWords_DetailCarriesTheTechnicalPart(DowngradeFailure failure, string why)
    {
        // Arrange
        var verdict = DowngradeVerdict("bob@smallshop.example", DomainProfile.Unknown("smallshop.example"));

        // Act
        var reply = MessageDecision.DowngradeImpossible(verdict, failure, "the MIME parser failed at byte 4711 (FormatException)");

        // Assert
        Assert.Equal("550", reply.ReplyCode);
        Assert.Equal("5.7.30", reply.EnhancedCode);
        Assert.StartsWith("Your message was not delivered to bob@smallshop.example because no link-secure connection to this recipient is available and ", reply.Explanation);
        Assert.Contains(why, reply.Explanation);
        Assert.All(Jargon, word => Assert.DoesNotContain(word, reply.Explanation, StringComparison.OrdinalIgnoreCase));
        Assert.StartsWith("LinkSecure: ", reply.Detail);
        Assert.Contains("downgrade impossible", reply.Detail);
        Assert.Contains("(the MIME parser failed at byte 4711 (FormatException))", reply.Detail);
    }

    [Fact]
    public void DowngradeImpossible_EachFailureSaysSomethingDifferent_AndDiffersFromTheVerdictsDefault()
    {
        // Arrange
        var verdict = DowngradeVerdict("bob@smallshop.example", DomainProfile.Unknown("smallshop.example"));

        // Act
        var texts = Enum.GetValues(typeof(DowngradeFailure)).Cast<DowngradeFailure>().Select(f => MessageDecision.DowngradeImpossible(verdict, f, null).Explanation).ToList();
        texts.Add(verdict.Reply!.Explanation);

        // Assert
        Assert.Equal(texts.Count, texts.Distinct().Count());
        Assert.All(texts, t => Assert.All(Jargon, word => Assert.DoesNotContain(word, t, StringComparison.OrdinalIgnoreCase)));
    }

    [Fact]
    public void DowngradeImpossible_KeepsTheVerdictsCodes_AndANonAsciiAddressInTheExplanationOnly()
    {
        // Arrange: a TLS failure falls back with 5.7.10 (RFC 8689 §4.2.1).
        var profile = new DomainProfile("xn--bcher-kva.example") { TlsFailure = "mx.bücher.example offered no STARTTLS" };
        var verdict = DowngradeVerdict("jörg@bücher.example", profile);

        // Act
        var reply = MessageDecision.DowngradeImpossible(verdict, DowngradeFailure.NotMime, null);

        // Assert
        Assert.Equal("550 5.7.10", reply.ReplyCode + " " + reply.EnhancedCode);
        Assert.Contains("jörg@bücher.example", reply.Explanation);
        Assert.All(reply.Detail, c => Assert.InRange(c, ' ', '~'));
        Assert.EndsWith("downgrade impossible: the content is not MIME here (TNEF)", reply.Detail);
    }

    [Fact]
    public void DowngradeImpossible_RejectsOtherTreatments()
    {
        // Arrange
        var source = new ScriptedProfileSource();
        source.Cache["secure.example"] = ScriptedProfileSource.Secure("secure.example");
        var verdict = Stack(source).Messages.Decide(Level1SafePart, Recipients("a@secure.example"), null, MessageAge.Unknown).Recipients[0];

        // Act / Assert
        Assert.Throws<ArgumentException>(() => MessageDecision.DowngradeImpossible(verdict, DowngradeFailure.NoSafePart, null));
        Assert.Throws<ArgumentNullException>(() => MessageDecision.DowngradeImpossible(null!, DowngradeFailure.NoSafePart, null));
    }
}
