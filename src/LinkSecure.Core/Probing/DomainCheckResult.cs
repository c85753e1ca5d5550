using System;
using System.Collections.Generic;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Network;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Probing;

/// <summary>How the MX lookup of a checked domain ended.</summary>
public enum MxLookupStatus
{
    /// <summary>MX records were found.</summary>
    Records,

    /// <summary>No MX records: the domain itself is the implicit MX (RFC 5321 §5.1).</summary>
    ImplicitMx,

    /// <summary>A null MX: the domain accepts no mail (RFC 7505).</summary>
    NullMx,

    /// <summary>The domain does not exist (NXDOMAIN).</summary>
    NxDomain,

    /// <summary>The lookup failed (timeout, SERVFAIL).</summary>
    Failed,
}

/// <summary>Everything a check found about one domain, and what ExchangeLinkSecure would do with tagged mail to it.</summary>
public sealed class DomainCheckResult
{
    internal DomainCheckResult(string domain)
    {
        Domain = domain;
    }

    /// <summary>Gets the normalised domain.</summary>
    public string Domain { get; }

    /// <summary>Gets when the check started.</summary>
    public DateTimeOffset CheckedAt { get; internal set; }

    /// <summary>Gets how long the check took.</summary>
    public TimeSpan Duration { get; internal set; }

    /// <summary>Gets how the MX lookup ended.</summary>
    public MxLookupStatus MxStatus { get; internal set; }

    /// <summary>Gets the MX lookup in words (the records, or what failed).</summary>
    public string MxDetail { get; internal set; } = string.Empty;

    /// <summary>Gets a value indicating whether the MX RRset is DNSSEC-secure (from a trusted validating resolver).</summary>
    public bool MxSecure { get; internal set; }

    /// <summary>Gets why DANE was not evaluated (no trusted validating resolver, an insecure MX RRset), or <see langword="null"/>.</summary>
    public string? DaneNote { get; internal set; }

    /// <summary>Gets the MX hosts in preference order.</summary>
    public IReadOnlyList<MxHostCheck> Hosts { get; internal set; } = Array.Empty<MxHostCheck>();

    /// <summary>Gets the MTA-STS policy mode (<c>enforce</c>, <c>testing</c>, <c>none</c>), or <see langword="null"/> without a policy.</summary>
    public string? MtaStsMode { get; internal set; }

    /// <summary>Gets the MTA-STS policy id, or <see langword="null"/>.</summary>
    public string? MtaStsId { get; internal set; }

    /// <summary>Gets the MTA-STS <c>mx</c> patterns, or <see langword="null"/> without a policy.</summary>
    public IReadOnlyList<string>? MtaStsPatterns { get; internal set; }

    /// <summary>Gets the level the MTA-STS policy declares with its <c>linksecure</c> key, or <see langword="null"/>
    /// without a policy or key. It counts only under mode <c>enforce</c> (then the network profile has authenticated
    /// MTA-STS evidence supporting it).</summary>
    public LinkSecurityLevel? MtaStsDeclaredLevel { get; internal set; }

    /// <summary>Gets what the MTA-STS lookup found, in words.</summary>
    public IReadOnlyList<string> MtaStsDetail { get; internal set; } = Array.Empty<string>();

    /// <summary>Gets the profile ExchangeLinkSecure uses: the administrator's override or the database entry when one
    /// exists, otherwise the network profile (when the resolver is enabled).</summary>
    public DomainProfile Profile { get; internal set; } = null!;

    /// <summary>Gets the profile from the network sources alone (DNS, MTA-STS, DANE, declared record) and the
    /// observations of this run, computed by the agent's own code.</summary>
    public DomainProfile NetworkProfile { get; internal set; } = null!;

    /// <summary>Gets a value indicating whether the agent would consult the network for this domain (the resolver is
    /// enabled and no override or database entry settles it).</summary>
    public bool ProfileFromNetwork { get; internal set; }

    /// <summary>Gets the level ExchangeLinkSecure assigns the domain.</summary>
    public LinkSecurityLevel Level => Profile.Level;

    /// <summary>Gets the decision for a message tagged <c>Link-Security: level=N; fallback=bounce</c> to
    /// <c>postmaster@</c> the domain (N is <see cref="DomainCheckOptions.RequestLevel"/>, 1 by default).</summary>
    public RecipientDecision Decision { get; internal set; } = null!;

    /// <summary>Gets the observations recorded in the learned store (one per MX host with a conclusive probe). They are
    /// used by this checker at once and written to the file in coalesced batches; whether every batch reached the file
    /// is reported by <see cref="DomainChecker.FlushLearnedStoreAsync"/>.</summary>
    public IReadOnlyList<LearnedCapabilities> Learned { get; internal set; } = Array.Empty<LearnedCapabilities>();

    /// <summary>Gets the learned store file, or <see langword="null"/> when none is configured.</summary>
    public string? LearnedStorePath { get; internal set; }

    /// <summary>Gets why the observations could not be recorded, or <see langword="null"/>. A failure to write the
    /// file in a later batch is reported by <see cref="DomainChecker.FlushLearnedStoreAsync"/>, not here.</summary>
    public string? RecordError { get; internal set; }
}
