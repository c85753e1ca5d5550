using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Handling;
using LinkSecure.Core.Network;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Relay;

/// <summary>
/// Postfix's per-destination TLS policy (<c>smtp_tls_policy_maps</c>, a socketmap: socketmap_table(5)) from the same
/// domain profiles the Exchange agent decides with (docs/relay.md). Two maps:
/// <list type="bullet">
/// <item><c>linksecure</c>, strict, for a relay that carries only mail the agent routed to it: DANE with a DNSSEC-secure
/// MX set and usable TLSA → <c>dane-only</c> (RFC 7672; DANE first, RFC 8461 §2); names pinned by authenticated
/// evidence (MTA-STS <c>enforce</c>, an override, the known-domain database, a DNSSEC-secure MX RRset) →
/// <c>secure match=…</c>; anything else → <c>secure</c>, which makes Postfix require a certificate valid for the
/// recipient domain; a temporary failure → <c>TEMP</c> (Postfix defers). Never <c>NOTFOUND</c>, <c>none</c>,
/// <c>may</c>, <c>encrypt</c>, <c>dane</c> or <c>verify</c>.</item>
/// <item><c>postfix</c>, a drop-in for postfix-mta-sts-resolver: the same <c>secure match=…</c> answers for names pinned
/// by authenticated evidence, <c>dane-only</c> where DANE applies (which that resolver does not do, its issue #67),
/// <c>NOTFOUND</c> otherwise and on a failed lookup (as it does: Postfix then applies its own default level).</item>
/// </list>
/// Answers for cached profiles come without I/O; a miss is resolved once per domain however many connections ask.
/// </summary>
public sealed class TlsPolicyMap : ISocketmapResponder
{
    /// <summary>The strict map's name.</summary>
    public const string StrictMap = "linksecure";

    /// <summary>The compatible map's name.</summary>
    public const string CompatibleMap = "postfix";

    private readonly ProfileResolver profiles;
    private const int MaxRememberedAnswers = 100_000;
    private readonly ConcurrentDictionary<string, Lazy<Task<DomainProfile>>> inFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Answers> answers = new(StringComparer.Ordinal);
    private readonly TimeSpan lookupBudget;
    private long lookups;
    private long hits;
    private long misses;
    private long failures;

    /// <summary>Creates the map over a decision stack (settings, database, overrides, network source).</summary>
    /// <param name="stack">The stack.</param>
    public TlsPolicyMap(DecisionStack stack)
    {
        if (stack is null)
        {
            throw new ArgumentNullException(nameof(stack));
        }

        profiles = stack.Profiles;
        lookupBudget = stack.Settings.Resolver.Budget + TimeSpan.FromSeconds(5);
    }

    /// <summary>Gets the number of lookups answered.</summary>
    public long Lookups => Interlocked.Read(ref lookups);

    /// <summary>Gets the number of lookups answered from the cache without I/O.</summary>
    public long Hits => Interlocked.Read(ref hits);

    /// <summary>Gets the number of lookups that needed a resolution (a miss; concurrent misses of one domain share it).</summary>
    public long Misses => Interlocked.Read(ref misses);

    /// <summary>Gets the number of lookups whose profile was a temporary failure.</summary>
    public long Failures => Interlocked.Read(ref failures);

    /// <inheritdoc />
    public bool ServesMap(string name) => name is StrictMap or CompatibleMap;

    /// <inheritdoc />
    public ValueTask<SocketmapReply> AnswerAsync(string mapName, string key, CancellationToken cancellationToken)
    {
        var strict = string.Equals(mapName, StrictMap, StringComparison.Ordinal);
        if (!strict && !string.Equals(mapName, CompatibleMap, StringComparison.Ordinal))
        {
            return new ValueTask<SocketmapReply>(SocketmapReply.Perm("unknown map"));
        }

        Interlocked.Increment(ref lookups);
        if (key is { Length: > 0 } && key[0] == '[')
        {
            // A next-hop host ([host] or [host]:port, a relayhost or transport entry): no recipient domain to decide on.
            // Strict: the certificate must be valid for that host (Postfix's secure default, match=nexthop).
            return new ValueTask<SocketmapReply>(strict ? SocketmapReply.Ok("secure") : SocketmapReply.NotFound);
        }

        if (key is { Length: > 0 } && key[0] == '.')
        {
            // A parent-domain lookup (parent_domain_matches_subdomains): the strict map answered the domain itself.
            return new ValueTask<SocketmapReply>(strict ? SocketmapReply.Ok("secure") : SocketmapReply.NotFound);
        }

        if (!DomainName.TryNormalize(key, out var domain))
        {
            return new ValueTask<SocketmapReply>(SocketmapReply.Perm("not a domain name"));
        }

        if (profiles.TryResolveCached(domain, out var cached))
        {
            Interlocked.Increment(ref hits);
            return new ValueTask<SocketmapReply>(Select(domain, cached, strict));
        }

        Interlocked.Increment(ref misses);
        return ResolveAsync(domain, strict, cancellationToken);
    }

    /// <summary>The strict map's answer for a profile (docs/relay.md, "Answers").</summary>
    /// <param name="profile">The profile.</param>
    /// <returns>The reply.</returns>
    public static SocketmapReply StrictAnswer(DomainProfile profile)
    {
        if (profile is null)
        {
            throw new ArgumentNullException(nameof(profile));
        }

        if (profile.Status == ProfileStatus.TemporaryFailure)
        {
            return SocketmapReply.Temp(SafeReason(profile.FailureReason ?? "lookup failed"));
        }

        var tls = profile.Tls;
        if (tls.DaneRequired)
        {
            // RFC 7672 §2.2: usable TLSA at a DNSSEC-secure MX set; DANE takes precedence over MTA-STS (RFC 8461 §2).
            return SocketmapReply.Ok("dane-only");
        }

        return tls.PinsNames && IsAuthenticated(tls) ? SocketmapReply.Ok(Secure(tls)) : SocketmapReply.Ok("secure");
    }

    /// <summary>The compatible map's answer for a profile.</summary>
    /// <param name="profile">The profile.</param>
    /// <returns>The reply.</returns>
    public static SocketmapReply CompatibleAnswer(DomainProfile profile)
    {
        if (profile is null)
        {
            throw new ArgumentNullException(nameof(profile));
        }

        if (profile.Status == ProfileStatus.TemporaryFailure)
        {
            return SocketmapReply.NotFound;
        }

        var tls = profile.Tls;
        if (tls.DaneRequired)
        {
            return SocketmapReply.Ok("dane-only");
        }

        return tls.PinsNames && IsAuthenticated(tls) ? SocketmapReply.Ok(Secure(tls)) : SocketmapReply.NotFound;
    }

    /// <summary>Postfix's <c>match=</c> list for RFC 8461 §4.1 patterns: a name stays, <c>*.x</c> becomes <c>.x</c>
    /// (Postfix: a leading dot matches any subdomain; as postfix-mta-sts-resolver does).</summary>
    /// <param name="tls">The requirement.</param>
    /// <returns>The policy line.</returns>
    internal static string Secure(TlsRequirement tls) =>
        "secure match=" + string.Join(":", tls.MxPatterns.Select(p => p.StartsWith("*.", StringComparison.Ordinal) ? p.Substring(1) : p)) + " servername=hostname";

    private static bool IsAuthenticated(TlsRequirement tls) =>
        !string.Equals(tls.PatternSource, ProfileBuilder.UnauthenticatedMxSource, StringComparison.Ordinal);

    private static string SafeReason(string reason)
    {
        var text = SmtpReply.CleanStatusText(reason);
        return text.Length == 0 ? "lookup failed" : text;
    }

    private SocketmapReply Select(string domain, DomainProfile profile, bool strict)
    {
        if (!answers.TryGetValue(domain, out var known) || !ReferenceEquals(known.Profile, profile))
        {
            known = new Answers(profile, StrictAnswer(profile), CompatibleAnswer(profile));
            if (answers.Count >= MaxRememberedAnswers)
            {
                // Bounded memory: answers are cheap to rebuild from the cached profiles.
                answers.Clear();
            }

            answers[domain] = known;
        }

        if (profile.Status == ProfileStatus.TemporaryFailure)
        {
            Interlocked.Increment(ref failures);
        }

        return strict ? known.Strict : known.Compatible;
    }

    private async ValueTask<SocketmapReply> ResolveAsync(string domain, bool strict, CancellationToken cancellationToken)
    {
        // One resolution per domain, whoever asks: the first caller starts it, the others await the same task.
        var entry = inFlight.GetOrAdd(domain, d => new Lazy<Task<DomainProfile>>(() => StartResolution(d)));
        var task = entry.Value;
        DomainProfile profile;
        try
        {
#if NET
            profile = await task.WaitAsync(lookupBudget, cancellationToken).ConfigureAwait(false);
#else
            var finished = await Task.WhenAny(task, Task.Delay(lookupBudget, cancellationToken)).ConfigureAwait(false);
            profile = finished == task ? await task.ConfigureAwait(false) : DomainProfile.TemporaryFailure(domain, TemporaryFailureKind.Timeout, "lookup did not finish in time");
#endif
        }
        catch (TimeoutException)
        {
            profile = DomainProfile.TemporaryFailure(domain, TemporaryFailureKind.Timeout, "lookup did not finish in time");
        }
        catch (OperationCanceledException)
        {
            profile = DomainProfile.TemporaryFailure(domain, TemporaryFailureKind.Timeout, "lookup cancelled");
        }
        finally
        {
            if (task.IsCompleted)
            {
                // Only this resolution's entry: the next miss of the domain (the cache entry expired) starts its own.
                ((ICollection<KeyValuePair<string, Lazy<Task<DomainProfile>>>>)inFlight).Remove(new KeyValuePair<string, Lazy<Task<DomainProfile>>>(domain, entry));
            }
        }

        return Select(domain, profile, strict);
    }

    private Task<DomainProfile> StartResolution(string domain)
    {
        var task = Task.Run(async () =>
        {
            try
            {
                using var budget = new CancellationTokenSource(lookupBudget);
                return await profiles.ResolveAsync(domain, budget.Token).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A failed lookup is a temporary failure: the strict map defers, the compatible map answers NOTFOUND.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                return DomainProfile.TemporaryFailure(domain, TemporaryFailureKind.Lookup, "lookup failed: " + ex.Message);
            }
        });
        return task;
    }

    private sealed class Answers
    {
        public Answers(DomainProfile profile, SocketmapReply strict, SocketmapReply compatible)
        {
            Profile = profile;
            Strict = strict;
            Compatible = compatible;
        }

        public DomainProfile Profile { get; }

        public SocketmapReply Strict { get; }

        public SocketmapReply Compatible { get; }
    }
}
