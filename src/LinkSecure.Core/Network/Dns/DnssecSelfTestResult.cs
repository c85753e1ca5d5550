using System;

namespace LinkSecure.Core.Network;

/// <summary>What the DNSSEC self-test found out about the resolver whose AD bit is believed.</summary>
public enum DnssecSelfTestStatus
{
    /// <summary>The trusted validating resolver answered the probe (<c>resolver.dnssecProbeName</c> DNSKEY) with the
    /// AD bit set: it validates DNSSEC.</summary>
    Ok,

    /// <summary>The trusted resolver answered the probe without the AD bit: it does not validate DNSSEC (or the probe
    /// name is not in a zone signed under its trust anchor), so no answer will be authenticated and DANE and signed
    /// declarations will not be used.</summary>
    NotValidating,

    /// <summary>No trusted validating resolver is configured or found (RFC 7672 §2.1): DNSSEC status is unknown.</summary>
    NoValidator,

    /// <summary>The probe failed: a timeout, a network error or SERVFAIL (which a validator also answers when
    /// validation fails, RFC 7672 §2.1.1). Whether the resolver validates is unknown.</summary>
    Failed,
}

/// <summary>The result of the DNSSEC self-test: a DNSKEY query for <c>resolver.dnssecProbeName</c> through the resolver
/// every lookup goes through (as Postfix's <c>dnssec_probe</c> does). Shown by <c>linksecure check</c> and logged by
/// the agent.</summary>
public sealed class DnssecSelfTestResult
{
    /// <summary>Creates a result.</summary>
    /// <param name="status">The outcome.</param>
    /// <param name="detail">What happened, for an administrator.</param>
    /// <param name="server">The resolver that was asked (or answered), for messages.</param>
    /// <param name="probeName">The name whose DNSKEY RRset was asked for.</param>
    public DnssecSelfTestResult(DnssecSelfTestStatus status, string detail, string server, string probeName)
    {
        Status = status;
        Detail = detail ?? throw new ArgumentNullException(nameof(detail));
        Server = server ?? throw new ArgumentNullException(nameof(server));
        ProbeName = probeName ?? throw new ArgumentNullException(nameof(probeName));
    }

    /// <summary>Gets the outcome.</summary>
    public DnssecSelfTestStatus Status { get; }

    /// <summary>Gets what happened, for an administrator.</summary>
    public string Detail { get; }

    /// <summary>Gets the resolver that answered, or the configured resolvers when none did.</summary>
    public string Server { get; }

    /// <summary>Gets the name whose DNSKEY RRset was asked for (<c>.</c> by default).</summary>
    public string ProbeName { get; }

    /// <summary>Gets a value indicating whether the believed resolver is shown to validate DNSSEC.</summary>
    public bool IsOk => Status == DnssecSelfTestStatus.Ok;

    /// <inheritdoc />
    public override string ToString() => Status + ": " + Detail;
}
