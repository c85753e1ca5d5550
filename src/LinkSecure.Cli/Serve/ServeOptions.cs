using System.Collections.Generic;
using System.Security.Cryptography.X509Certificates;

namespace LinkSecure.Cli.Serve;

/// <summary>What <c>linksecure serve</c> was told on its command line, checked.</summary>
internal sealed class ServeOptions
{
    /// <summary>The default listening address.</summary>
    public const string DefaultListen = "https://127.0.0.1:8443";

    /// <summary>Gets the listening addresses (at least one).</summary>
    public required IReadOnlyList<ListenAddress> Listen { get; init; }

    /// <summary>Gets the HTTPS certificate; <see langword="null"/> when every address is plain loopback HTTP.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>Gets the public base URL (no trailing slash); <see langword="null"/>: from the first address.</summary>
    public string? PublicUrl { get; init; }

    /// <summary>Gets the add-in folder served under <c>/addin/</c>.</summary>
    public required string AddinDirectory { get; init; }

    /// <summary>Gets the origins allowed to frame the add-in (CSP <c>frame-ancestors</c>); empty: any (<c>*</c>).</summary>
    public IReadOnlyList<string> FrameAncestors { get; init; } = [];

    /// <summary>Gets a value indicating whether debug lines (domain only) are logged.</summary>
    public bool Verbose { get; init; }
}
