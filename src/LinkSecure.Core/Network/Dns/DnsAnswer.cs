using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using DnsClient.Protocol;

namespace LinkSecure.Core.Network;

/// <summary>How a DNS query ended.</summary>
internal enum DnsOutcome
{
    /// <summary>NOERROR with records of the asked type.</summary>
    Records,

    /// <summary>NOERROR without records of the asked type (NODATA).</summary>
    NoData,

    /// <summary>NXDOMAIN: the name does not exist.</summary>
    NxDomain,

    /// <summary>SERVFAIL, REFUSED or another error code: a temporary failure.</summary>
    ServerFailure,

    /// <summary>No answer within the timeout and retries, or the lookup budget ran out.</summary>
    Timeout,

    /// <summary>Any other failure (network error, malformed answer).</summary>
    Error,
}

/// <summary>The result of one DNS query, with what the profile needs: records, TTL, DNSSEC status and a description.</summary>
internal sealed class DnsAnswer
{
    public DnsAnswer(string name, string type, DnsOutcome outcome, IReadOnlyList<DnsResourceRecord> records, bool authenticated, TimeSpan ttl, string? server, string? detail)
    {
        Name = name;
        Type = type;
        Outcome = outcome;
        Records = records;
        Authenticated = authenticated;
        Ttl = ttl;
        Server = server;
        Detail = detail;
    }

    /// <summary>Gets the queried name.</summary>
    public string Name { get; }

    /// <summary>Gets the queried type (MX, TXT, TLSA, A, AAAA).</summary>
    public string Type { get; }

    public DnsOutcome Outcome { get; }

    /// <summary>Gets the answer records of the asked type (CNAMEs are followed by the server and left out).</summary>
    public IReadOnlyList<DnsResourceRecord> Records { get; }

    /// <summary>Gets a value indicating whether the answer came from a validating resolver with the AD bit set.</summary>
    public bool Authenticated { get; }

    /// <summary>Gets how long the answer may be cached: the smallest record TTL, or the negative TTL from the SOA (RFC 2308 §5).</summary>
    public TimeSpan Ttl { get; }

    /// <summary>Gets the server that answered, when known.</summary>
    public string? Server { get; }

    /// <summary>Gets extra detail for failures.</summary>
    public string? Detail { get; }

    public bool IsFailure => Outcome is DnsOutcome.ServerFailure or DnsOutcome.Timeout or DnsOutcome.Error;

    public bool IsMissing => Outcome is DnsOutcome.NoData or DnsOutcome.NxDomain;

    public IEnumerable<T> Of<T>()
        where T : DnsResourceRecord => Records.OfType<T>();

    /// <summary>Describes a failure for an administrator: "TLSA lookup for _25._tcp.mx1.example.com returned SERVFAIL".</summary>
    public string Describe()
    {
        var what = Outcome switch
        {
            DnsOutcome.Records => "returned records",
            DnsOutcome.NoData => "returned no records",
            DnsOutcome.NxDomain => "returned NXDOMAIN",
            DnsOutcome.ServerFailure => "returned " + (Detail ?? "SERVFAIL"),
            DnsOutcome.Timeout => Detail ?? "timed out",
            _ => "failed" + (Detail is null ? string.Empty : ": " + Detail),
        };
        var server = Server is null ? string.Empty : " (server " + Server + ")";
        return string.Format(CultureInfo.InvariantCulture, "{0} lookup for {1} {2}{3}", Type, Name, what, server);
    }
}
