using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using LinkSecure.Core.Internal;
using Xunit;
using Xunit.Abstractions;

namespace LinkSecure.Core.Tests.Internal;

public class PublicSuffixListTests
{
    private readonly ITestOutputHelper output;

    public PublicSuffixListTests(ITestOutputHelper output) => this.output = output;

    private static PublicSuffixList List => PublicSuffixList.Default;

    // Cases written after the PSL project's checkPublicSuffix vectors (tests/test_psl.txt), checked against the
    // embedded list version (Debian publicsuffix 20230209.2326-1): where the list has changed since a vector
    // was written (e.g. .cy and .om no longer use wildcards), the case follows the embedded list.
    [Theory]
    // Mixed case and a trailing dot are normalised.
    [InlineData("COM", null)]
    [InlineData("example.COM", "example.com")]
    [InlineData("WwW.Example.COM", "example.com")]
    [InlineData("www.example.com.", "example.com")]
    // Empty labels: not names.
    [InlineData("", null)]
    [InlineData(".com", null)]
    [InlineData(".example.com", null)]
    [InlineData("a..example.com", null)]
    [InlineData("example.com..", null)]
    // Unlisted TLD: the implicit "*" rule.
    [InlineData("example", null)]
    [InlineData("example.example", "example.example")]
    [InlineData("a.b.example.example", "example.example")]
    // TLD with one rule.
    [InlineData("biz", null)]
    [InlineData("domain.biz", "domain.biz")]
    [InlineData("a.b.domain.biz", "domain.biz")]
    // TLD with two-level rules.
    [InlineData("com", null)]
    [InlineData("example.com", "example.com")]
    [InlineData("b.example.com", "example.com")]
    [InlineData("a.b.example.com", "example.com")]
    [InlineData("uk.com", null)]
    [InlineData("example.uk.com", "example.uk.com")]
    [InlineData("a.b.example.uk.com", "example.uk.com")]
    [InlineData("test.ac", "test.ac")]
    [InlineData("co.uk", null)]
    [InlineData("www.example.co.uk", "example.co.uk")]
    // Wildcard with an exception: *.ck and !www.ck.
    [InlineData("ck", null)]
    [InlineData("test.ck", null)]
    [InlineData("b.test.ck", "b.test.ck")]
    [InlineData("a.b.test.ck", "b.test.ck")]
    [InlineData("www.ck", "www.ck")]
    [InlineData("www.www.ck", "www.ck")]
    // Wildcard where the parent is not itself listed: *.bd (the implicit rule covers "bd").
    [InlineData("bd", null)]
    [InlineData("c.bd", null)]
    [InlineData("b.c.bd", "b.c.bd")]
    // Japan: plain, wildcard and exception rules.
    [InlineData("jp", null)]
    [InlineData("test.jp", "test.jp")]
    [InlineData("www.test.jp", "test.jp")]
    [InlineData("ac.jp", null)]
    [InlineData("test.ac.jp", "test.ac.jp")]
    [InlineData("www.test.ac.jp", "test.ac.jp")]
    [InlineData("kyoto.jp", null)]
    [InlineData("test.kyoto.jp", "test.kyoto.jp")]
    [InlineData("ide.kyoto.jp", null)]
    [InlineData("b.ide.kyoto.jp", "b.ide.kyoto.jp")]
    [InlineData("a.b.ide.kyoto.jp", "b.ide.kyoto.jp")]
    [InlineData("c.kobe.jp", null)]
    [InlineData("b.c.kobe.jp", "b.c.kobe.jp")]
    [InlineData("a.b.c.kobe.jp", "b.c.kobe.jp")]
    [InlineData("city.kobe.jp", "city.kobe.jp")]
    [InlineData("www.city.kobe.jp", "city.kobe.jp")]
    // US K12.
    [InlineData("us", null)]
    [InlineData("test.us", "test.us")]
    [InlineData("ak.us", null)]
    [InlineData("test.ak.us", "test.ak.us")]
    [InlineData("k12.ak.us", null)]
    [InlineData("test.k12.ak.us", "test.k12.ak.us")]
    [InlineData("www.test.k12.ak.us", "test.k12.ak.us")]
    // IDN: U-label input is converted; the result is in A-labels.
    [InlineData("食狮.com.cn", "xn--85x722f.com.cn")]
    [InlineData("食狮.公司.cn", "xn--85x722f.xn--55qx5d.cn")]
    [InlineData("www.食狮.公司.cn", "xn--85x722f.xn--55qx5d.cn")]
    [InlineData("shishi.公司.cn", "shishi.xn--55qx5d.cn")]
    [InlineData("公司.cn", null)]
    [InlineData("食狮.中国", "xn--85x722f.xn--fiqs8s")]
    [InlineData("www.食狮.中国", "xn--85x722f.xn--fiqs8s")]
    [InlineData("中国", null)]
    // IDN in A-labels: the list's Unicode rules were converted at load time.
    [InlineData("xn--85x722f.com.cn", "xn--85x722f.com.cn")]
    [InlineData("www.xn--85x722f.xn--55qx5d.cn", "xn--85x722f.xn--55qx5d.cn")]
    [InlineData("shishi.xn--55qx5d.cn", "shishi.xn--55qx5d.cn")]
    [InlineData("xn--55qx5d.cn", null)]
    [InlineData("www.xn--85x722f.xn--fiqs8s", "xn--85x722f.xn--fiqs8s")]
    [InlineData("xn--fiqs8s", null)]
    // PRIVATE section: private suffixes are boundaries too.
    [InlineData("blogspot.com", null)]
    [InlineData("foo.blogspot.com", "foo.blogspot.com")]
    [InlineData("github.io", null)]
    [InlineData("a.b.github.io", "b.github.io")]
    [InlineData("ec2-1-2-3-4.compute.amazonaws.com", null)]
    [InlineData("x.ec2-1-2-3-4.compute.amazonaws.com", "x.ec2-1-2-3-4.compute.amazonaws.com")]
    // The embedded database's providers.
    [InlineData("gmail-smtp-in.l.google.com", "google.com")]
    [InlineData("f-v1.mx.microsoft", "mx.microsoft")]
    [InlineData("mail.protection.outlook.com", "outlook.com")]
    [InlineData("mail.protonmail.ch", "protonmail.ch")]
    public void GetRegistrableDomain_FollowsTheFormalAlgorithm(string name, string? expected)
    {
        // Act
        var actual = List.GetRegistrableDomain(name);

        // Assert
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData("com", true)]
    [InlineData("co.uk", true)]
    [InlineData("blogspot.com", true)]
    [InlineData("test.ck", true)]
    [InlineData("www.ck", false)]
    [InlineData("example", true)] // unlisted TLD
    [InlineData("microsoft", true)]
    [InlineData("mx.microsoft", false)]
    [InlineData("example.com", false)]
    [InlineData("a.example.com", false)]
    [InlineData("xn--55qx5d.cn", true)]
    [InlineData("公司.cn", true)]
    [InlineData("", false)]
    [InlineData(".com", false)]
    public void IsPublicSuffix(string name, bool expected)
    {
        // Act & Assert
        Assert.Equal(expected, List.IsPublicSuffix(name));
    }

    [Theory]
    [InlineData("www.example.co.uk", "co.uk")]
    [InlineData("www.ck", "ck")]
    [InlineData("a.b.test.ck", "test.ck")]
    [InlineData("host.example", "example")]
    public void GetPublicSuffix(string name, string expected)
    {
        // Act & Assert
        Assert.Equal(expected, List.GetPublicSuffix(name));
    }

    [Fact]
    public void Parse_SmallList_ExceptionPrevailsAndLongestRuleWins()
    {
        // Arrange: rules whose outcome does not depend on the list version.
        const string dat = """
        // comment line
        // ===BEGIN ICANN DOMAINS===
        tld
        *.wild.tld
        !keep.wild.tld
        deep.a.tld   trailing text is ignored
        // ===END ICANN DOMAINS===
        // ===BEGIN PRIVATE DOMAINS===
        hosting.tld
        // ===END PRIVATE DOMAINS===
        """;
        var list = PublicSuffixList.Parse(new StringReader(dat));

        // Act & Assert
        Assert.Equal(4, list.IcannRuleCount);
        Assert.Equal(1, list.PrivateRuleCount);
        Assert.Null(list.GetRegistrableDomain("tld"));
        Assert.Equal("x.tld", list.GetRegistrableDomain("w.x.tld"));
        Assert.Null(list.GetRegistrableDomain("any.wild.tld"));
        Assert.Equal("b.any.wild.tld", list.GetRegistrableDomain("a.b.any.wild.tld"));
        Assert.Equal("keep.wild.tld", list.GetRegistrableDomain("www.keep.wild.tld"));
        Assert.Equal("a.tld", list.GetRegistrableDomain("x.a.tld")); // deep.a.tld does not match x.a.tld
        Assert.Equal("x.deep.a.tld", list.GetRegistrableDomain("y.x.deep.a.tld"));
        Assert.Null(list.GetRegistrableDomain("hosting.tld"));
        Assert.Equal("site.hosting.tld", list.GetRegistrableDomain("www.site.hosting.tld"));
        Assert.Equal("example", list.GetPublicSuffix("www.example"));
    }

    [Fact]
    public void Parse_SmallList_WildcardParentIsRegistrableWhenUnlisted()
    {
        // Arrange: "*.wild.tld" alone does not make "wild.tld" a public suffix; "tld" is listed.
        var list = PublicSuffixList.Parse(new StringReader("tld\n*.wild.tld\n"));

        // Act & Assert
        Assert.Equal("wild.tld", list.GetRegistrableDomain("wild.tld"));
        Assert.False(list.IsPublicSuffix("wild.tld"));
        Assert.True(list.IsPublicSuffix("x.wild.tld"));
    }

    [Fact]
    public void Parse_UnicodeRules_AreStoredAsALabels()
    {
        // Arrange
        var list = PublicSuffixList.Parse(new StringReader("cn\n公司.cn\n*.例子.cn\n"));

        // Act & Assert
        Assert.True(list.IsPublicSuffix("xn--55qx5d.cn"));
        Assert.True(list.IsPublicSuffix("x.xn--fsqu00a.cn"));
        Assert.Equal(0, list.UnconvertibleRuleCount);
    }

    [Fact]
    public void Default_HasBothSectionsAndConvertsEveryRule()
    {
        // Act
        var list = PublicSuffixList.Default;

        // Assert
        Assert.True(list.IcannRuleCount > 6000, $"ICANN rules: {list.IcannRuleCount}");
        Assert.True(list.PrivateRuleCount > 2000, $"PRIVATE rules: {list.PrivateRuleCount}");
        Assert.Equal(0, list.UnconvertibleRuleCount);
    }

    [Fact]
    public void Default_IsOneInstanceAcrossThreads()
    {
        // Act
        var instances = Enumerable.Range(0, 16).AsParallel().Select(_ => PublicSuffixList.Default).Distinct().ToArray();
        var answers = Enumerable.Range(0, 200).AsParallel().Select(i => List.GetRegistrableDomain($"h{i}.example.co.uk")).Distinct().ToArray();

        // Assert
        Assert.Single(instances);
        Assert.Equal(new[] { "example.co.uk" }, answers);
    }

    [Fact]
    public void EmbeddedList_KeepsItsLicenceHeader()
    {
        // Arrange
        using var stream = typeof(PublicSuffixList).Assembly.GetManifestResourceStream(PublicSuffixList.EmbeddedResourceName);
        Assert.NotNull(stream);
        using var reader = new StreamReader(stream!, Encoding.UTF8);

        // Act
        var head = reader.ReadLine() + reader.ReadLine();

        // Assert
        Assert.Contains("Mozilla Public", head);
    }

    [Fact]
    public void Load_IsFast()
    {
        // Arrange: the first parse pays for JIT; the figure that matters is a warm parse.
        var bytes = ReadEmbedded();
        Parse(bytes);

        // Act
        var best = TimeSpan.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var watch = Stopwatch.StartNew();
            Parse(bytes);
            watch.Stop();
            best = watch.Elapsed < best ? watch.Elapsed : best;
        }

        // Assert (the bound is 50 ms; the margin covers a loaded CI machine and Mono)
        output.WriteLine($"best warm parse: {best.TotalMilliseconds:F1} ms");
        Assert.True(best < TimeSpan.FromMilliseconds(150), $"parse took {best.TotalMilliseconds:F1} ms");
    }

    private static byte[] ReadEmbedded()
    {
        using var stream = typeof(PublicSuffixList).Assembly.GetManifestResourceStream(PublicSuffixList.EmbeddedResourceName)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static PublicSuffixList Parse(byte[] bytes)
    {
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8);
        return PublicSuffixList.Parse(reader);
    }
}
