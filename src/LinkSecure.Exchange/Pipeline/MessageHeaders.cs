using System;
using System.Collections.Generic;
using LinkSecure.Core.Protocol;
using Microsoft.Exchange.Data.Mime;
using Microsoft.Exchange.Data.Transport.Email;

namespace LinkSecure.Exchange.Pipeline;

/// <summary>What one pass over a message's top-level header fields found.</summary>
internal readonly struct HeaderScan
{
    public HeaderScan(LinkSecurityRequest request, bool isDowngradedCopy, string? unreadable)
    {
        Request = request;
        IsDowngradedCopy = isDowngradedCopy;
        Unreadable = unreadable;
    }

    /// <summary>Gets the request (<see cref="LinkSecurityRequest.None"/> for untagged mail).</summary>
    public LinkSecurityRequest Request { get; }

    /// <summary>Gets a value indicating whether the message carries the downgraded-copy marker.</summary>
    public bool IsDowngradedCopy { get; }

    /// <summary>Gets why a request header is present but could not be read; <see langword="null"/> when it was read.
    /// A request that cannot be read fails closed.</summary>
    public string? Unreadable { get; }
}

/// <summary>
/// Reads the request header fields and the downgraded-copy marker from a message in one pass over its top-level
/// header fields, without allocating for untagged mail.
/// </summary>
internal static class MessageHeaders
{
    /// <summary>The marker a rewritten copy carries in its content, so that the next hop (an Edge server, a Mailbox
    /// server in another site) does not decide again. The <c>X-MS-Exchange-Organization-</c> namespace is removed by
    /// Exchange's header firewall from mail of untrusted origin (lab item: confirm for client submissions).</summary>
    public const string DowngradedMarker = "X-MS-Exchange-Organization-LinkSecure-Downgraded";

    /// <summary>Scans the top-level header fields.</summary>
    /// <param name="message">The message.</param>
    /// <returns>The request and the marker.</returns>
    /// <exception cref="Exception">Whatever Exchange's header list throws; the caller falls back to <see cref="RequestFields.IsPresent"/>.</exception>
    public static HeaderScan Scan(EmailMessage message)
    {
        var headers = message.RootPart?.Headers;
        if (headers is null)
        {
            return new HeaderScan(LinkSecurityRequest.None, false, null);
        }

        List<KeyValuePair<string, string>>? found = null;
        var downgraded = false;
        string? unreadable = null;
        foreach (Header header in headers)
        {
            var name = header.Name;
            if (RequestParser.IsRequestHeader(name))
            {
                // TryGetValue: the Value getter decodes and can throw on a malformed value (SDK listing, Header).
                if (header.TryGetValue(out var value))
                {
                    (found ??= new List<KeyValuePair<string, string>>()).Add(new KeyValuePair<string, string>(name, value ?? string.Empty));
                }
                else if (IsRequestField(name))
                {
                    unreadable ??= "the " + name + " header field cannot be decoded";
                }
            }
            else if (name.Length == DowngradedMarker.Length && string.Equals(name, DowngradedMarker, StringComparison.OrdinalIgnoreCase))
            {
                downgraded = true;
            }
        }

        return new HeaderScan(found is null ? LinkSecurityRequest.None : RequestParser.Parse(found), downgraded, unreadable);
    }

    private static bool IsRequestField(string name)
    {
        foreach (var candidate in RequestFields.Names)
        {
            if (string.Equals(candidate, name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Writes the top of a downgraded copy: the <see cref="DowngradedMarker"/> and the original's
    /// <c>X-MS-Exchange-Organization-*</c> fields (authentication, directionality, Network-Message-Id, SCL...), which
    /// Exchange and the next hop inside the organisation rely on and the header firewall removes at its boundary. The
    /// core's rewrite drops every other <c>X-</c> field (docs/downgrade.md). Fields whose value is not one line of
    /// printable ASCII are left out.
    /// </summary>
    /// <param name="message">The original message.</param>
    /// <param name="destination">The stream the rewritten copy is built in.</param>
    /// <param name="level">The requested level, recorded in the marker.</param>
    /// <param name="contained">Whether the copy is contained (header fields only), recorded in the marker as <c>; contained</c>.</param>
    public static void WriteOrganizationFields(EmailMessage? message, System.IO.Stream destination, LinkSecurityLevel level, bool contained = false)
    {
        var text = new System.Text.StringBuilder();
        text.Append(DowngradedMarker).Append(": level=").Append((int)level).Append(contained ? "; contained" : string.Empty).Append("\r\n");
        if (message?.RootPart?.Headers is { } headers)
        {
            foreach (Header header in headers)
            {
                var name = header.Name;
                if (name.StartsWith(OrganizationPrefix, StringComparison.OrdinalIgnoreCase)
                    && !string.Equals(name, DowngradedMarker, StringComparison.OrdinalIgnoreCase)
                    && header.TryGetValue(out var value) && IsPrintableLine(value))
                {
                    text.Append(name).Append(": ").Append(value).Append("\r\n");
                }
            }
        }

        var bytes = System.Text.Encoding.ASCII.GetBytes(text.ToString());
        destination.Write(bytes, 0, bytes.Length);
    }

    private const string OrganizationPrefix = "X-MS-Exchange-Organization-";

    private static bool IsPrintableLine(string? value)
    {
        if (value is null || value.Length > 2000)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c < ' ' || c > '~')
            {
                return false;
            }
        }

        return true;
    }
}
