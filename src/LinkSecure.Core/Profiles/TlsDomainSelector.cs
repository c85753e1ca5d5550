using System;
using System.Collections.Generic;

namespace LinkSecure.Core.Profiles;

/// <summary>Temporary: replaced by the public-suffix-aware selector.</summary>
public static class TlsDomainSelector
{
    /// <summary>Selects one TLS domain.</summary>
    /// <param name="mxPatterns">The patterns.</param>
    /// <param name="tlsDomain">The TLS domain.</param>
    /// <param name="reason">Why.</param>
    /// <returns>Whether one covers all.</returns>
    public static bool TrySelect(IReadOnlyList<string> mxPatterns, out string? tlsDomain, out string reason)
    {
        tlsDomain = null;
        reason = "x";
        if (mxPatterns is null || mxPatterns.Count != 1)
        {
            return false;
        }

        tlsDomain = mxPatterns[0];
        return true;
    }
}
