using System.Diagnostics.CodeAnalysis;
using System.Threading;
using System.Threading.Tasks;

namespace LinkSecure.Core.Profiles;

/// <summary>
/// Supplies domain profiles from a source other than the known-domain database, such as DNS, MTA-STS, DANE,
/// the declared record and learned SMTP capabilities.
/// </summary>
/// <remarks>
/// Implementations are thread-safe. <see cref="TryGetCached"/> never blocks and never does I/O, so a host can
/// decide on a transport thread when every profile is at hand and go asynchronous only on a miss.
/// A temporary failure is returned as a profile with <see cref="ProfileStatus.TemporaryFailure"/>, never thrown.
/// </remarks>
public interface IDomainProfileSource
{
    /// <summary>Returns a cached, unexpired profile without doing I/O.</summary>
    /// <param name="domain">The normalised domain.</param>
    /// <param name="profile">The cached profile.</param>
    /// <returns><see langword="true"/> when a profile was cached.</returns>
    bool TryGetCached(string domain, [NotNullWhen(true)] out DomainProfile? profile);

    /// <summary>Looks the domain up.</summary>
    /// <param name="domain">The normalised domain.</param>
    /// <param name="cancellationToken">Cancels the lookup; the caller's time budget.</param>
    /// <returns>The profile; a temporary failure is a profile, not an exception.</returns>
    /// <exception cref="System.OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<DomainProfile> GetProfileAsync(string domain, CancellationToken cancellationToken = default);
}
