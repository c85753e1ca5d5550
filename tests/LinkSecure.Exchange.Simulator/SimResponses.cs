using Microsoft.Exchange.Data.Transport.Smtp;

namespace LinkSecure.Exchange.Simulator;

/// <summary>Responses that scripted test agents hand to the simulator (the real agent builds its own from the core's replies).</summary>
public static class SimResponses
{
    /// <summary>A permanent failure with a DSN explanation.</summary>
    /// <param name="replyCode">The basic code.</param>
    /// <param name="enhancedCode">The enhanced code.</param>
    /// <param name="explanation">The DSN explanation.</param>
    /// <param name="detail">The status text.</param>
    /// <returns>The response.</returns>
    public static SmtpResponse Failure(string replyCode, string enhancedCode, string explanation, string detail)
    {
#pragma warning disable CS0618 // The constructor is the form Exchange 2013 CU23 has.
        return new SmtpResponse(replyCode, enhancedCode, explanation, true, detail);
#pragma warning restore CS0618
    }
}
