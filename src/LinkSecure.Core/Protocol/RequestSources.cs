using System;

namespace LinkSecure.Core.Protocol;

/// <summary>Which header fields contributed to a <see cref="LinkSecurityRequest"/>.</summary>
[Flags]
public enum RequestSources
{
    /// <summary>No relevant header was present.</summary>
    None = 0,

    /// <summary>At least one <c>Link-Security</c> field.</summary>
    LinkSecurity = 1,

    /// <summary>At least one <c>X-Link-Security</c> field.</summary>
    XLinkSecurity = 2,

    /// <summary><c>Require-TLS-ESMTP: yes</c> (Postfix 3.11).</summary>
    RequireTlsEsmtp = 4,

    /// <summary><c>TLS-Required: No</c> (RFC 8689 §3).</summary>
    TlsRequiredNo = 8,
}
