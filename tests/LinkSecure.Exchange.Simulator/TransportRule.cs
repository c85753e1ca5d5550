using System;

namespace LinkSecure.Exchange.Simulator;

/// <summary>A transport rule stamping a header at <c>OnResolvedMessage</c>, priority 1 (before our agent).</summary>
public sealed class TransportRule
{
    /// <summary>Initializes a new instance of the <see cref="TransportRule"/> class.</summary>
    /// <param name="condition">Which items the rule applies to.</param>
    /// <param name="headerName">The header it sets.</param>
    /// <param name="headerValue">The value.</param>
    public TransportRule(Func<SimMailItem, bool> condition, string headerName, string headerValue)
    {
        Condition = condition;
        HeaderName = headerName;
        HeaderValue = headerValue;
    }

    /// <summary>Gets which items the rule applies to.</summary>
    public Func<SimMailItem, bool> Condition { get; }

    /// <summary>Gets the header it sets ("adds or modifies", <c>-SetHeaderName</c>).</summary>
    public string HeaderName { get; }

    /// <summary>Gets the value (<c>-SetHeaderValue</c>).</summary>
    public string HeaderValue { get; }
}
