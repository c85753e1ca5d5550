using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace LinkSecure.Core.Network;

/// <summary>
/// Reads the <c>nameserver</c> lines of a resolver configuration file (<c>/etc/resolv.conf</c>, resolv.conf(5)), for
/// hosts where DnsClient finds no name server on the network interfaces (a container whose only interface is
/// loopback, for example). Only <c>nameserver</c> lines are read; everything else is ignored.
/// </summary>
internal static class ResolvConf
{
    /// <summary>The system's resolver configuration file on Linux and other Unix systems.</summary>
    public const string DefaultPath = "/etc/resolv.conf";

    private static readonly char[] Blanks = { ' ', '\t' };

    /// <summary>Reads the name servers of a file; a missing or unreadable file has none.</summary>
    /// <param name="path">The file, normally <see cref="DefaultPath"/>.</param>
    /// <returns>The servers on port 53, in file order, without duplicates.</returns>
    public static IReadOnlyList<IPEndPoint> ReadNameServers(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or System.Security.SecurityException)
        {
            return Array.Empty<IPEndPoint>();
        }

        return Parse(lines);
    }

    /// <summary>Parses <c>nameserver</c> lines: <c>nameserver 192.0.2.53</c>, <c>nameserver 2001:db8::53</c>,
    /// <c>nameserver fe80::1%eth0</c>. Lines starting with <c>#</c> or <c>;</c> are comments, and so is anything after
    /// the address. Lines that are not a keyword with an IP address are skipped, as the C library does.</summary>
    /// <param name="lines">The file's lines.</param>
    /// <returns>The servers on port 53, in file order, without duplicates.</returns>
    public static IReadOnlyList<IPEndPoint> Parse(IEnumerable<string> lines)
    {
        var servers = new List<IPEndPoint>();
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#' || line[0] == ';')
            {
                continue;
            }

            var fields = line.Split(Blanks, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || !string.Equals(fields[0], "nameserver", StringComparison.Ordinal))
            {
                continue;
            }

            if (TryParseAddress(fields[1], out var address))
            {
                var endpoint = new IPEndPoint(address, 53);
                if (!servers.Contains(endpoint))
                {
                    servers.Add(endpoint);
                }
            }
        }

        return servers;
    }

    /// <summary>Parses one address. A scope id (<c>%eth0</c>, <c>%2</c>) matters only for an IPv6 link-local address,
    /// which cannot be reached without it: there it becomes the interface index (a name is looked up among the
    /// interfaces; an unknown name drops the server). On any other address the scope id is ignored. The unspecified
    /// addresses (<c>0.0.0.0</c>, <c>::</c>) are dropped, as DnsClient drops them.</summary>
    private static bool TryParseAddress(string text, out IPAddress address)
    {
        address = IPAddress.None;
        var percent = text.IndexOf('%');
        var scope = percent < 0 ? null : text.Substring(percent + 1);
        var host = percent < 0 ? text : text.Substring(0, percent);
        if (!IPAddress.TryParse(host, out var parsed) || parsed.Equals(IPAddress.Any) || parsed.Equals(IPAddress.IPv6Any))
        {
            return false;
        }

        // "1.2.3.4" parses, but so does "1" (as 0.0.0.1): require the dotted form the C library's inet_pton accepts.
        if (parsed.AddressFamily == AddressFamily.InterNetwork && host.Count(c => c == '.') != 3)
        {
            return false;
        }

        if (parsed.AddressFamily == AddressFamily.InterNetworkV6 && parsed.IsIPv6LinkLocal)
        {
            if (scope is null || !TryGetScopeId(scope, out var scopeId))
            {
                return false;
            }

            parsed.ScopeId = scopeId;
        }

        address = parsed;
        return true;
    }

    private static bool TryGetScopeId(string scope, out long scopeId)
    {
        if (long.TryParse(scope, NumberStyles.None, CultureInfo.InvariantCulture, out scopeId) && scopeId is > 0 and <= uint.MaxValue)
        {
            return true;
        }

        scopeId = 0;
        try
        {
            var match = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(i => string.Equals(i.Name, scope, StringComparison.Ordinal) && i.Supports(NetworkInterfaceComponent.IPv6));
            var index = match?.GetIPProperties().GetIPv6Properties()?.Index ?? 0;
            scopeId = index;
            return index > 0;
        }
        catch (Exception ex) when (ex is NetworkInformationException or PlatformNotSupportedException or InvalidOperationException)
        {
            return false;
        }
    }
}
