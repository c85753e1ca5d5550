using System;

namespace LinkSecure.Exchange.Simulator;

/// <summary>An exception a fault plan makes an Exchange call throw.</summary>
public sealed class InjectedFaultException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="InjectedFaultException"/> class.</summary>
    public InjectedFaultException()
        : base("Injected fault.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="InjectedFaultException"/> class.</summary>
    /// <param name="message">The message.</param>
    public InjectedFaultException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="InjectedFaultException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The inner exception.</param>
    public InjectedFaultException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
