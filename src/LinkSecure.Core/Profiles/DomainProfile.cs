using System;
using System.Collections.Generic;
using System.Linq;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Profiles;

/// <summary>
/// What is known about a recipient domain's link security: its level, the TLS requirement a sender must apply,
/// and the evidence behind both (docs/protocol.md, "Levels").
/// </summary>
/// <remarks>
/// <para>A profile is built from facts; <see cref="Level"/> is derived from them by the protocol's rule
/// "a profile's level is the highest level whose every property is evidenced by evidence an attacker on the path cannot
/// forge" (docs/protocol.md §3):</para>
/// <list type="bullet">
/// <item>1 needs authenticated, downgrade-resistant transport evidence (<see cref="TransportEnforced"/>): an MTA-STS
/// <c>enforce</c> policy (RFC 8461 §5), DANE on every MX of a DNSSEC-secure MX RRset (RFC 7672 §2.2), a database entry
/// or override that pins MX names, or an authenticated declaration bound to an authenticated MX set — and no observed
/// failure on an MX (<see cref="TlsFailure"/>);</item>
/// <item>2 needs an authenticated declaration of at least 2 (<see cref="DeclaredLevel"/>);</item>
/// <item>3 needs a declaration of at least 3 (REQUIRETLS at the MX hosts does not count: no route of this product
/// sends the REQUIRETLS parameter, RFC 8689 §4);</item>
/// <item>4 needs a declaration of 4.</item>
/// </list>
/// <para>The sources only set <see cref="DeclaredLevel"/> and <see cref="TransportEnforced"/> from authenticated
/// evidence; unauthenticated findings are kept as <see cref="Evidence"/> that says it was not counted. An
/// administrator's forced level (<see cref="ForcedLevel"/>) replaces the rule. Instances are immutable.</para>
/// </remarks>
public sealed class DomainProfile
{
    private static readonly Evidence[] NoEvidence = Array.Empty<Evidence>();

    /// <summary>Creates a profile.</summary>
    /// <param name="domain">The normalised domain.</param>
    public DomainProfile(string domain)
    {
        Domain = domain ?? throw new ArgumentNullException(nameof(domain));
    }

    /// <summary>Gets the normalised (A-label, lower-case) domain.</summary>
    public string Domain { get; }

    /// <summary>Gets the highest level declared for the domain by authenticated sources: a database entry, a
    /// DNSSEC-authenticated declared record, the <c>linksecure</c> key of an enforced MTA-STS policy, or the
    /// <c>LINKSECURE</c> EHLO keyword heard in a TLS session authenticated for a host of the authenticated MX set.</summary>
    public LinkSecurityLevel DeclaredLevel { get; init; }

    /// <summary>Gets a value indicating whether there is authenticated, downgrade-resistant evidence that the domain's
    /// MX hosts require authenticated TLS (MTA-STS <c>enforce</c>, DANE on every MX of a secure MX RRset, pinned names of
    /// a database entry or override, an authenticated declaration bound to a DNSSEC-secure MX RRset).</summary>
    public bool TransportEnforced { get; init; }

    /// <summary>Gets a value indicating whether every MX was seen advertising REQUIRETLS (RFC 8689 §2) in an authenticated
    /// session. Evidence only: it counts toward no level, since no route of this product sends the REQUIRETLS MAIL
    /// parameter (RFC 8689 §4).</summary>
    public bool RequireTlsOnEveryMx { get; init; }

    /// <summary>Gets an administrator's forced level, which replaces the derived level; <see langword="null"/> when none.</summary>
    public LinkSecurityLevel? ForcedLevel { get; init; }

    /// <summary>Gets an observed TLS failure on an MX (no STARTTLS, certificate not valid for its name) that defeats
    /// level 1, or <see langword="null"/>. A failure under an enforced policy is a temporary failure instead
    /// (<see cref="TemporaryFailureKind.PolicyViolation"/>).</summary>
    public string? TlsFailure { get; init; }

    /// <summary>Gets the TLS requirement a sender must apply.</summary>
    public TlsRequirement Tls { get; init; } = TlsRequirement.None;

    /// <summary>Gets whether this profile is a verdict or a failed lookup.</summary>
    public ProfileStatus Status { get; init; }

    /// <summary>Gets the kind of temporary failure, when <see cref="Status"/> is <see cref="ProfileStatus.TemporaryFailure"/>.</summary>
    public TemporaryFailureKind FailureKind { get; init; }

    /// <summary>Gets the reason for a temporary failure, in words an administrator can act on.</summary>
    public string? FailureReason { get; init; }

    /// <summary>Gets the evidence behind the profile.</summary>
    public IReadOnlyList<Evidence> Evidence { get; init; } = NoEvidence;

    /// <summary>Gets when the profile must be looked up again; <see langword="null"/> when it does not expire.</summary>
    public DateTimeOffset? Expires { get; init; }

    /// <summary>Gets the derived (or forced) level.</summary>
    public LinkSecurityLevel Level => ComputeLevel();

    /// <summary>Creates the profile of a domain nothing is known about: level 0, no requirement.</summary>
    /// <param name="domain">The normalised domain.</param>
    /// <param name="detail">Why nothing is known (for the log).</param>
    /// <returns>A level-0 profile.</returns>
    public static DomainProfile Unknown(string domain, string detail = "no database entry and no network evidence") =>
        new(domain) { Evidence = new[] { new Evidence(EvidenceSource.KnownDomainDatabase, detail) } };

    /// <summary>Creates the profile of a failed lookup.</summary>
    /// <param name="domain">The normalised domain.</param>
    /// <param name="kind">The kind of failure.</param>
    /// <param name="reason">What failed, for example "TLSA lookup for mx1.example.com returned SERVFAIL".</param>
    /// <returns>A profile whose status is <see cref="ProfileStatus.TemporaryFailure"/>.</returns>
    public static DomainProfile TemporaryFailure(string domain, TemporaryFailureKind kind, string reason) =>
        new(domain) { Status = ProfileStatus.TemporaryFailure, FailureKind = kind == TemporaryFailureKind.None ? TemporaryFailureKind.Lookup : kind, FailureReason = reason };

    /// <summary>
    /// Combines profiles of one domain from several sources: declarations take the highest level, transport evidence
    /// and REQUIRETLS are OR-ed, the TLS requirements keep both DANE and the pinned names of the most authoritative
    /// source (<see cref="TlsRequirement.Combine"/>; parts come most authoritative first), evidence is concatenated, the
    /// earliest expiry wins, and a temporary failure or null MX in any part makes the whole profile so. Of several
    /// temporary failures, a DNSSEC failure or policy violation decides the kind over a lookup failure or timeout, so
    /// stale-if-error never papers over it.
    /// </summary>
    /// <param name="domain">The normalised domain.</param>
    /// <param name="parts">The profiles to combine.</param>
    /// <returns>The combined profile.</returns>
    public static DomainProfile Combine(string domain, IEnumerable<DomainProfile> parts)
    {
        if (parts is null)
        {
            throw new ArgumentNullException(nameof(parts));
        }

        var list = parts.Where(p => p is not null).ToList();
        var declared = LinkSecurityLevel.None;
        var enforced = false;
        var requireTls = false;
        LinkSecurityLevel? forced = null;
        string? tlsFailure = null;
        var requirements = new List<TlsRequirement>();
        var status = ProfileStatus.Ok;
        var failureKind = TemporaryFailureKind.None;
        var reasons = new List<string>();
        var evidence = new List<Evidence>();
        DateTimeOffset? expires = null;
        foreach (var part in list)
        {
            declared = part.DeclaredLevel > declared ? part.DeclaredLevel : declared;
            enforced |= part.TransportEnforced;
            requireTls |= part.RequireTlsOnEveryMx;
            forced ??= part.ForcedLevel;
            tlsFailure ??= part.TlsFailure;
            requirements.Add(part.Tls);

            if (part.Status == ProfileStatus.NoMail && status == ProfileStatus.Ok)
            {
                status = ProfileStatus.NoMail;
            }

            if (part.Status == ProfileStatus.TemporaryFailure)
            {
                status = ProfileStatus.TemporaryFailure;
                if (Priority(part.FailureKind) > Priority(failureKind))
                {
                    failureKind = part.FailureKind;
                }

                if (part.FailureReason is not null)
                {
                    reasons.Add(part.FailureReason);
                }
            }

            evidence.AddRange(part.Evidence);
            if (part.Expires is { } e && (expires is null || e < expires))
            {
                expires = e;
            }
        }

        return new DomainProfile(domain)
        {
            DeclaredLevel = declared,
            TransportEnforced = enforced,
            RequireTlsOnEveryMx = requireTls,
            ForcedLevel = forced,
            TlsFailure = tlsFailure,
            Tls = TlsRequirement.Combine(requirements),
            Status = status,
            FailureKind = failureKind,
            FailureReason = reasons.Count == 0 ? null : string.Join("; ", reasons),
            Evidence = evidence.ToArray(),
            Expires = expires,
        };
    }

    /// <summary>Copies the profile with a new expiry and, optionally, more evidence.</summary>
    /// <param name="expires">The new expiry.</param>
    /// <param name="moreEvidence">Evidence appended to the copy's.</param>
    /// <returns>The copy.</returns>
    internal DomainProfile WithExpiry(DateTimeOffset? expires, IEnumerable<Evidence>? moreEvidence = null) =>
        new(Domain)
        {
            DeclaredLevel = DeclaredLevel,
            TransportEnforced = TransportEnforced,
            RequireTlsOnEveryMx = RequireTlsOnEveryMx,
            ForcedLevel = ForcedLevel,
            TlsFailure = TlsFailure,
            Tls = Tls,
            Status = Status,
            FailureKind = FailureKind,
            FailureReason = FailureReason,
            Evidence = moreEvidence is null ? Evidence : Evidence.Concat(moreEvidence).ToArray(),
            Expires = expires,
        };

    /// <summary>Formats the evidence as one line for logs.</summary>
    /// <returns>Evidence items separated by <c> | </c>.</returns>
    public string DescribeEvidence() => Evidence.Count == 0 ? "none" : string.Join(" | ", Evidence.Select(e => e.ToString()));

    private static int Priority(TemporaryFailureKind kind) => kind switch
    {
        TemporaryFailureKind.PolicyViolation => 5,
        TemporaryFailureKind.Dnssec => 4,
        TemporaryFailureKind.Timeout => 3,
        TemporaryFailureKind.Lookup => 2,
        _ => 0,
    };

    private LinkSecurityLevel ComputeLevel()
    {
        if (ForcedLevel is { } forced)
        {
            return forced;
        }

        if (Status != ProfileStatus.Ok || TlsFailure is not null)
        {
            return LinkSecurityLevel.None;
        }

        if (!TransportEnforced)
        {
            // An unauthenticated declaration never creates a level (docs/protocol.md §3).
            return LinkSecurityLevel.None;
        }

        return DeclaredLevel > LinkSecurityLevel.TransportSecure ? DeclaredLevel : LinkSecurityLevel.TransportSecure;
    }
}
