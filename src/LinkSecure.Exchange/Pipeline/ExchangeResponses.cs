using LinkSecure.Core.Handling;
using Microsoft.Exchange.Data.Transport.Smtp;

namespace LinkSecure.Exchange.Pipeline;

/// <summary>Turns the core's <see cref="SmtpReply"/> into the <see cref="SmtpResponse"/> Exchange takes (bounces and deferrals).</summary>
internal static class ExchangeResponses
{
    /// <summary>The response for a reply: with a DSN explanation for a permanent failure, plain for a transient one.</summary>
    /// <param name="reply">The reply (texts already cleaned by the core).</param>
    /// <returns>The response.</returns>
    public static SmtpResponse From(SmtpReply reply)
    {
#pragma warning disable CS0618 // The constructors are the only form Exchange 2013 CU23 has; [Obsolete] since 2016 but present through 2019 CU12.
        return reply.IsPermanent
            ? new SmtpResponse(reply.ReplyCode, reply.EnhancedCode, reply.Explanation, true, reply.Detail)
            : new SmtpResponse(reply.ReplyCode, reply.EnhancedCode, reply.Detail);
#pragma warning restore CS0618
    }
}
