using System;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Tests.Handling;

/// <summary>A network source whose cache and lookups a test scripts per domain.</summary>
internal sealed class ScriptedProfileSource : IDomainProfileSource
{
    private readonly Func<string, CancellationToken, ValueTask<DomainProfile>> lookup;

    public ScriptedProfileSource(Func<string, CancellationToken, ValueTask<DomainProfile>>? lookup = null)
    {
        this.lookup = lookup ?? ((domain, _) => new ValueTask<DomainProfile>(Secure(domain)));
    }

    public ConcurrentDictionary<string, DomainProfile> Cache { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<string> Asked { get; } = new();

    public ConcurrentDictionary<string, CancellationToken> Tokens { get; } = new(StringComparer.Ordinal);

    /// <summary>A level-1 profile whose pinned MX names give an authenticating route (Secure).</summary>
    public static DomainProfile Secure(string domain) =>
        new(domain) { DeclaredLevel = LinkSecurityLevel.TransportSecure, TransportEnforced = true, Tls = new TlsRequirement(TlsMode.Pkix, new[] { "*.mx." + domain }) };

    public bool TryGetCached(string domain, [NotNullWhen(true)] out DomainProfile? profile) => Cache.TryGetValue(domain, out profile);

    public ValueTask<DomainProfile> GetProfileAsync(string domain, CancellationToken cancellationToken = default)
    {
        Asked.Enqueue(domain);
        Tokens[domain] = cancellationToken;
        return lookup(domain, cancellationToken);
    }
}
