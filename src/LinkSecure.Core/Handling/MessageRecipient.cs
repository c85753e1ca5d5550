using System;

namespace LinkSecure.Core.Handling;

/// <summary>A recipient as the host sees it.</summary>
/// <remarks><see cref="HostSaysInternal"/> is the host's own internal-recipient test (the Exchange agent's strict test of
/// authoritative accepted domains); the CLI passes <see langword="false"/>. The core still applies
/// <c>internalDomains</c> (<see cref="Configuration.LinkSecureSettings.IsInternalDomain"/>) on top.</remarks>
public readonly struct MessageRecipient : IEquatable<MessageRecipient>
{
    private readonly string? address;

    /// <summary>Creates a recipient.</summary>
    /// <param name="address">The envelope address (RFC 5321 forward-path), e.g. <c>user@example.com</c>.</param>
    /// <param name="hostSaysInternal">Whether the host knows the recipient is internal.</param>
    public MessageRecipient(string address, bool hostSaysInternal)
    {
        this.address = address ?? throw new ArgumentNullException(nameof(address));
        HostSaysInternal = hostSaysInternal;
    }

    /// <summary>Gets the envelope address (empty for a default value).</summary>
    public string Address => address ?? string.Empty;

    /// <summary>Gets a value indicating whether the host says the recipient is internal.</summary>
    public bool HostSaysInternal { get; }

    /// <summary>Compares two recipients.</summary>
    /// <param name="left">The first recipient.</param>
    /// <param name="right">The second recipient.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public static bool operator ==(MessageRecipient left, MessageRecipient right) => left.Equals(right);

    /// <summary>Compares two recipients.</summary>
    /// <param name="left">The first recipient.</param>
    /// <param name="right">The second recipient.</param>
    /// <returns><see langword="true"/> when different.</returns>
    public static bool operator !=(MessageRecipient left, MessageRecipient right) => !left.Equals(right);

    /// <inheritdoc />
    public bool Equals(MessageRecipient other) =>
        string.Equals(Address, other.Address, StringComparison.Ordinal) && HostSaysInternal == other.HostSaysInternal;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is MessageRecipient other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Address) ^ (HostSaysInternal ? 1 : 0);

    /// <inheritdoc />
    public override string ToString() => HostSaysInternal ? Address + " (internal)" : Address;
}
