using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;

namespace LinkSecure.Core.Internal;

/// <summary>
/// The Public Suffix List (https://publicsuffix.org/list/) and its "Formal algorithm": which part of a domain name
/// anyone can register under (the public suffix, e.g. <c>com</c>, <c>co.uk</c>, <c>blogspot.com</c>) and which
/// name is the registrable domain (the public suffix plus one label, e.g. <c>example.co.uk</c>).
/// </summary>
/// <remarks>
/// <para>
/// The list data is Mozilla's <c>public_suffix_list.dat</c> (MPL-2.0), embedded from Debian's <c>publicsuffix</c>
/// package (<c>scripts/update-public-suffix-list.sh</c>; the version in use is recorded in docs/known-domains.md).
/// Both sections are used, ICANN and PRIVATE: a private suffix such as <c>blogspot.com</c> is a registration
/// boundary too (its customers are different parties), which is what a certificate-name decision needs.
/// </para>
/// <para>
/// Algorithm: a rule matches a name when the rule's labels equal the name's right-most labels, where a <c>*</c>
/// label matches any one label. The implicit rule <c>*</c> always matches, so an unlisted top-level domain is a
/// public suffix. Among matching rules an exception rule (<c>!</c>) prevails, and the public suffix is then the
/// exception rule minus its left-most label; otherwise the matching rule with the most labels prevails and the
/// public suffix is the name's labels it matched.
/// </para>
/// <para>
/// Names are compared as A-labels (punycode) in lower case. The file's Unicode rules are converted with
/// <see cref="IdnMapping"/> when loading; Unicode input is converted the same way.
/// </para>
/// </remarks>
internal sealed class PublicSuffixList
{
    /// <summary>The manifest name of the embedded list (LinkSecure.Core.csproj).</summary>
    internal const string EmbeddedResourceName = "LinkSecure.Core.public_suffix_list.dat";

    private static readonly char[] WhiteSpace = { ' ', '\t' };

    private static readonly Lazy<PublicSuffixList> DefaultList =
        new(LoadEmbedded, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly HashSet<string> rules;
    private readonly HashSet<string> wildcardParents;
    private readonly HashSet<string> exceptions;

    private PublicSuffixList(HashSet<string> rules, HashSet<string> wildcardParents, HashSet<string> exceptions, int icannRules, int privateRules, int unconvertibleRules)
    {
        this.rules = rules;
        this.wildcardParents = wildcardParents;
        this.exceptions = exceptions;
        IcannRuleCount = icannRules;
        PrivateRuleCount = privateRules;
        UnconvertibleRuleCount = unconvertibleRules;
    }

    /// <summary>Gets the embedded list, loaded on first use (thread-safe).</summary>
    public static PublicSuffixList Default => DefaultList.Value;

    /// <summary>Gets the number of rules read from the ICANN section.</summary>
    public int IcannRuleCount { get; }

    /// <summary>Gets the number of rules read from the PRIVATE section.</summary>
    public int PrivateRuleCount { get; }

    /// <summary>Gets the number of rules left out because <see cref="IdnMapping"/> could not convert them (0 for
    /// the embedded list; a test asserts it).</summary>
    public int UnconvertibleRuleCount { get; }

    /// <summary>Reads a list in the <c>public_suffix_list.dat</c> format.</summary>
    /// <param name="reader">The list text.</param>
    /// <returns>The list.</returns>
#if NET
    // Runs once per process over ~14,000 lines: fully optimised code from the first call (tier-0 code with its
    // on-stack replacement made the cold load several times slower).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
#endif
    public static PublicSuffixList Parse(TextReader reader)
    {
        if (reader is null)
        {
            throw new ArgumentNullException(nameof(reader));
        }

        var rules = new HashSet<string>(StringComparer.Ordinal);
        var wildcardParents = new HashSet<string>(StringComparer.Ordinal);
        var exceptions = new HashSet<string>(StringComparer.Ordinal);
        var idn = new IdnMapping { AllowUnassigned = true };
        var inPrivate = false;
        int icann = 0, privateCount = 0, unconvertible = 0;

        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            var text = line.Trim();
            if (text.Length == 0)
            {
                continue;
            }

            if (text.StartsWith("//", StringComparison.Ordinal))
            {
                if (text.IndexOf("===BEGIN PRIVATE DOMAINS===", StringComparison.Ordinal) >= 0)
                {
                    inPrivate = true;
                }
                else if (text.IndexOf("===END PRIVATE DOMAINS===", StringComparison.Ordinal) >= 0)
                {
                    inPrivate = false;
                }

                continue;
            }

            // A rule is the text up to the first white space.
            var end = text.IndexOfAny(WhiteSpace);
            var rule = end < 0 ? text : text.Substring(0, end);

            HashSet<string> target;
            string body;
            if (rule.StartsWith("!", StringComparison.Ordinal))
            {
                target = exceptions;
                body = rule.Substring(1);
            }
            else if (rule.StartsWith("*.", StringComparison.Ordinal))
            {
                target = wildcardParents;
                body = rule.Substring(2);
            }
            else
            {
                target = rules;
                body = rule;
            }

            var ascii = ToAscii(body, idn);
            if (ascii is null || ascii.IndexOf('*') >= 0)
            {
                // Not convertible, or a wildcard in another position (the list has none): left out and counted.
                unconvertible++;
                continue;
            }

            target.Add(ascii);
            if (inPrivate)
            {
                privateCount++;
            }
            else
            {
                icann++;
            }
        }

        return new PublicSuffixList(rules, wildcardParents, exceptions, icann, privateCount, unconvertible);
    }

    /// <summary>Gets the registrable domain of a name: its public suffix plus one label.</summary>
    /// <param name="asciiLowerName">A domain name in A-labels (upper case, one trailing dot and U-labels are
    /// accepted and normalised).</param>
    /// <returns>The registrable domain in lower-case A-labels; <see langword="null"/> when the name is itself a
    /// public suffix or is not a well-formed name (empty, empty labels such as a leading dot).</returns>
    public string? GetRegistrableDomain(string asciiLowerName)
    {
        var name = Normalise(asciiLowerName);
        if (name is null)
        {
            return null;
        }

        var starts = SuffixStarts(name);
        var suffixLabels = PublicSuffixLabelCount(name, starts);
        return starts.Count > suffixLabels ? name.Substring(starts[suffixLabels]) : null;
    }

    /// <summary>Gets the public suffix of a name (for an unlisted top-level domain, that label).</summary>
    /// <param name="name">A domain name.</param>
    /// <returns>The public suffix; <see langword="null"/> when the name is not well formed.</returns>
    public string? GetPublicSuffix(string name)
    {
        var normalised = Normalise(name);
        if (normalised is null)
        {
            return null;
        }

        var starts = SuffixStarts(normalised);
        return normalised.Substring(starts[PublicSuffixLabelCount(normalised, starts) - 1]);
    }

    /// <summary>Is the name itself a public suffix (e.g. <c>com</c>, <c>co.uk</c>, <c>blogspot.com</c>, or any
    /// unlisted top-level domain)?</summary>
    /// <param name="name">A domain name.</param>
    /// <returns><see langword="true"/> when nobody can hold the name as a registered domain;
    /// <see langword="false"/> when it is at or below a registrable domain, or not well formed.</returns>
    public bool IsPublicSuffix(string name)
    {
        var normalised = Normalise(name);
        if (normalised is null)
        {
            return false;
        }

        var starts = SuffixStarts(normalised);
        return PublicSuffixLabelCount(normalised, starts) == starts.Count;
    }

    private static PublicSuffixList LoadEmbedded()
    {
        using var stream = typeof(PublicSuffixList).Assembly.GetManifestResourceStream(EmbeddedResourceName)
            ?? throw new InvalidOperationException("The embedded Public Suffix List is missing from the assembly.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return Parse(reader);
    }

    /// <summary>Lower case, A-labels, one trailing dot removed; <see langword="null"/> when not well formed.</summary>
    private static string? Normalise(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }

        var text = name!.EndsWith(".", StringComparison.Ordinal) ? name.Substring(0, name.Length - 1) : name;
        var ascii = ToAscii(text, new IdnMapping());
        if (ascii is null || ascii.Length == 0 || ascii.Length > 253)
        {
            return null;
        }

        // No empty labels: ".com", "a..b" and "a." (after the one trailing dot) are not names.
        if (ascii[0] == '.' || ascii[ascii.Length - 1] == '.' || ascii.IndexOf("..", StringComparison.Ordinal) >= 0)
        {
            return null;
        }

        return ascii;
    }

    /// <summary>Lower-case A-label form; <see langword="null"/> when a U-label cannot be converted.</summary>
    private static string? ToAscii(string text, IdnMapping idn)
    {
        var ascii = true;
        foreach (var c in text)
        {
            if (c > '\u007f')
            {
                ascii = false;
                break;
            }
        }

#pragma warning disable CA1308 // DNS names are compared in lower case (the list's own form).
        if (ascii)
        {
            return text.ToLowerInvariant();
        }

        try
        {
            return idn.GetAscii(text).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return null;
        }
#pragma warning restore CA1308
    }

    /// <summary>starts[k - 1] is where the suffix of k labels begins.</summary>
    private static List<int> SuffixStarts(string name)
    {
        var starts = new List<int>(8);
        for (var i = name.Length - 1; i >= 0; i--)
        {
            if (name[i] == '.')
            {
                starts.Add(i + 1);
            }
        }

        starts.Add(0);
        return starts;
    }

    /// <summary>How many right-most labels of the name form its public suffix (at least 1: the implicit <c>*</c>
    /// rule).</summary>
    private int PublicSuffixLabelCount(string name, List<int> starts)
    {
        var best = 1;
        string? shorter = null;
        for (var k = 1; k <= starts.Count; k++)
        {
            var suffix = name.Substring(starts[k - 1]);
            if (exceptions.Contains(suffix))
            {
                // An exception prevails over every other matching rule; the public suffix is the exception rule
                // minus its left-most label.
                return k - 1;
            }

            if (rules.Contains(suffix) || (shorter is not null && wildcardParents.Contains(shorter)))
            {
                best = k;
            }

            shorter = suffix;
        }

        return best;
    }
}
