using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Probing;

/// <summary>How <see cref="DomainChecker"/> checks domains.</summary>
public sealed class DomainCheckOptions
{
    /// <summary>Gets how each MX address is probed.</summary>
    public SmtpProbeOptions Probe { get; init; } = SmtpProbeOptions.Default;

    /// <summary>Gets a value indicating whether conclusive probe results are written to the learned store
    /// (<c>resolver.learnedStorePath</c>).</summary>
    public bool RecordLearned { get; init; } = true;

    /// <summary>Gets the requested level of the tagged message the decision is made for (1 by default).</summary>
    public LinkSecurityLevel RequestLevel { get; init; } = LinkSecurityLevel.TransportSecure;

    /// <summary>Gets the most addresses probed per MX host (the first ones in DNS order).</summary>
    public int MaxAddressesPerHost { get; init; } = 4;
}
