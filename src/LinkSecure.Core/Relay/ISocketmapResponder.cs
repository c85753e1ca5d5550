using System.Threading;
using System.Threading.Tasks;

namespace LinkSecure.Core.Relay;

/// <summary>
/// Answers one socketmap lookup (Postfix socketmap_table(5)). Map names served: <c>linksecure</c> and <c>postfix</c>.
/// An unknown map gets <see cref="SocketmapReply.Perm"/>. Never throws for a bad key. Called concurrently from many
/// connections, so implementations are thread-safe.
/// </summary>
public interface ISocketmapResponder
{
    /// <summary>Whether this responder serves the map <paramref name="name"/> (the request's first word).</summary>
    /// <param name="name">The map name as received, case-sensitive.</param>
    /// <returns><see langword="true"/> when lookups in that map are answered.</returns>
    bool ServesMap(string name);

    /// <summary>Answers the lookup of <paramref name="key"/> in the map <paramref name="mapName"/>.</summary>
    /// <param name="mapName">The map name.</param>
    /// <param name="key">The key: for <c>smtp_tls_policy_maps</c>, the next-hop domain or <c>[host]:port</c>.</param>
    /// <param name="cancellationToken">Cancels the lookup (the server is stopping).</param>
    /// <returns>The reply.</returns>
    ValueTask<SocketmapReply> AnswerAsync(string mapName, string key, CancellationToken cancellationToken);
}
