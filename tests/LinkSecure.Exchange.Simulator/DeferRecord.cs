using System;
using Microsoft.Exchange.Data.Transport.Smtp;

namespace LinkSecure.Exchange.Simulator;

/// <summary>What <c>Defer</c> recorded on a mail item.</summary>
public sealed class DeferRecord
{
    /// <summary>Initializes a new instance of the <see cref="DeferRecord"/> class.</summary>
    /// <param name="wait">How long the item waits.</param>
    /// <param name="response">The reason given.</param>
    public DeferRecord(TimeSpan wait, SmtpResponse response)
    {
        Wait = wait;
        Response = response;
    }

    /// <summary>Gets how long the item waits.</summary>
    public TimeSpan Wait { get; }

    /// <summary>Gets the reason given.</summary>
    public SmtpResponse Response { get; }
}
