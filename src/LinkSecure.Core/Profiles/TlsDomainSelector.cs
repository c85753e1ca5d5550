using System;
using System.Collections.Generic;
using System.Linq;
using LinkSecure.Core.Internal;

namespace LinkSecure.Core.Profiles;

/// <summary>
/// Chooses the one TLS domain that Exchange checks the server certificate's name against (a DomainValidation Send
/// connector with a per-recipient TLS domain, <c>SetTlsDomain</c>) from a domain's pinned MX patterns.
/// </summary>
/// <remarks>
/// <para>
/// Inputs are MTA-STS <c>mx</c> patterns (RFC 8461 §4.1): a host name such as <c>mx1.example.com</c>, or <c>*.</c>
/// plus a host name, where the <c>*</c> matches exactly one left-most label (<c>*.mail.example.com</c> matches
/// <c>mx1.mail.example.com</c>, not <c>mail.example.com</c> nor <c>a.b.mail.example.com</c>). The output is in
/// Exchange's TLS-domain syntax: a name, or <c>*.</c> plus a name for "subdomains of" (Exchange writes subdomain
/// wildcards as <c>*.example.com</c>). Exchange checks one TLS domain per recipient, so several patterns must be
/// folded into one.
/// </para>
/// <para>Rules of <see cref="TrySelect"/>, in order:</para>
/// <list type="number">
/// <item><description>No patterns: refused ("no MX names are pinned"); there is no name to check.</description></item>
/// <item><description>A pattern that is not a host name or <c>*.</c> plus a host name (A-labels): refused.</description></item>
/// <item><description>A pattern whose base (the name without a leading <c>*.</c>) is itself a public suffix
/// (Public Suffix List, ICANN and PRIVATE sections: <c>*.com</c>, <c>*.co.uk</c>, <c>blogspot.com</c>): refused.
/// A public suffix is never pinned: anyone can obtain a certificate below it.</description></item>
/// <item><description>One pattern: an exact name gives that name; a wildcard <c>*.x</c> gives <c>*.x</c>, kept as
/// Exchange writes it.</description></item>
/// <item><description>Several patterns under different registrable domains (for example
/// <c>*.f-v1.mx.microsoft</c> and <c>*.mail.protection.outlook.com</c>): refused; no single TLS domain covers
/// them without covering names that neither owner controls.</description></item>
/// <item><description>Otherwise S is the longest common label suffix of the bases. S is at or below the shared
/// registrable domain R (it has at least as many labels as R, and it is checked not to be a public suffix). When no
/// exact pattern equals S, the TLS domain is <c>*.S</c>.</description></item>
/// <item><description>When an exact pattern equals S (gmail.com: <c>gmail-smtp-in.l.google.com</c> and
/// <c>*.gmail-smtp-in.l.google.com</c>), <c>*.S</c> would not cover that name. The selection goes one label up,
/// to the parent P of S, when P is still at or below R, giving <c>*.P</c> (gmail.com: <c>*.l.google.com</c>). When S
/// is R itself (<c>example.com</c> with <c>mx.example.com</c>), P would be a public suffix: refused.</description></item>
/// </list>
/// <para>
/// Every TLS domain chosen stays inside one registrable domain, so a certificate for a name it accepts can only be
/// obtained by that domain's owner (or a party it delegated names to), not by an attacker. It may accept more names
/// than the policy lists (for example a new MX host of the same operator); the route then checks the operator, not
/// the exact host. The set {S, <c>*.S</c>} is deliberately <b>not</b> folded into <c>*.S</c>: whether Exchange's
/// <c>*.S</c> also accepts S is not documented.
/// </para>
/// <para>
/// Certificate side (RFC 6125 §6.4.3): a certificate may itself carry a wildcard name such as
/// <c>*.gmail-smtp-in.l.google.com</c>, which is valid for exactly one left-most label. Which certificate names
/// Exchange compares against a TLS domain, and whether its <c>*.S</c> accepts names of any depth below S, is the
/// unverified lab item V2 (docs/admin-guide.md); <see cref="Covers"/> states the assumption.
/// </para>
/// </remarks>
public static class TlsDomainSelector
{
    /// <summary>Chooses the TLS domain for a set of MX patterns (rules in the type's remarks).</summary>
    /// <param name="mxPatterns">RFC 8461 §4.1 <c>mx</c> patterns; case, surrounding white space and one trailing
    /// dot are normalised, duplicates ignored.</param>
    /// <param name="tlsDomain">The TLS domain in Exchange syntax (a name or <c>*.</c> plus a name), when one covers
    /// every pattern; otherwise <see langword="null"/>.</param>
    /// <param name="reason">Why this TLS domain was chosen, or why none was (for logs and <c>explain</c>); always
    /// filled.</param>
    /// <returns><see langword="true"/> when a TLS domain covers every pattern.</returns>
    public static bool TrySelect(IReadOnlyList<string> mxPatterns, out string? tlsDomain, out string reason)
    {
        if (mxPatterns is null)
        {
            throw new ArgumentNullException(nameof(mxPatterns));
        }

        tlsDomain = null;
        var patterns = mxPatterns
            .Where(p => !string.IsNullOrWhiteSpace(p))
            .Select(Normalise)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (patterns.Count == 0)
        {
            reason = "no MX names are pinned: without MX patterns (MTA-STS) there is no name for Exchange to check the certificate against";
            return false;
        }

        var psl = PublicSuffixList.Default;
        var parsed = new List<Pattern>(patterns.Count);
        foreach (var text in patterns)
        {
            if (!TryParse(text, out var pattern))
            {
                reason = $"'{text}' is not an RFC 8461 §4.1 MX pattern (a host name in A-labels, or '*.' and a host name)";
                return false;
            }

            var registrable = psl.GetRegistrableDomain(pattern.Base);
            if (registrable is null)
            {
                reason = $"'{text}': '{pattern.Base}' is a public suffix; a TLS domain there would accept certificates that anyone can obtain, so it is never pinned";
                return false;
            }

            parsed.Add(pattern with { Registrable = registrable });
        }

        if (parsed.Count == 1)
        {
            var only = parsed[0];
            tlsDomain = only.Text;
            reason = only.Wildcard
                ? $"one MX pattern '{only.Text}': TLS domain '{only.Text}' (Exchange's subdomain wildcard syntax)"
                : $"one MX name: TLS domain '{only.Text}'";
            return true;
        }

        var registrables = parsed.Select(p => p.Registrable).Distinct(StringComparer.Ordinal).OrderBy(r => r, StringComparer.Ordinal).ToList();
        if (registrables.Count > 1)
        {
            reason = $"the MX patterns ({string.Join(", ", patterns)}) lie under different registrable domains ({string.Join(", ", registrables)}); Exchange checks one TLS domain per recipient, and no single TLS domain covers them without covering names outside those domains";
            return false;
        }

        var shared = registrables[0];
        var common = CommonLabelSuffix(parsed.Select(p => p.Base).ToList());
        if (LabelCount(common) < LabelCount(shared) || psl.IsPublicSuffix(common))
        {
            // Cannot happen when every base has the same registrable domain; kept so that a list change can never
            // make the selector pin a public suffix.
            reason = $"the common suffix '{common}' of the MX patterns is above the registrable domain '{shared}'; no single TLS domain covers them";
            return false;
        }

        var exactAtCommon = parsed.FirstOrDefault(p => !p.Wildcard && string.Equals(p.Base, common, StringComparison.Ordinal));
        if (exactAtCommon is null)
        {
            tlsDomain = "*." + common;
            reason = $"{parsed.Count} MX patterns share the suffix '{common}' inside the registrable domain '{shared}': TLS domain '{tlsDomain}' covers every one";
            return true;
        }

        if (string.Equals(common, shared, StringComparison.Ordinal))
        {
            reason = $"the MX name '{exactAtCommon.Text}' is the common suffix of the patterns and the registrable domain itself: '*.{common}' would not cover it, and one label up is a public suffix; no single TLS domain covers all patterns";
            return false;
        }

        var parent = common.Substring(common.IndexOf('.') + 1);
        tlsDomain = "*." + parent;
        reason = $"the MX name '{exactAtCommon.Text}' is the common suffix of the patterns, which '*.{common}' would not cover; one label up, TLS domain '{tlsDomain}' covers every pattern and stays inside the registrable domain '{shared}'";
        return true;
    }

    /// <summary>
    /// The semantics assumed for Exchange's TLS domain: an exact name matches only that name (case-insensitive);
    /// <c>*.S</c> matches any name ending in <c>.S</c>, at any depth (<c>a.S</c>, <c>a.b.S</c>), but not S itself.
    /// Unverified: lab item V2 (docs/admin-guide.md).
    /// </summary>
    /// <param name="tlsDomain">A TLS domain in Exchange syntax.</param>
    /// <param name="host">A host name (or a certificate name).</param>
    /// <returns><see langword="true"/> when the TLS domain accepts the host.</returns>
    public static bool Covers(string tlsDomain, string host)
    {
        if (string.IsNullOrWhiteSpace(tlsDomain) || string.IsNullOrWhiteSpace(host))
        {
            return false;
        }

        var domain = Normalise(tlsDomain);
        var name = Normalise(host);
        if (domain.StartsWith("*.", StringComparison.Ordinal))
        {
            var suffix = domain.Substring(1); // ".S"
            return suffix.Length > 1 && name.Length > suffix.Length && name.EndsWith(suffix, StringComparison.Ordinal);
        }

        return string.Equals(domain, name, StringComparison.Ordinal);
    }

#pragma warning disable CA1308 // DNS names are compared in lower case.
    private static string Normalise(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.EndsWith(".", StringComparison.Ordinal))
        {
            trimmed = trimmed.Substring(0, trimmed.Length - 1);
        }

        return trimmed.ToLowerInvariant();
    }
#pragma warning restore CA1308

    private static bool TryParse(string text, out Pattern pattern)
    {
        var wildcard = text.StartsWith("*.", StringComparison.Ordinal);
        var baseName = wildcard ? text.Substring(2) : text;
        pattern = new Pattern(text, baseName, wildcard, string.Empty);
        if (baseName.Length == 0 || baseName.Length > 253)
        {
            return false;
        }

        foreach (var label in baseName.Split('.'))
        {
            if (label.Length == 0 || label.Length > 63 || label[0] == '-' || label[label.Length - 1] == '-')
            {
                return false;
            }

            foreach (var c in label)
            {
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static string CommonLabelSuffix(List<string> names)
    {
        var common = names[0].Split('.');
        var length = common.Length;
        foreach (var name in names.Skip(1))
        {
            var labels = name.Split('.');
            var shared = 0;
            while (shared < length && shared < labels.Length
                && string.Equals(common[common.Length - 1 - shared], labels[labels.Length - 1 - shared], StringComparison.Ordinal))
            {
                shared++;
            }

            length = shared;
        }

        return string.Join(".", common, common.Length - length, length);
    }

    private static int LabelCount(string name) => name.Length == 0 ? 0 : name.Count(c => c == '.') + 1;

    private sealed record Pattern(string Text, string Base, bool Wildcard, string Registrable);
}
