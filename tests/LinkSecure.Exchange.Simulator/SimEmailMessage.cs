using Microsoft.Exchange.Data.Mime;
using Microsoft.Exchange.Data.Transport.Email;

namespace LinkSecure.Exchange.Simulator;

/// <summary>The parsed message: root headers, the TNEF part while the item is TNEF, and the system flag.</summary>
public sealed class SimEmailMessage : EmailMessage
{
    /// <summary>Initializes a new instance of the <see cref="SimEmailMessage"/> class.</summary>
    /// <param name="rootPart">The root part, with the top-level headers.</param>
    /// <param name="tnefPart">The TNEF part, or <see langword="null"/>.</param>
    /// <param name="isSystemMessage">Whether it is a system message (an NDR, for example).</param>
    public SimEmailMessage(MimePart rootPart, MimePart? tnefPart, bool isSystemMessage)
        : base(rootPart, tnefPart!, isSystemMessage)
    {
    }
}
