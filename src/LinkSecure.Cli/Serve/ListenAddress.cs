using System;
using System.Globalization;
using System.Net;

namespace LinkSecure.Cli.Serve;

/// <summary>One <c>--listen</c> address of <c>linksecure serve</c>: <c>https://IP:PORT</c>, or <c>http://IP:PORT</c> on a
/// loopback address only (tests, or a reverse proxy on the same host that terminates TLS).</summary>
internal sealed class ListenAddress
{
    private ListenAddress(bool https, IPAddress address, int port, string host)
    {
        IsHttps = https;
        Address = address;
        Port = port;
        Host = host;
    }

    /// <summary>Gets a value indicating whether the address serves HTTPS.</summary>
    public bool IsHttps { get; }

    /// <summary>Gets the IP address (<see cref="IPAddress.IPv6Any"/> or <see cref="IPAddress.Any"/> for every interface).</summary>
    public IPAddress Address { get; }

    /// <summary>Gets the port; 0 picks a free one.</summary>
    public int Port { get; }

    /// <summary>Gets the host as written (IPv6 in brackets), for the default public URL.</summary>
    public string Host { get; }

    /// <summary>Gets a value indicating whether the address listens on every interface.</summary>
    public bool IsAny => Address.Equals(IPAddress.Any) || Address.Equals(IPAddress.IPv6Any);

    /// <summary>Parses <c>https://IP:PORT</c> or <c>http://IP:PORT</c> (IPv6 in brackets; <c>localhost</c> is 127.0.0.1).</summary>
    /// <exception cref="UsageException">Malformed, another scheme, a path, or plain HTTP on a non-loopback address.</exception>
    public static ListenAddress Parse(string text)
    {
        var value = (text ?? string.Empty).Trim();
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            throw new UsageException($"--listen '{text}' is not https://IP:PORT or http://IP:PORT (an IPv4 address, an IPv6 address in brackets, or localhost, and a port).");
        }

        var https = uri.Scheme == Uri.UriSchemeHttps;
        var host = uri.Host;
        IPAddress? address;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(host.Trim('[', ']'), out address))
        {
            throw new UsageException($"--listen '{text}': the host must be an IP address or localhost; a name would listen wherever it resolves to.");
        }

        var port = uri.Port;
        if (!https && !IPAddress.IsLoopback(address))
        {
            throw new UsageException($"--listen {text}: plain http:// only on a loopback address (tests, or a reverse proxy on this host that terminates TLS); use https:// with --certificate.");
        }

        return new ListenAddress(https, address, port, uri.Host);
    }

    /// <summary>Formats the address with an actual port.</summary>
    public string Format(int port) => (IsHttps ? "https://" : "http://") + Host + ":" + port.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public override string ToString() => Format(Port);
}
