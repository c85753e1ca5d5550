using System;
using Microsoft.Exchange.Data.Transport.Email;

namespace LinkSecure.Exchange.Pipeline;

/// <summary>
/// The raw look for a link-security request: field names only, no parsing and no type from the core, so that it works
/// when the core (or any dependency) failed to load — for the inert agent — and after any failure before the request was
/// read. Kept equal to the core's request fields by a test.
/// </summary>
internal static class RequestFields
{
    /// <summary>The header fields that request link security. <c>TLS-Required</c> only waives, so it is not among them.</summary>
    internal static readonly string[] Names = { "Link-Security", "X-Link-Security", "Require-TLS-ESMTP" };

    /// <summary>Tells whether the message carries any field that requests link security. Never throws.</summary>
    /// <param name="message">The message, or <see langword="null"/>.</param>
    /// <param name="known">Whether the answer is known (false when even this look failed).</param>
    /// <returns><see langword="true"/> when a request field is present.</returns>
    public static bool IsPresent(EmailMessage? message, out bool known)
    {
        known = true;
        try
        {
            var headers = message?.RootPart?.Headers;
            if (headers is null)
            {
                return false;
            }

            foreach (var name in Names)
            {
                if (headers.FindFirst(name) is not null)
                {
                    return true;
                }
            }

            return false;
        }
#pragma warning disable CA1031 // The caller logs that the answer is unknown.
        catch (Exception)
#pragma warning restore CA1031
        {
            known = false;
            return false;
        }
    }
}
