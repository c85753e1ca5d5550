using Microsoft.Exchange.Data.Transport;

namespace LinkSecure.Exchange.Simulator;

/// <summary>The server passed to <c>CreateAgent</c>: a name and the accepted domains.</summary>
public sealed class SimSmtpServer : SmtpServer
{
    private readonly SimAcceptedDomains accepted = new();

    /// <summary>Initializes a new instance of the <see cref="SimSmtpServer"/> class.</summary>
    /// <param name="authoritativeDomains">The authoritative accepted domains.</param>
    public SimSmtpServer(params string[] authoritativeDomains)
    {
        foreach (var domain in authoritativeDomains ?? System.Array.Empty<string>())
        {
            accepted.Add(new SimAcceptedDomain(domain));
        }
    }

    /// <inheritdoc />
    public override string Name => "MBX1";

    /// <inheritdoc />
    public override AcceptedDomainCollection AcceptedDomains => accepted;

    /// <summary>Gets the accepted domains, to add more.</summary>
    public SimAcceptedDomains Domains => accepted;

    /// <summary>Adds an accepted domain.</summary>
    /// <param name="name">The name.</param>
    /// <param name="type">The type.</param>
    /// <returns>This server.</returns>
    public SimSmtpServer WithAcceptedDomain(string name, AcceptedDomainType type)
    {
        accepted.Add(new SimAcceptedDomain(name, type));
        return this;
    }
}
