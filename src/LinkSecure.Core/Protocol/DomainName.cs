using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace LinkSecure.Core.Protocol;

/// <summary>
/// Normalises domain names for comparison: IDNs to A-labels (RFC 5891 via <see cref="IdnMapping"/>),
/// lower case, trailing dot removed.
/// </summary>
public static class DomainName
{
    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = false };

    /// <summary>Normalises a domain name.</summary>
    /// <param name="domain">A domain in U-label or A-label form, any case, with or without a trailing dot.</param>
    /// <param name="normalized">The lower-case A-label form without trailing dot.</param>
    /// <returns><see langword="false"/> when <paramref name="domain"/> is not a valid domain name.</returns>
    public static bool TryNormalize(string? domain, [NotNullWhen(true)] out string? normalized)
    {
        normalized = null;
        if (string.IsNullOrWhiteSpace(domain))
        {
            return false;
        }

        var text = domain!.Trim();
        if (text.EndsWith(".", StringComparison.Ordinal))
        {
            text = text.Substring(0, text.Length - 1);
        }

        if (text.Length == 0 || text.Length > 253)
        {
            return false;
        }

        if (IsLowerAscii(text))
        {
            normalized = IsValidAsciiDomain(text) ? text : null;
            return normalized is not null;
        }

        try
        {
            var ascii = Idn.GetAscii(text).ToLowerInvariant();
            if (!IsValidAsciiDomain(ascii))
            {
                return false;
            }

            normalized = ascii;
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Normalises a domain name or throws.</summary>
    /// <param name="domain">The domain.</param>
    /// <returns>The normalised form.</returns>
    /// <exception cref="ArgumentException"><paramref name="domain"/> is not a valid domain name.</exception>
    public static string Normalize(string domain) =>
        TryNormalize(domain, out var normalized) ? normalized : throw new ArgumentException($"'{domain}' is not a valid domain name.", nameof(domain));

    /// <summary>Extracts and normalises the domain of an e-mail address (the part after the last <c>@</c>).</summary>
    /// <param name="address">An address such as <c>user@Example.COM</c>.</param>
    /// <param name="domain">The normalised domain.</param>
    /// <returns><see langword="false"/> when there is no valid domain.</returns>
    public static bool TryGetAddressDomain(string? address, [NotNullWhen(true)] out string? domain)
    {
        domain = null;
        if (string.IsNullOrEmpty(address))
        {
            return false;
        }

        var text = address!.Trim().TrimStart('<').TrimEnd('>');
        var at = text.LastIndexOf('@');
        if (at < 0 || at == text.Length - 1)
        {
            return false;
        }

        var part = text.Substring(at + 1);
        if (part.StartsWith("[", StringComparison.Ordinal))
        {
            // Address literals (RFC 5321 §4.1.3) have no domain policy.
            return false;
        }

        return TryNormalize(part, out domain);
    }

    private static bool IsLowerAscii(string text)
    {
        foreach (var c in text)
        {
            if (c > 0x7F || (c >= 'A' && c <= 'Z'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsValidAsciiDomain(string text)
    {
        var labelLength = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '.')
            {
                if (labelLength == 0 || text[i - 1] == '-')
                {
                    return false;
                }

                labelLength = 0;
                continue;
            }

            var ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
            if (!ok || (labelLength == 0 && c == '-') || ++labelLength > 63)
            {
                return false;
            }
        }

        return labelLength > 0 && text[text.Length - 1] != '-';
    }
}
