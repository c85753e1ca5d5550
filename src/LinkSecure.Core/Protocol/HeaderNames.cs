namespace LinkSecure.Core.Protocol;

/// <summary>Header field names defined or honoured by the protocol (docs/protocol.md).</summary>
public static class HeaderNames
{
    /// <summary>The request header: <c>Link-Security: level=&lt;0-4&gt;; fallback=&lt;bounce|safe-part&gt;</c>.</summary>
    public const string LinkSecurity = "Link-Security";

    /// <summary>Alias of <see cref="LinkSecurity"/> for clients that can only set <c>X-</c> headers.</summary>
    public const string XLinkSecurity = "X-Link-Security";

    /// <summary>Postfix 3.11's private header carrying the ESMTP REQUIRETLS flag through content filters.</summary>
    public const string RequireTlsEsmtp = "Require-TLS-ESMTP";

    /// <summary>RFC 8689 §3: <c>TLS-Required: No</c>, the sender's waiver of recipient TLS policy.</summary>
    public const string TlsRequired = "TLS-Required";

    /// <summary>Part header marking the MIME entity that may travel over an insecure link.</summary>
    public const string LinkSecurityPart = "Link-Security-Part";

    /// <summary>Replacement subject for a downgraded copy.</summary>
    public const string LinkSecuritySubject = "Link-Security-Subject";

    /// <summary>Trace header added to a downgraded copy.</summary>
    public const string LinkSecurityDowngraded = "Link-Security-Downgraded";
}
