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
/// Which servers are believed is decided in one place, <see cref="DnsResolvers"/>.
/// </summary>
/// <remarks>A validating instance never asks its next server after an error response (DnsClient's
/// <c>ContinueOnDnsError = false</c>): a validator's SERVFAIL means bogus or indeterminate (RFC 7672 §2.1.1) and is
/// returned as it is, so it can never be replaced by another server's unauthenticated answer. A timeout still moves
/// on to the next server of the same list. No instance moves on after an empty NOERROR answer
/// (<c>ContinueOnEmptyResponse = false</c>).</remarks>
internal sealed class DnsLookup
{
    private readonly LookupClient client;
    private readonly TimeSpan negativeTtlCeiling;
    private readonly string serverList;

    /// <summary>Creates the client.</summary>
    /// <param name="servers">The servers, asked in order; empty: the system's resolvers
    /// (<see cref="DnsResolvers.SystemServers()"/>).</param>
    /// <param name="settings">Timeout, retries, TCP fallback, negative TTL ceiling.</param>
    /// <param name="validating">Whether the AD bit of <paramref name="servers"/> is believed.</param>
    /// <exception cref="NoNameServerException"><paramref name="servers"/> is empty and the system lists none.</exception>
    public DnsLookup(IReadOnlyList<IPEndPoint> servers, ResolverSettings settings, bool validating)
    {
        var system = servers.Count == 0;
        if (system)
        {
            servers = DnsResolvers.SystemServers();
            if (servers.Count == 0)
            {
                throw new NoNameServerException();
            }
        }

        var options = new LookupClientOptions(servers.Select(s => new NameServer(s)).ToArray());
        options.UseCache = false; // NetworkProfileSource caches profiles with the TTLs it computes.
        options.Timeout = settings.Timeout;
        options.Retries = settings.Retries;
        options.UseTcpFallback = settings.TcpFallback;
        options.ThrowDnsErrors = false;
        // RFC 7672 §2.1.1: a validator's SERVFAIL (bogus or indeterminate) must not be retried on another server.
        options.ContinueOnDnsError = !validating;
        options.ContinueOnEmptyResponse = false;
        options.UseRandomNameServer = false;
        options.RequestDnsSecRecords = validating;
        options.EnableAuditTrail = false;
        client = new LookupClient(options);
        IsValidating = validating;
        negativeTtlCeiling = settings.NegativeTtl;
        ServerEndpoints = servers.ToArray();
        serverList = string.Join(", ", servers.Select(s => s.ToString())) + (system ? " (system resolvers)" : string.Empty);
    }

    /// <summary>Gets a value indicating whether the AD bit of answers is believed.</summary>
    public bool IsValidating { get; }

    /// <summary>Gets the servers, for messages.</summary>
    public string Servers => serverList;

    /// <summary>Gets the servers, in the order they are asked.</summary>
    public IReadOnlyList<IPEndPoint> ServerEndpoints { get; }

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
