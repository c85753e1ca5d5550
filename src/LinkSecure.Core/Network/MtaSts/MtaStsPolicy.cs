using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Linq;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Network;

/// <summary>An MTA-STS policy file (RFC 8461 §3.2), parsed and validated.</summary>
public sealed class MtaStsPolicy
{
    /// <summary>The largest <c>max_age</c> allowed: 31557600 seconds, about a year (RFC 8461 §3.2).</summary>
    public const long MaxMaxAgeSeconds = 31_557_600;

    /// <summary>The extension key a domain uses to declare its link-security level inside its authenticated policy.</summary>
    public const string LinkSecureKey = "linksecure";

    private MtaStsPolicy(MtaStsMode mode, TimeSpan maxAge, IReadOnlyList<string> mxPatterns, LinkSecurityLevel? declaredLevel, string? declaredLevelProblem, string? maxAgeNote)
    {
        Mode = mode;
        MaxAge = maxAge;
        MxPatterns = mxPatterns;
        DeclaredLevel = declaredLevel;
        DeclaredLevelProblem = declaredLevelProblem;
        MaxAgeNote = maxAgeNote;
    }

    /// <summary>Gets the mode.</summary>
    public MtaStsMode Mode { get; }

    /// <summary>Gets how long the policy may be cached.</summary>
    public TimeSpan MaxAge { get; }

    /// <summary>Gets the <c>mx</c> patterns, lower case (RFC 8461 §4.1 syntax).</summary>
    public IReadOnlyList<string> MxPatterns { get; }

    /// <summary>
    /// Gets the link-security level the domain declares with the extension key <c>linksecure: &lt;1-4&gt;</c>, or
    /// <see langword="null"/> when it declares none or an invalid value. Senders that do not know the key ignore it
    /// (RFC 8461 §3.2). Whether it counts (only under mode <c>enforce</c>) is decided by the caller.
    /// </summary>
    public LinkSecurityLevel? DeclaredLevel { get; }

    /// <summary>Gets why the <c>linksecure</c> value was ignored (not 1 to 4); <see langword="null"/> when it was valid
    /// or absent. An invalid extension value does not invalidate the policy (RFC 8461 §3.2).</summary>
    public string? DeclaredLevelProblem { get; }

    /// <summary>Gets the note when <c>max_age</c> was above <see cref="MaxMaxAgeSeconds"/> and was capped to it;
    /// otherwise <see langword="null"/>.</summary>
    public string? MaxAgeNote { get; }

    /// <summary>
    /// Parses a policy body. Lines end in LF or CRLF and are <c>key: value</c>; unknown keys are ignored; for a
    /// repeated key other than <c>mx</c> only the first occurrence counts; <c>version</c>, <c>mode</c> and
    /// <c>max_age</c> are required, and at least one <c>mx</c> unless the mode is <c>none</c> (RFC 8461 §3.2). A
    /// <c>max_age</c> above <see cref="MaxMaxAgeSeconds"/> is capped to it (<see cref="MaxAgeNote"/>). The extension
    /// key <c>linksecure</c> gives <see cref="DeclaredLevel"/>; an invalid value is noted in
    /// <see cref="DeclaredLevelProblem"/> and otherwise ignored, as unknown keys are.
    /// </summary>
    /// <param name="body">The body as text.</param>
    /// <param name="policy">The policy.</param>
    /// <param name="problem">Why the policy is invalid.</param>
    /// <returns><see langword="true"/> when the policy is valid.</returns>
    public static bool TryParse(string body, out MtaStsPolicy? policy, out string? problem)
    {
        policy = null;
        problem = null;
        if (body is null)
        {
            problem = "the policy is empty";
            return false;
        }

        string? version = null;
        string? mode = null;
        string? maxAge = null;
        string? linkSecure = null;
        var mx = new List<string>();
        var lines = body.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0)
            {
                continue;
            }

            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                problem = string.Format(CultureInfo.InvariantCulture, "line {0} is not 'key: value' (RFC 8461 §3.2)", i + 1);
                return false;
            }

            var key = line.Substring(0, colon).Trim(' ', '\t');
            var value = line.Substring(colon + 1).Trim(' ', '\t');
            switch (key)
            {
                case "version":
                    version ??= value;
                    break;
                case "mode":
                    mode ??= value;
                    break;
                case "max_age":
                    maxAge ??= value;
                    break;
                case "mx":
                    mx.Add(value);
                    break;
                case LinkSecureKey:
                    linkSecure ??= value;
                    break;
                default:
                    // Unknown keys are ignored (RFC 8461 §3.2).
                    break;
            }
        }

        if (!string.Equals(version, "STSv1", StringComparison.Ordinal))
        {
            problem = version is null ? "the policy has no 'version: STSv1' line" : $"version '{version}' is not STSv1";
            return false;
        }

        MtaStsMode parsedMode;
        switch (mode)
        {
            case "enforce":
                parsedMode = MtaStsMode.Enforce;
                break;
            case "testing":
                parsedMode = MtaStsMode.Testing;
                break;
            case "none":
                parsedMode = MtaStsMode.None;
                break;
            case null:
                problem = "the policy has no mode";
                return false;
            default:
                problem = $"mode '{mode}' is not enforce, testing or none";
                return false;
        }

        if (maxAge is null)
        {
            problem = "the policy has no max_age";
            return false;
        }

        // max_age is 1*10DIGIT (RFC 8461 §3.2); a value above the one-year maximum is capped rather than invalidating
        // the whole authenticated policy (a sender caches it for at most that long anyway).
        if (maxAge.Length is 0 or > 10 || !long.TryParse(maxAge, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            problem = $"max_age '{maxAge}' is not a number of seconds of 1 to 10 digits (RFC 8461 §3.2)";
            return false;
        }

        string? maxAgeNote = null;
        if (seconds > MaxMaxAgeSeconds)
        {
            maxAgeNote = string.Format(CultureInfo.InvariantCulture, "max_age {0} is above the maximum of {1} seconds and was capped to it (RFC 8461 §3.2)", seconds, MaxMaxAgeSeconds);
            seconds = MaxMaxAgeSeconds;
        }

        var patterns = new List<string>();
        foreach (var pattern in mx)
        {
            var normalized = pattern.TrimEnd('.').ToLowerInvariant();
            if (!IsValidPattern(normalized))
            {
                problem = $"mx '{pattern}' is not a host name or '*.' followed by one (RFC 8461 §3.2)";
                return false;
            }

            if (!patterns.Contains(normalized))
            {
                patterns.Add(normalized);
            }
        }

        if (patterns.Count == 0 && parsedMode != MtaStsMode.None)
        {
            problem = "the policy has no mx line; one is required unless the mode is none (RFC 8461 §3.2)";
            return false;
        }

        var declared = ParseLevel(linkSecure, out var levelProblem);
        policy = new MtaStsPolicy(parsedMode, TimeSpan.FromSeconds(seconds), patterns, declared, levelProblem, maxAgeNote);
        return true;
    }

    /// <summary>Rebuilds a policy from stored fields (the durable policy cache), validating them as
    /// <see cref="TryParse"/> does.</summary>
    internal static bool TryCreate(MtaStsMode mode, long maxAgeSeconds, IEnumerable<string> mxPatterns, LinkSecurityLevel? declaredLevel, string? declaredLevelProblem, [NotNullWhen(true)] out MtaStsPolicy? policy)
    {
        policy = null;
        if (maxAgeSeconds < 0 || maxAgeSeconds > MaxMaxAgeSeconds || declaredLevel is { } l && (l < LinkSecurityLevel.TransportSecure || l > LinkSecurityLevel.ForwardSecure))
        {
            return false;
        }

        var patterns = new List<string>();
        foreach (var pattern in mxPatterns)
        {
            if (pattern is null || !IsValidPattern(pattern))
            {
                return false;
            }

            if (!patterns.Contains(pattern))
            {
                patterns.Add(pattern);
            }
        }

        if (patterns.Count == 0 && mode != MtaStsMode.None)
        {
            return false;
        }

        policy = new MtaStsPolicy(mode, TimeSpan.FromSeconds(maxAgeSeconds), patterns, declaredLevel, declaredLevelProblem, null);
        return true;
    }

    /// <summary>Tells whether an MX host matches one of the patterns (RFC 8461 §4.1; <see cref="TlsRequirement.MatchesPattern"/>).</summary>
    /// <param name="host">The MX host name.</param>
    /// <returns><see langword="true"/> when it matches.</returns>
    public bool Matches(string host) => MxPatterns.Any(p => TlsRequirement.MatchesPattern(p, host));

    /// <summary>Formats the policy for evidence: <c>mode enforce, max_age 86400, mx mail.example.com, *.example.net</c>,
    /// followed by <c>; linksecure 3</c> when the policy declares a level.</summary>
    /// <returns>One line.</returns>
    public override string ToString() =>
        string.Format(CultureInfo.InvariantCulture, "mode {0}, max_age {1}, mx {2}", Mode.ToString().ToLowerInvariant(), (long)MaxAge.TotalSeconds, MxPatterns.Count == 0 ? "(none)" : string.Join(", ", MxPatterns))
        + (DeclaredLevel is { } level ? string.Format(CultureInfo.InvariantCulture, "; linksecure {0}", (int)level) : string.Empty);

    private static LinkSecurityLevel? ParseLevel(string? value, out string? problem)
    {
        problem = null;
        if (value is null)
        {
            return null;
        }

        if (value.Length == 1 && value[0] is >= '1' and <= '4')
        {
            return (LinkSecurityLevel)(value[0] - '0');
        }

        problem = $"linksecure '{value}' is not a level from 1 to 4 and was ignored (unknown extension values are ignored, RFC 8461 §3.2)";
        return null;
    }

    private static bool IsValidPattern(string pattern)
    {
        var name = pattern.StartsWith("*.", StringComparison.Ordinal) ? pattern.Substring(2) : pattern;
        if (name.Length is 0 or > 253 || name.IndexOf('*') >= 0)
        {
            return false;
        }

        foreach (var label in name.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[label.Length - 1] == '-')
            {
                return false;
            }

            foreach (var c in label)
            {
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
