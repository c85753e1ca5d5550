using System;
using System.Collections.Generic;

namespace LinkSecure.Core.Protocol;

/// <summary>
/// The rule "is this submission internal?", and which request and waiver fields a message from outside the organisation
/// loses before anything reads them (docs/agent.md, "Mail from outside the organisation").
/// </summary>
/// <remarks>
/// <para>A request (<c>Link-Security</c>, <c>X-Link-Security</c>, <c>Require-TLS-ESMTP</c>) or a waiver
/// (<c>TLS-Required: No</c>, RFC 8689 §3) is an instruction to this organisation's transport. Only the organisation's
/// own senders may give it: the sender of an Internet message could otherwise waive <c>enforceForAllMail</c> on mail
/// the organisation forwards, bounce it at will, or trigger an exemption keyed on the request's value.</para>
/// <para>The origin comes from <c>X-MS-Exchange-Organization-AuthAs</c>, which the receiving Exchange server stamps
/// from the authenticated connection: <c>Internal</c> for an authenticated user or an Exchange server of the
/// organisation, <c>Anonymous</c> for the Internet, <c>Partner</c> for a domain-secured partner. Exchange's header
/// firewall removes <c>X-MS-Exchange-Organization-*</c> fields arriving over a connection without the
/// <c>Ms-Exch-Accept-Headers-Organization</c> permission, so an Internet sender can neither forge <c>Internal</c> nor
/// remove the stamp; a spoofed internal <c>From</c> changes nothing (it is not an authentication).</para>
/// <para>Decisions:</para>
/// <list type="bullet">
/// <item><see cref="SubmissionOrigin.Internal"/> (every AuthAs field says <c>Internal</c>): nothing is removed.</item>
/// <item><see cref="SubmissionOrigin.Outside"/>: every request and waiver field is removed.</item>
/// <item><see cref="SubmissionOrigin.Unknown"/> (no AuthAs field; for example a pickup-folder message): only the waiver
/// is removed. A request of unknown origin is kept, because dropping it could send protected mail unprotected; a waiver
/// of unknown origin is not honoured, because honouring it could do the same (THE RULE: when in doubt, fail closed).</item>
/// </list>
/// <para><c>Link-Security-Part</c> and <c>Link-Security-Subject</c> are not removed: they describe the sender's own
/// content (which part may travel insecurely, the subject of a downgraded copy) and act only under a request, which
/// mail from outside can then only carry when the organisation's own transport rules stamp it.</para>
/// </remarks>
public static class InboundRequestFilter
{
    /// <summary>The field Exchange stamps with the authenticated origin of a submission.</summary>
    public const string AuthAsField = "X-MS-Exchange-Organization-AuthAs";

    /// <summary>The <see cref="AuthAsField"/> value of a submission inside the organisation.</summary>
    public const string InternalValue = "Internal";

    /// <summary>Gets the request and waiver fields, in the order they are removed.</summary>
    public static IReadOnlyList<string> Fields { get; } = new[]
    {
        HeaderNames.LinkSecurity,
        HeaderNames.XLinkSecurity,
        HeaderNames.RequireTlsEsmtp,
        HeaderNames.TlsRequired,
    };

    /// <summary>Tells whether a header field name is <see cref="AuthAsField"/>.</summary>
    /// <param name="name">A header field name.</param>
    /// <returns><see langword="true"/> for <see cref="AuthAsField"/>, compared case-insensitively.</returns>
    public static bool IsAuthAsField(string? name) => string.Equals(name, AuthAsField, StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads the origin from the values of every <see cref="AuthAsField"/> field of a message.</summary>
    /// <param name="authAsValues">The values, in message order; <see langword="null"/> or empty when there is none.</param>
    /// <returns><see cref="SubmissionOrigin.Internal"/> only when there is at least one value and every value is
    /// <c>Internal</c> (white space around it ignored, case-insensitive); <see cref="SubmissionOrigin.Unknown"/> when
    /// there is none; otherwise <see cref="SubmissionOrigin.Outside"/>.</returns>
    public static SubmissionOrigin Classify(IReadOnlyList<string?>? authAsValues)
    {
        if (authAsValues is null || authAsValues.Count == 0)
        {
            return SubmissionOrigin.Unknown;
        }

        foreach (var value in authAsValues)
        {
            if (!string.Equals(value?.Trim(), InternalValue, StringComparison.OrdinalIgnoreCase))
            {
                // Anonymous, Partner, empty, or anything else: not proven internal.
                return SubmissionOrigin.Outside;
            }
        }

        return SubmissionOrigin.Internal;
    }

    /// <summary>Tells whether a top-level header field must be removed from a message of the given origin.</summary>
    /// <param name="origin">The message's origin (<see cref="Classify"/>).</param>
    /// <param name="fieldName">The field's name.</param>
    /// <returns><see langword="true"/> for every request and waiver field of mail from outside, and for the waiver of
    /// mail of unknown origin.</returns>
    public static bool MustRemove(SubmissionOrigin origin, string? fieldName) => origin switch
    {
        SubmissionOrigin.Outside => RequestParser.IsRequestHeader(fieldName),
        SubmissionOrigin.Unknown => string.Equals(fieldName, HeaderNames.TlsRequired, StringComparison.OrdinalIgnoreCase),
        _ => false,
    };
}
