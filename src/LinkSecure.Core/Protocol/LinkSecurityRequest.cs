using System;
using System.Collections.Generic;
using System.Globalization;

namespace LinkSecure.Core.Protocol;

/// <summary>
/// The sender's link-security request for one message, as parsed from its header fields by
/// <see cref="RequestParser"/>.
/// </summary>
/// <remarks>
/// A request with <see cref="Level"/> <see cref="LinkSecurityLevel.None"/> asks for nothing. When
/// <see cref="IsWaiver"/> is <see langword="true"/>, the sender explicitly waived recipient TLS
/// policy with <c>TLS-Required: No</c> (RFC 8689 §3): the message is neither forced, bounced nor
/// downgraded. Instances are immutable.
/// </remarks>
public sealed class LinkSecurityRequest : IEquatable<LinkSecurityRequest>
{
    private static readonly string[] NoWarnings = Array.Empty<string>();

    /// <summary>The shared instance for a message that carries none of the protocol's header fields.</summary>
    public static readonly LinkSecurityRequest None = new(LinkSecurityLevel.None, FallbackAction.Bounce, false, RequestSources.None, NoWarnings);

    /// <summary>Creates a request.</summary>
    /// <param name="level">The requested level; <see cref="LinkSecurityLevel.None"/> for no request.</param>
    /// <param name="fallback">What to do when a recipient's link does not meet <paramref name="level"/>.</param>
    /// <param name="isWaiver">Whether the sender waived recipient TLS policy (RFC 8689 §3).</param>
    /// <param name="sources">The header fields the request came from.</param>
    /// <param name="warnings">Problems met while parsing, for the log; never shown to end users.</param>
    public LinkSecurityRequest(LinkSecurityLevel level, FallbackAction fallback, bool isWaiver, RequestSources sources, IReadOnlyList<string>? warnings = null)
    {
        if (level < LinkSecurityLevel.None || level > LinkSecurityLevel.ForwardSecure)
        {
            throw new ArgumentOutOfRangeException(nameof(level), level, "The level must be between 0 and 4.");
        }

        if (isWaiver && level != LinkSecurityLevel.None)
        {
            throw new ArgumentException("A waiver cannot carry a level.", nameof(isWaiver));
        }

        Level = level;
        Fallback = fallback;
        IsWaiver = isWaiver;
        Sources = sources;
        Warnings = warnings ?? NoWarnings;
    }

    /// <summary>Gets the requested level; <see cref="LinkSecurityLevel.None"/> when the message asks for nothing.</summary>
    public LinkSecurityLevel Level { get; }

    /// <summary>Gets the sender's fallback when a recipient's link is not secure enough.</summary>
    public FallbackAction Fallback { get; }

    /// <summary>Gets a value indicating whether the sender waived recipient TLS policy (<c>TLS-Required: No</c>).</summary>
    public bool IsWaiver { get; }

    /// <summary>Gets the header fields the request was read from.</summary>
    public RequestSources Sources { get; }

    /// <summary>Gets the parsing warnings (malformed values, conflicting fields); empty when there were none.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Gets a value indicating whether the message asks for link-secure delivery.</summary>
    public bool IsRequested => Level != LinkSecurityLevel.None;

    /// <summary>Formats the request in the header syntax, e.g. <c>level=2; fallback=safe-part</c>.</summary>
    /// <returns>The header value, <c>none</c> or <c>waived (TLS-Required: No)</c>.</returns>
    public override string ToString()
    {
        if (IsWaiver)
        {
            return "waived (TLS-Required: No)";
        }

        if (!IsRequested)
        {
            return "none";
        }

        return string.Format(CultureInfo.InvariantCulture, "level={0}; fallback={1}", (int)Level, FormatFallback(Fallback));
    }

    /// <summary>Returns the protocol token for a fallback action.</summary>
    /// <param name="fallback">The action.</param>
    /// <returns><c>bounce</c> or <c>safe-part</c>.</returns>
    public static string FormatFallback(FallbackAction fallback) => fallback == FallbackAction.SafePart ? "safe-part" : "bounce";

    /// <inheritdoc />
    public bool Equals(LinkSecurityRequest? other) =>
        other is not null && Level == other.Level && Fallback == other.Fallback && IsWaiver == other.IsWaiver;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as LinkSecurityRequest);

    /// <inheritdoc />
    public override int GetHashCode() => ((int)Level * 397) ^ ((int)Fallback * 17) ^ (IsWaiver ? 1 : 0);
}
