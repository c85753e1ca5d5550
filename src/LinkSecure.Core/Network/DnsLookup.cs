using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using DnsClient;
using DnsClient.Protocol;
using LinkSecure.Core.Configuration;

namespace LinkSecure.Core.Network;

/// <summary>
/// DNS queries through DnsClient with the configured servers, timeout, retries and TCP fallback. A validating
/// instance sets the DO bit and believes the AD bit of its servers (RFC 7672 §2.1, as Postfix does); a plain
/// instance reports every answer as not authenticated. Never throws for DNS outcomes: they are <see cref="DnsAnswer"/>s.
/// </summary>
internal sealed class DnsLookup
{
    private readonly LookupClient client;
    private readonly TimeSpan negativeTtlCeiling;
    private readonly string serverList;

    public DnsLookup(IReadOnlyList<IPEndPoint> servers, ResolverSettings settings, bool validating)
    {
        var options = servers.Count == 0
            ? new LookupClientOptions()
            : new LookupClientOptions(servers.Select(s => new NameServer(s)).ToArray());
        options.UseCache = false; // NetworkProfileSource caches profiles with the TTLs it computes.
        options.Timeout = settings.Timeout;
        options.Retries = settings.Retries;
        options.UseTcpFallback = settings.TcpFallback;
        options.ThrowDnsErrors = false;
        options.ContinueOnDnsError = true;
        options.ContinueOnEmptyResponse = false;
        options.UseRandomNameServer = false;
        options.RequestDnsSecRecords = validating;
        options.EnableAuditTrail = false;
        client = new LookupClient(options);
        IsValidating = validating;
        negativeTtlCeiling = settings.NegativeTtl;
        serverList = servers.Count == 0 ? "system resolvers" : string.Join(", ", servers.Select(s => s.ToString()));
    }

    /// <summary>Gets a value indicating whether the AD bit of answers is believed.</summary>
    public bool IsValidating { get; }

    /// <summary>Gets the servers, for messages.</summary>
    public string Servers => serverList;

    public async Task<DnsAnswer> QueryAsync(string name, QueryType type, CancellationToken cancellationToken)
    {
        var typeName = type.ToString();
        IDnsQueryResponse response;
        try
        {
            response = await client.QueryAsync(name, type, QueryClass.IN, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is OperationCanceledException or DnsResponseException)
        {
            return Failed(name, typeName, DnsOutcome.Timeout, "did not finish within the lookup's time budget");
        }
        catch (DnsResponseException ex) when (ex.Code == DnsResponseCode.ConnectionTimeout)
        {
            return Failed(name, typeName, DnsOutcome.Timeout, string.Format(CultureInfo.InvariantCulture, "timed out ({0} ms per attempt; servers {1})", (int)client.Settings.Timeout.TotalMilliseconds, serverList));
        }
        catch (DnsResponseException ex)
        {
            return Failed(name, typeName, DnsOutcome.Error, ex.Message + " (servers " + serverList + ")");
        }
        catch (SocketException ex)
        {
            return Failed(name, typeName, DnsOutcome.Error, ex.Message + " (servers " + serverList + ")");
        }
        catch (TimeoutException)
        {
            return Failed(name, typeName, DnsOutcome.Timeout, "timed out (servers " + serverList + ")");
        }

        return Interpret(name, type, typeName, response);
    }

    private DnsAnswer Interpret(string name, QueryType type, string typeName, IDnsQueryResponse response)
    {
        var server = response.NameServer?.ToString();
        var header = response.Header;
        var authenticated = IsValidating && header.IsAuthenticData;
        if (header.ResultTruncated)
        {
            return new DnsAnswer(name, typeName, DnsOutcome.Error, Array.Empty<DnsResourceRecord>(), false, TimeSpan.Zero, server, "truncated answer and TCP fallback is off (resolver.tcpFallback)");
        }

        switch (header.ResponseCode)
        {
            case DnsHeaderResponseCode.NoError:
                var wanted = (ResourceRecordType)(int)type;
                var records = response.Answers.Where(r => r.RecordType == wanted).ToArray();
                if (records.Length > 0)
                {
                    var ttl = TimeSpan.FromSeconds(records.Min(r => Math.Max(0, r.InitialTimeToLive)));
                    return new DnsAnswer(name, typeName, DnsOutcome.Records, records, authenticated, ttl, server, null);
                }

                return new DnsAnswer(name, typeName, DnsOutcome.NoData, Array.Empty<DnsResourceRecord>(), authenticated, NegativeTtl(response), server, null);

            case DnsHeaderResponseCode.NotExistentDomain:
                return new DnsAnswer(name, typeName, DnsOutcome.NxDomain, Array.Empty<DnsResourceRecord>(), authenticated, NegativeTtl(response), server, null);

            case DnsHeaderResponseCode.ServerFailure:
                return new DnsAnswer(name, typeName, DnsOutcome.ServerFailure, Array.Empty<DnsResourceRecord>(), false, TimeSpan.Zero, server, "SERVFAIL");

            default:
                return new DnsAnswer(name, typeName, DnsOutcome.ServerFailure, Array.Empty<DnsResourceRecord>(), false, TimeSpan.Zero, server, header.ResponseCode.ToString().ToUpperInvariant());
        }
    }

    /// <summary>RFC 2308 §5: the negative TTL is the smaller of the SOA's TTL and its MINIMUM field; without a SOA,
    /// the configured ceiling.</summary>
    private TimeSpan NegativeTtl(IDnsQueryResponse response)
    {
        var soa = response.Authorities.OfType<SoaRecord>().FirstOrDefault();
        if (soa is null)
        {
            return negativeTtlCeiling;
        }

        var seconds = Math.Min((long)Math.Max(0, soa.InitialTimeToLive), soa.Minimum);
        var ttl = TimeSpan.FromSeconds(seconds);
        return ttl < negativeTtlCeiling ? ttl : negativeTtlCeiling;
    }

    private static DnsAnswer Failed(string name, string type, DnsOutcome outcome, string detail) =>
        new(name, type, outcome, Array.Empty<DnsResourceRecord>(), false, TimeSpan.Zero, null, detail);
}
