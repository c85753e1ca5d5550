using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Handling;

/// <summary>
/// Answers "what would the agent decide for a message tagged with this request to these addresses" for the
/// compose-time status service (<c>linksecure serve</c>): through the same <see cref="DecisionStack"/> and
/// <see cref="MessageHandler"/> as the agent and <c>linksecure explain</c>, so the answer is theirs. Never probes SMTP: a
/// lookup is what the resolver does for the agent (DNS, MTA-STS, DANE, declared record, learned store).
/// </summary>
/// <remarks>
/// <para>A query waits at most its budget. A domain whose lookup has not finished then is answered
/// <see cref="RecipientState.Checking"/>; its lookup goes on in the background (it is not cancelled by the query's end),
/// and once it finished the resolver's cache answers the next query at once. Concurrent queries for one domain share
/// one lookup (single-flight here and in <see cref="Network.NetworkProfileSource"/>).</para>
/// <para>Thread-safe. Dispose the stack's network source to stop background lookups.</para>
/// </remarks>
public sealed class RecipientStatusQuery
{
    /// <summary>The longest address accepted: RFC 5321 §4.5.3.1.3 limits a path to 256 octets with its angle brackets.</summary>
    public const int MaxAddressLength = 254;

    /// <summary>The longest local part: RFC 5321 §4.5.3.1.1, 64 octets.</summary>
    public const int MaxLocalPartOctets = 64;

    /// <summary>The default bound of <see cref="MaxRunningLookups"/>.</summary>
    public const int DefaultMaxRunningLookups = 256;

    // Bounds the per-domain lookup times kept for profileAge; beyond it the record starts afresh.
    private const int MaxRemembered = 100_000;

    private readonly DecisionStack stack;
    private readonly ConcurrentDictionary<string, Lazy<Task<DomainProfile>>> inflight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> lookedUp = new(StringComparer.Ordinal);
    private long lookupsStarted;

    /// <summary>Creates the query over a decision stack.</summary>
    /// <param name="stack">The stack (configuration, database, network source) the agent would use.</param>
    /// <param name="maxRunningLookups">How many domain lookups may run at once over all clients; a domain that would
    /// start one more is answered <see cref="RecipientState.Checking"/> without a lookup, so many clients naming many
    /// new domains cannot make the service flood the resolvers.</param>
    public RecipientStatusQuery(DecisionStack stack, int maxRunningLookups = DefaultMaxRunningLookups)
    {
        this.stack = stack ?? throw new ArgumentNullException(nameof(stack));
        if (maxRunningLookups < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxRunningLookups), maxRunningLookups, "At least one lookup must be allowed.");
        }

        MaxRunningLookups = maxRunningLookups;
    }

    /// <summary>Gets how many domain lookups may run at once.</summary>
    public int MaxRunningLookups { get; }

    /// <summary>Gets how many domain lookups queries started (cache misses not joined to a running one).</summary>
    public long LookupsStarted => Interlocked.Read(ref lookupsStarted);

    /// <summary>Gets how many domain lookups are running now.</summary>
    public int LookupsRunning => inflight.Count;

    /// <summary>Tells why an address cannot be queried, or that it can.</summary>
    /// <param name="address">The address, trimmed.</param>
    /// <param name="domain">Its normalised domain when valid.</param>
    /// <returns><see langword="null"/> when valid; otherwise a short reason.</returns>
    public static string? Validate(string address, out string? domain)
    {
        domain = null;
        if (address is null || address.Length == 0)
        {
            return "empty address";
        }

        if (address.Length > MaxAddressLength)
        {
            return "longer than 254 characters (RFC 5321 section 4.5.3.1.3)";
        }

        foreach (var c in address)
        {
            if (c <= ' ' || c == '\u007f' || c == '<' || c == '>' || c == ',' || c == ';' || c == '\ufffd')
            {
                return "not an e-mail address";
            }
        }

        var at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1)
        {
            return "not an e-mail address";
        }

        if (Encoding.UTF8.GetByteCount(address.Substring(0, at)) > MaxLocalPartOctets)
        {
            return "local part longer than 64 octets (RFC 5321 section 4.5.3.1.1)";
        }

        if (address[at + 1] == '[')
        {
            return "an address literal has no domain policy";
        }

        return DomainName.TryGetAddressDomain(address, out domain) ? null : "not an e-mail address: invalid domain";
    }

    /// <summary>The local part of the address a domain entry is decided for: <c>postmaster</c> exists at every domain
    /// (RFC 5321 section 4.5.1), and the agent's decision depends on the domain only.</summary>
    public const string DomainRepresentative = "postmaster";

    /// <summary>The longest domain: RFC 1035 section 2.3.4 (253 characters in text form).</summary>
    public const int MaxDomainLength = 253;

    /// <summary>Tells why a domain cannot be queried, or that it can.</summary>
    /// <param name="domain">The domain, trimmed.</param>
    /// <param name="normalized">Its IDNA A-label form in lower case when valid.</param>
    /// <returns><see langword="null"/> when valid; otherwise a short reason.</returns>
    public static string? ValidateDomain(string domain, out string? normalized)
    {
        normalized = null;
        if (domain is null || domain.Length == 0)
        {
            return "empty domain";
        }

        if (domain.TrimEnd('.').Length > MaxDomainLength)
        {
            return "longer than 253 characters (RFC 1035 section 2.3.4)";
        }

        foreach (var c in domain)
        {
            if (c <= ' ' || c == '\u007f' || c == '@' || c == '<' || c == '>' || c == ',' || c == ';' || c == '[' || c == '\ufffd')
            {
                return "not a domain";
            }
        }

        // The same path as the agent's: the domain of an address at it.
        return DomainName.TryGetAddressDomain(DomainRepresentative + "@" + domain, out normalized) ? null : "not a domain";
    }

    /// <summary>Decides every address as the agent would for a message with <paramref name="request"/>, received just
    /// now (age unknown, so a temporary failure defers rather than expiring into the fallback).</summary>
    /// <param name="request">The request the message would carry.</param>
    /// <param name="addresses">The addresses, as given (each is trimmed).</param>
    /// <param name="budget">How long to wait for lookups; positive.</param>
    /// <param name="cancellationToken">Ends the wait (the lookups go on).</param>
    /// <returns>One status per address, in order.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<IReadOnlyList<RecipientStatus>> QueryAsync(LinkSecurityRequest request, IReadOnlyList<string> addresses, TimeSpan budget, CancellationToken cancellationToken = default)
    {
        if (addresses is null)
        {
            throw new ArgumentNullException(nameof(addresses));
        }

        var items = new StatusQueryItem[addresses.Count];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = StatusQueryItem.ForAddress(addresses[i]);
        }

        return QueryAsync(request, items, budget, cancellationToken);
    }

    /// <summary>Decides every address, and every domain as for any recipient at it (the address
    /// <see cref="DomainRepresentative"/>@domain, whose sentence names the domain), as the agent would for a message with
    /// <paramref name="request"/>, received just now.</summary>
    /// <param name="request">The request the message would carry.</param>
    /// <param name="items">The addresses and domains, as given (each is trimmed).</param>
    /// <param name="budget">How long to wait for lookups; positive.</param>
    /// <param name="cancellationToken">Ends the wait (the lookups go on).</param>
    /// <returns>One status per item, in order; a domain entry has no address.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<IReadOnlyList<RecipientStatus>> QueryAsync(LinkSecurityRequest request, IReadOnlyList<StatusQueryItem> items, TimeSpan budget, CancellationToken cancellationToken = default)
    {
        if (request is null)
        {
            throw new ArgumentNullException(nameof(request));
        }

        if (items is null)
        {
            throw new ArgumentNullException(nameof(items));
        }

        if (budget <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(budget), budget, "The budget is positive.");
        }

        var statuses = new RecipientStatus?[items.Count];
        var valid = new List<(int Index, string Address, string Domain, bool IsDomain)>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var text = (items[i].Text ?? string.Empty).Trim();
            var isDomain = items[i].IsDomain;
            if ((isDomain ? ValidateDomain(text, out var domain) : Validate(text, out domain)) is { } error)
            {
                statuses[i] = new RecipientStatus(isDomain ? null : text, null, RecipientState.Error, null, error, null);
            }
            else
            {
                valid.Add((i, isDomain ? DomainRepresentative + "@" + domain : text, domain!, isDomain));
            }
        }

        var recipients = new MessageRecipient[valid.Count];
        for (var i = 0; i < recipients.Length; i++)
        {
            recipients[i] = new MessageRecipient(valid[i].Address, hostSaysInternal: false);
        }

        var missing = stack.Messages.FindMissingProfiles(request, recipients);
        Dictionary<string, DomainProfile>? fetched = null;
        HashSet<string>? checking = null;
        if (missing.Count > 0)
        {
            (fetched, checking) = await LookupAsync(missing, budget, cancellationToken).ConfigureAwait(false);
        }

        var decidable = new List<MessageRecipient>(recipients.Length);
        var decidableIndex = new List<int>(recipients.Length);
        var decidableIsDomain = new List<bool>(recipients.Length);
        for (var i = 0; i < valid.Count; i++)
        {
            if (checking is not null && checking.Contains(valid[i].Domain))
            {
                statuses[valid[i].Index] = new RecipientStatus(valid[i].IsDomain ? null : valid[i].Address, valid[i].Domain, RecipientState.Checking, null, null, null);
            }
            else
            {
                decidable.Add(recipients[i]);
                decidableIndex.Add(valid[i].Index);
                decidableIsDomain.Add(valid[i].IsDomain);
            }
        }

        // The agent's own decision: MessageHandler.Decide with the profiles just fetched, else the resolver's cache.
        var decision = stack.Messages.Decide(request, decidable, fetched, MessageAge.Unknown);
        var now = stack.Time.GetUtcNow();
        for (var i = 0; i < decision.Recipients.Count; i++)
        {
            var verdict = decision.Recipients[i];
            var index = decidableIndex[i];
            TimeSpan? age = verdict.Decision.Profile is not null && verdict.Domain is { } d && lookedUp.TryGetValue(d, out var at) && now >= at ? now - at : null;
            statuses[index] = decidableIsDomain[i]
                ? new RecipientStatus(null, verdict.Domain, RecipientState.Ready, verdict, null, age, decidable[i].Address)
                : new RecipientStatus(decidable[i].Address, verdict.Domain, RecipientState.Ready, verdict, null, age);
        }

        return statuses!;
    }

    private async Task<(Dictionary<string, DomainProfile> Fetched, HashSet<string> Checking)> LookupAsync(IReadOnlyList<string> domains, TimeSpan budget, CancellationToken cancellationToken)
    {
        var lookups = new Task<DomainProfile>?[domains.Count];
        var started = new List<Task<DomainProfile>>(domains.Count);
        for (var i = 0; i < lookups.Length; i++)
        {
            lookups[i] = Join(domains[i]);
            if (lookups[i] is { } lookup)
            {
                started.Add(lookup);
            }
        }

        if (started.Count > 0)
        {
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delay = Delay(budget, timer.Token);
            await Task.WhenAny(Task.WhenAll(started), delay).ConfigureAwait(false);
            timer.Cancel();
            _ = delay.Exception;
        }

        cancellationToken.ThrowIfCancellationRequested();
        var fetched = new Dictionary<string, DomainProfile>(StringComparer.Ordinal);
        var checking = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lookups.Length; i++)
        {
            var lookup = lookups[i];
            if (lookup is { Status: TaskStatus.RanToCompletion })
            {
                fetched[domains[i]] = lookup.Result;
            }
            else
            {
                checking.Add(domains[i]);
            }
        }

        return (fetched, checking);
    }

    /// <summary>The running lookup of a domain, or a new one (it runs to the resolver's own budget whatever the callers
    /// do); <see langword="null"/> when <see cref="MaxRunningLookups"/> are running and none of them is this domain's.</summary>
    private Task<DomainProfile>? Join(string domain)
    {
        if (!inflight.TryGetValue(domain, out var lazy))
        {
            // The bound is checked before the add, so a race may start a few more; it bounds a flood, not an exact count.
            if (inflight.Count >= MaxRunningLookups)
            {
                return null;
            }

            lazy = inflight.GetOrAdd(domain, d => new Lazy<Task<DomainProfile>>(() => RunAsync(d), LazyThreadSafetyMode.ExecutionAndPublication));
        }

        return lazy.Value;
    }

    private async Task<DomainProfile> RunAsync(string domain)
    {
        // Yield first, so the in-flight entry is published before the lookup can finish and remove it.
        await Task.Yield();
        Interlocked.Increment(ref lookupsStarted);
        try
        {
            var profile = await stack.Profiles.ResolveAsync(domain, CancellationToken.None).ConfigureAwait(false);
            if (lookedUp.Count >= MaxRemembered)
            {
                lookedUp.Clear();
            }

            lookedUp[domain] = stack.Time.GetUtcNow();
            return profile;
        }
#pragma warning disable CA1031 // A background lookup must end in a profile, never in an unobserved fault.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // As the agent's lookup: a failed lookup is a temporary failure (MessageHandler.LookupAsync).
            return DomainProfile.TemporaryFailure(domain, TemporaryFailureKind.Lookup, "lookup failed: " + ex.Message);
        }
        finally
        {
            inflight.TryRemove(domain, out _);
        }
    }

    private Task Delay(TimeSpan budget, CancellationToken cancellationToken) =>
#if NETSTANDARD2_0
        stack.Time.Delay(budget, cancellationToken);
#else
        Task.Delay(budget, stack.Time, cancellationToken);
#endif
}
