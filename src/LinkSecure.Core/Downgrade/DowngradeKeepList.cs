using System;
using System.Collections.Generic;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Downgrade;

/// <summary>
/// The top-level header fields a downgraded copy keeps (docs/downgrade.md, "Keep-list"). Every other top-level field
/// is dropped: in particular <c>DKIM-Signature</c> and <c>ARC-*</c> (they would no longer verify) and <c>X-</c> or
/// vendor fields, which can carry content.
/// </summary>
public static class DowngradeKeepList
{
    private static readonly string[] DefaultNames =
    {
        "From", "Sender", "Reply-To", "To", "Cc", "Date", "Message-ID", "In-Reply-To", "References", "Subject",
        "MIME-Version", "Received", "Return-Path", HeaderNames.LinkSecurity,
    };

    /// <summary>Gets the documented keep-list, in the order the documentation lists it.</summary>
    public static IReadOnlyList<string> Headers { get; } = Array.AsReadOnly(DefaultNames);

    /// <summary>Tells whether a field name is a MIME content field (<c>Content-*</c>), which belongs to an entity, not
    /// to the message.</summary>
    /// <param name="name">A header field name.</param>
    /// <returns><see langword="true"/> for names starting with <c>Content-</c> (case-insensitive).</returns>
    public static bool IsContentHeader(string? name) =>
        name is not null && name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase);

    /// <summary>Tells whether an administrator may add a field name to the keep-list.</summary>
    /// <param name="name">The field name from the configuration.</param>
    /// <param name="problem">Why the name is refused; <see langword="null"/> when it is accepted.</param>
    /// <returns><see langword="true"/> when the name may be added.</returns>
    internal static bool CanExtend(string name, out string? problem)
    {
        if (!IsValidFieldName(name))
        {
            problem = $"'{name}' is not a header field name (printable ASCII without spaces or ':')";
            return false;
        }

        if (IsContentHeader(name))
        {
            problem = $"'{name}' is a MIME content field; a downgraded copy always takes its content fields from the safe part";
            return false;
        }

        if (string.Equals(name, HeaderNames.LinkSecurityPart, StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, HeaderNames.LinkSecuritySubject, StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, HeaderNames.LinkSecurityDowngraded, StringComparison.OrdinalIgnoreCase))
        {
            problem = $"'{name}' is managed by the downgrade itself and cannot be kept";
            return false;
        }

        problem = null;
        return true;
    }

    /// <summary>RFC 5322 §3.6.8 field name: printable US-ASCII except ':'.</summary>
    internal static bool IsValidFieldName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name!.Length > 200)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (c < 33 || c > 126 || c == ':')
            {
                return false;
            }
        }

        return true;
    }
}
