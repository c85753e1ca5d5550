namespace LinkSecure.Core.Handling;

/// <summary>One entry of a status query (<see cref="RecipientStatusQuery"/>): an address, or a domain asked for as any
/// recipient at it (so that only the domain leaves the client).</summary>
public sealed class StatusQueryItem
{
    private StatusQueryItem(string text, bool isDomain)
    {
        Text = text;
        IsDomain = isDomain;
    }

    /// <summary>Gets the address or domain as given.</summary>
    public string Text { get; }

    /// <summary>Gets a value indicating whether <see cref="Text"/> is a domain.</summary>
    public bool IsDomain { get; }

    /// <summary>An address entry.</summary>
    /// <param name="address">The address as given.</param>
    /// <returns>The entry.</returns>
    public static StatusQueryItem ForAddress(string address) => new(address, false);

    /// <summary>A domain entry.</summary>
    /// <param name="domain">The domain as given.</param>
    /// <returns>The entry.</returns>
    public static StatusQueryItem ForDomain(string domain) => new(domain, true);
}
