using System;
using System.Collections.Generic;
using LinkSecure.Core.Downgrade;
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
    public const string DowngradedMarker = DowngradedCopy.MarkerField;

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

    /// <summary>The original's organisation fields a rewritten copy keeps (core <see cref="DowngradedCopy"/>), decoded.</summary>
    /// <param name="message">The original message; <see langword="null"/> gives none.</param>
    /// <returns>The fields.</returns>
    public static List<KeyValuePair<string, string?>> OrganizationFields(EmailMessage? message)
    {
        var fields = new List<KeyValuePair<string, string?>>();
        if (message?.RootPart?.Headers is { } headers)
        {
            foreach (Header header in headers)
            {
                if (DowngradedCopy.KeepsField(header.Name) && header.TryGetValue(out var value))
                {
                    fields.Add(new KeyValuePair<string, string?>(header.Name, value));
                }
            }
        }

        return fields;
    }
}
