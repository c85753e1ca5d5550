using System;
using System.Collections.Generic;
using System.Security.Cryptography.X509Certificates;

namespace LinkSecure.Core.Probing;

/// <summary>How a probe talks to an MX address. Immutable once built.</summary>
public sealed class SmtpProbeOptions
{
    /// <summary>Gets the defaults: port 25, 30 s per address, 10 s to connect, 2048-byte reply lines.</summary>
    public static SmtpProbeOptions Default { get; } = new();

    /// <summary>Gets the TCP port (25; other values for private setups and tests).</summary>
    public int Port { get; init; } = 25;

    /// <summary>Gets the time budget of the whole conversation with one address; when it runs out the probe stops
    /// where it is and reports the stage (a server that answers one byte per second cannot hold the probe).</summary>
    public TimeSpan Budget { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets the longest wait for the TCP connection (within <see cref="Budget"/>).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets the name sent with EHLO; <see langword="null"/> for the address literal of the local end
    /// (RFC 5321 §4.1.3), which every server accepts syntactically.</summary>
    public string? HeloName { get; init; }

    /// <summary>Gets the longest reply line accepted, in bytes including CRLF (RFC 5321 §4.5.3.1.5 says 512; servers
    /// exceed it, so the default allows 2048). A longer line ends the probe as a protocol error.</summary>
    public int MaxLineLength { get; init; } = 2048;

    /// <summary>Gets the most lines one reply may have.</summary>
    public int MaxReplyLines { get; init; } = 100;

    /// <summary>Gets extra trust anchors (an enterprise CA) besides the system trust store.</summary>
    public IReadOnlyList<X509Certificate2> TrustAnchors { get; init; } = Array.Empty<X509Certificate2>();

    /// <summary>Gets the clock used to judge certificate validity periods; <see cref="TimeProvider.System"/> when <see langword="null"/>.</summary>
    public TimeProvider? TimeProvider { get; init; }

    internal void Validate()
    {
        if (Port is < 1 or > 65_535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "The port must be 1 to 65535.");
        }

        if (Budget <= TimeSpan.Zero || ConnectTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Budget), "The budget and connect timeout must be positive.");
        }

        if (MaxLineLength < 64 || MaxReplyLines < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxLineLength), "Reply limits are too small.");
        }
    }
}
