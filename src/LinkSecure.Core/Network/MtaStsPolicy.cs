using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using LinkSecure.Core.Profiles;

namespace LinkSecure.Core.Network;

/// <summary>An MTA-STS policy file (RFC 8461 §3.2), parsed and validated.</summary>
public sealed class MtaStsPolicy
{
    /// <summary>The largest <c>max_age</c> allowed: 31557600 seconds, about a year (RFC 8461 §3.2).</summary>
    public const long MaxMaxAgeSeconds = 31_557_600;

    private MtaStsPolicy(MtaStsMode mode, TimeSpan maxAge, IReadOnlyList<string> mxPatterns)
    {
        Mode = mode;
        MaxAge = maxAge;
        MxPatterns = mxPatterns;
    }

    /// <summary>Gets the mode.</summary>
    public MtaStsMode Mode { get; }

    /// <summary>Temporary.</summary>
    public Protocol.LinkSecurityLevel? DeclaredLevel { get; }

    /// <summary>Gets how long the policy may be cached.</summary>
    public TimeSpan MaxAge { get; }

    /// <summary>Gets the <c>mx</c> patterns, lower case (RFC 8461 §4.1 syntax).</summary>
    public IReadOnlyList<string> MxPatterns { get; }

    /// <summary>
    /// Parses a policy body. Lines end in LF or CRLF and are <c>key: value</c>; unknown keys are ignored; for a
    /// repeated key other than <c>mx</c> only the first occurrence counts; <c>version</c>, <c>mode</c> and
    /// <c>max_age</c> are required, and at least one <c>mx</c> unless the mode is <c>none</c> (RFC 8461 §3.2).
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

        if (maxAge.Length is 0 or > 10 || !long.TryParse(maxAge, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > MaxMaxAgeSeconds)
        {
            problem = $"max_age '{maxAge}' is not a number of seconds from 0 to {MaxMaxAgeSeconds} (RFC 8461 §3.2)";
            return false;
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

        policy = new MtaStsPolicy(parsedMode, TimeSpan.FromSeconds(seconds), patterns);
        return true;
    }

    /// <summary>Tells whether an MX host matches one of the patterns (RFC 8461 §4.1; <see cref="TlsRequirement.MatchesPattern"/>).</summary>
    /// <param name="host">The MX host name.</param>
    /// <returns><see langword="true"/> when it matches.</returns>
    public bool Matches(string host) => MxPatterns.Any(p => TlsRequirement.MatchesPattern(p, host));

    /// <summary>Formats the policy for evidence: <c>mode enforce, max_age 86400, mx mail.example.com, *.example.net</c>.</summary>
    /// <returns>One line.</returns>
    public override string ToString() =>
        string.Format(CultureInfo.InvariantCulture, "mode {0}, max_age {1}, mx {2}", Mode.ToString().ToLowerInvariant(), (long)MaxAge.TotalSeconds, MxPatterns.Count == 0 ? "(none)" : string.Join(", ", MxPatterns));

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
