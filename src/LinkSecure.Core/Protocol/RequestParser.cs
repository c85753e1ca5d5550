using System;
using System.Collections.Generic;
using MimeKit;
using MimeKit.Utils;

namespace LinkSecure.Core.Protocol;

/// <summary>
/// Parses a message's link-security request from its header fields (docs/protocol.md, "Request header").
/// </summary>
/// <remarks>
/// <para>Rules:</para>
/// <list type="bullet">
/// <item><c>Link-Security</c> and <c>X-Link-Security</c> share the syntax
/// <c>level=&lt;0-4&gt;; fallback=&lt;bounce|safe-part&gt;</c>; defaults are <c>level=1</c>, <c>fallback=bounce</c>.
/// Names and values are case-insensitive; whitespace around <c>;</c> and <c>=</c> is ignored; unknown
/// parameters are ignored.</item>
/// <item>A malformed value is read as the strictest reading, <c>level=1; fallback=bounce</c>, with a warning.</item>
/// <item>Several fields: the strictest wins (highest level; <c>bounce</c> over <c>safe-part</c>).</item>
/// <item><c>Require-TLS-ESMTP: yes</c> (Postfix 3.11) means <c>level=1; fallback=bounce</c>.</item>
/// <item><c>TLS-Required: No</c> (RFC 8689 §3) is a waiver, unless a request is also present: then the
/// request wins and a warning says so.</item>
/// </list>
/// <para>A message that carries none of these fields is parsed without allocating.</para>
/// </remarks>
public static class RequestParser
{
    /// <summary>Values longer than this are malformed: no legitimate request comes close.</summary>
    internal const int MaxValueLength = 998;

    private static readonly char[] Whitespace = { ' ', '\t' };

    /// <summary>Parses the request from a MimeKit header list.</summary>
    /// <param name="headers">The message's top-level header fields.</param>
    /// <returns>The request; <see cref="LinkSecurityRequest.None"/> when the message carries no relevant field.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="headers"/> is <see langword="null"/>.</exception>
    public static LinkSecurityRequest Parse(HeaderList headers)
    {
        if (headers is null)
        {
            throw new ArgumentNullException(nameof(headers));
        }

        var state = default(ParseState);
        for (var i = 0; i < headers.Count; i++)
        {
            var header = headers[i];
            var kind = Classify(header.Field);
            if (kind != RequestSources.None)
            {
                state.Add(kind, header.Field, header.Value);
            }
        }

        return state.Finish();
    }

    /// <summary>Parses the request from header name/value pairs, as a host such as Exchange supplies them.</summary>
    /// <param name="headers">The top-level header fields in message order. Values may be folded.</param>
    /// <returns>The request; <see cref="LinkSecurityRequest.None"/> when the message carries no relevant field.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="headers"/> is <see langword="null"/>.</exception>
    public static LinkSecurityRequest Parse(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        if (headers is null)
        {
            throw new ArgumentNullException(nameof(headers));
        }

        var state = default(ParseState);
        for (var i = 0; i < headers.Count; i++)
        {
            var header = headers[i];
            var kind = Classify(header.Key);
            if (kind != RequestSources.None)
            {
                state.Add(kind, header.Key, header.Value);
            }
        }

        return state.Finish();
    }

    /// <summary>Tells whether a header field name is one the parser reads.</summary>
    /// <param name="name">A header field name.</param>
    /// <returns><see langword="true"/> for the request fields, their aliases and <c>TLS-Required</c>.</returns>
    public static bool IsRequestHeader(string? name) => Classify(name) != RequestSources.None;

    private static RequestSources Classify(string? name)
    {
        if (name is null || name.Length < 12)
        {
            return RequestSources.None;
        }

        // Cheap first-character screen keeps the untagged path fast.
        switch (name[0])
        {
            case 'L':
            case 'l':
                return string.Equals(name, HeaderNames.LinkSecurity, StringComparison.OrdinalIgnoreCase) ? RequestSources.LinkSecurity : RequestSources.None;
            case 'X':
            case 'x':
                return string.Equals(name, HeaderNames.XLinkSecurity, StringComparison.OrdinalIgnoreCase) ? RequestSources.XLinkSecurity : RequestSources.None;
            case 'R':
            case 'r':
                return string.Equals(name, HeaderNames.RequireTlsEsmtp, StringComparison.OrdinalIgnoreCase) ? RequestSources.RequireTlsEsmtp : RequestSources.None;
            case 'T':
            case 't':
                return string.Equals(name, HeaderNames.TlsRequired, StringComparison.OrdinalIgnoreCase) ? RequestSources.TlsRequiredNo : RequestSources.None;
            default:
                return RequestSources.None;
        }
    }

    /// <summary>Parses one <c>Link-Security</c> value.</summary>
    /// <param name="value">The (possibly folded) field value.</param>
    /// <param name="level">The level read, or 1 when malformed.</param>
    /// <param name="fallback">The fallback read, or bounce when malformed.</param>
    /// <param name="problem">Why the value is malformed; <see langword="null"/> when it is well-formed.</param>
    /// <returns><see langword="true"/> when the value is well-formed.</returns>
    internal static bool TryParseValue(string? value, out LinkSecurityLevel level, out FallbackAction fallback, out string? problem)
    {
        level = LinkSecurityLevel.TransportSecure;
        fallback = FallbackAction.Bounce;
        problem = null;

        if (value is null)
        {
            return true;
        }

        if (value.Length > MaxValueLength)
        {
            problem = "value longer than 998 characters";
            return Malformed(out level, out fallback);
        }

        var text = Unfold(value);
        if (text.IndexOf("=?", StringComparison.Ordinal) >= 0)
        {
            // RFC 2047 encoded-words do not belong in a structured field, but some client APIs encode
            // every header they set. Decode once and parse what the sender meant.
            text = Rfc2047.DecodeText(System.Text.Encoding.UTF8.GetBytes(text));
        }

        var seenLevel = false;
        var seenFallback = false;
        foreach (var rawParameter in text.Split(';'))
        {
            var parameter = rawParameter.Trim();
            if (parameter.Length == 0)
            {
                continue;
            }

            var equals = parameter.IndexOf('=');
            if (equals <= 0)
            {
                problem = $"parameter '{Truncate(parameter)}' has no '=' or no name";
                return Malformed(out level, out fallback);
            }

            var name = parameter.Substring(0, equals).Trim();
            var argument = parameter.Substring(equals + 1).Trim();
            if (string.Equals(name, "level", StringComparison.OrdinalIgnoreCase))
            {
                if (seenLevel)
                {
                    problem = "'level' given twice";
                    return Malformed(out level, out fallback);
                }

                seenLevel = true;
                if (argument.Length != 1 || argument[0] < '0' || argument[0] > '4')
                {
                    problem = $"level '{Truncate(argument)}' is not one of 0, 1, 2, 3, 4";
                    return Malformed(out level, out fallback);
                }

                level = (LinkSecurityLevel)(argument[0] - '0');
            }
            else if (string.Equals(name, "fallback", StringComparison.OrdinalIgnoreCase))
            {
                if (seenFallback)
                {
                    problem = "'fallback' given twice";
                    return Malformed(out level, out fallback);
                }

                seenFallback = true;
                if (string.Equals(argument, "bounce", StringComparison.OrdinalIgnoreCase))
                {
                    fallback = FallbackAction.Bounce;
                }
                else if (string.Equals(argument, "safe-part", StringComparison.OrdinalIgnoreCase))
                {
                    fallback = FallbackAction.SafePart;
                }
                else
                {
                    problem = $"fallback '{Truncate(argument)}' is neither 'bounce' nor 'safe-part'";
                    return Malformed(out level, out fallback);
                }
            }
            else if (name.IndexOfAny(Whitespace) >= 0)
            {
                problem = $"parameter name '{Truncate(name)}' contains white space";
                return Malformed(out level, out fallback);
            }

            // Any other parameter is an extension: ignored (docs/protocol.md).
        }

        return true;
    }

    private static bool Malformed(out LinkSecurityLevel level, out FallbackAction fallback)
    {
        level = LinkSecurityLevel.TransportSecure;
        fallback = FallbackAction.Bounce;
        return false;
    }

    private static string Unfold(string value)
    {
        if (value.IndexOf('\r') < 0 && value.IndexOf('\n') < 0)
        {
            return value;
        }

        return value.Replace("\r", string.Empty).Replace("\n", string.Empty);
    }

    private static string Truncate(string text) => text.Length <= 40 ? text : text.Substring(0, 40) + "…";

    private struct ParseState
    {
        private LinkSecurityLevel level;
        private FallbackAction fallback;
        private bool requested;
        private bool waiverSeen;
        private bool tlsRequiredOther;
        private RequestSources sources;
        private List<string>? warnings;

        public void Add(RequestSources kind, string name, string? value)
        {
            switch (kind)
            {
                case RequestSources.LinkSecurity:
                case RequestSources.XLinkSecurity:
                    sources |= kind;
                    if (!TryParseValue(value, out var parsedLevel, out var parsedFallback, out var problem))
                    {
                        Warn($"{name}: malformed value ({problem}); read as the strictest reading 'level=1; fallback=bounce'");
                    }

                    Merge(parsedLevel, parsedFallback);
                    break;

                case RequestSources.RequireTlsEsmtp:
                    if (string.Equals(Unfold(value ?? string.Empty).Trim(), "yes", StringComparison.OrdinalIgnoreCase))
                    {
                        sources |= kind;
                        Merge(LinkSecurityLevel.TransportSecure, FallbackAction.Bounce);
                    }
                    else
                    {
                        Warn($"{name}: value '{Truncate(value ?? string.Empty)}' is not 'yes'; ignored");
                    }

                    break;

                case RequestSources.TlsRequiredNo:
                    // RFC 8689 §3: "No" is the only defined value; compared case-insensitively.
                    if (string.Equals(Unfold(value ?? string.Empty).Trim(), "no", StringComparison.OrdinalIgnoreCase))
                    {
                        waiverSeen = true;
                    }
                    else
                    {
                        tlsRequiredOther = true;
                        Warn($"{name}: value '{Truncate(value ?? string.Empty)}' is not 'No'; ignored");
                    }

                    break;
            }
        }

        public LinkSecurityRequest Finish()
        {
            if (sources == RequestSources.None && !waiverSeen && warnings is null)
            {
                return LinkSecurityRequest.None;
            }

            if (requested && level != LinkSecurityLevel.None)
            {
                if (waiverSeen)
                {
                    sources |= RequestSources.TlsRequiredNo;
                    Warn("TLS-Required: No and a link-security request are both present; the request wins");
                }

                return new LinkSecurityRequest(level, fallback, false, sources, warnings);
            }

            if (waiverSeen && !tlsRequiredOther)
            {
                // Like mox, honour the waiver only when every TLS-Required field says "No".
                return new LinkSecurityRequest(LinkSecurityLevel.None, FallbackAction.Bounce, true, sources | RequestSources.TlsRequiredNo, warnings);
            }

            if (waiverSeen)
            {
                Warn("TLS-Required fields disagree; the waiver is not honoured");
            }

            // level=0 everywhere (an explicit clear), or only ignored fields.
            return new LinkSecurityRequest(LinkSecurityLevel.None, FallbackAction.Bounce, false, sources, warnings);
        }

        private void Merge(LinkSecurityLevel newLevel, FallbackAction newFallback)
        {
            if (newLevel == LinkSecurityLevel.None)
            {
                // level=0 asks for nothing; its fallback means nothing either.
                requested = true;
                return;
            }

            if (!requested || level == LinkSecurityLevel.None)
            {
                requested = true;
                level = newLevel;
                fallback = newFallback;
                return;
            }

            // Several fields: the strictest wins, dimension by dimension.
            if (newLevel > level)
            {
                level = newLevel;
            }

            if (newFallback == FallbackAction.Bounce)
            {
                fallback = FallbackAction.Bounce;
            }
        }

        private void Warn(string message) => (warnings ??= new List<string>()).Add(message);
    }
}
