using System;
using System.Collections.Generic;

namespace LinkSecure.Core.Downgrade;

/// <summary>Options for <see cref="HeadersOnlyCopy"/>. Immutable.</summary>
public sealed class HeadersOnlyOptions
{
    /// <summary>Gets the defaults: every top-level field, with <c>Subject</c> replaced by <c>Link-Security-Subject</c>
    /// when the message carries one.</summary>
    public static HeadersOnlyOptions Default { get; } = new();

    /// <summary>Gets a value indicating whether a <c>Link-Security-Subject</c> field replaces the <c>Subject</c> (the
    /// original Subject may itself be confidential) and is then left out. Default <see langword="true"/>.</summary>
    public bool ReplaceSubject { get; init; } = true;

    /// <summary>Gets a value indicating whether only the downgrade keep-list (plus <see cref="ExtraKeepHeaders"/>) is
    /// copied, rather than every field. Default <see langword="false"/> (RFC 3462: the whole header).</summary>
    public bool KeepListOnly { get; init; }

    /// <summary>Gets field names kept in addition to the keep-list when <see cref="KeepListOnly"/> is set.</summary>
    public IReadOnlyList<string> ExtraKeepHeaders { get; init; } = Array.Empty<string>();

    /// <summary>Gets the hostile-input limits (only the header limits apply).</summary>
    public DowngradeLimits Limits { get; init; } = DowngradeLimits.Default;
}
