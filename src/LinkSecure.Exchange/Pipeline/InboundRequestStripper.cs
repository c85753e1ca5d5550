using System;
using System.Collections.Generic;
using System.Globalization;
using LinkSecure.Core.Handling;
using LinkSecure.Core.Protocol;
using LinkSecure.Exchange.Runtime;
using Microsoft.Exchange.Data.Mime;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Email;
using Microsoft.Exchange.Data.Transport.Routing;

namespace LinkSecure.Exchange.Pipeline;

/// <summary>
/// <c>OnSubmittedMessage</c>: removes the request and waiver fields from mail that was not submitted inside the
/// organisation, before the transport rules and the decision read them (core <see cref="InboundRequestFilter"/>;
/// docs/agent.md, "Mail from outside the organisation").
/// </summary>
/// <remarks>
/// <para>Why this event: it is the first categorizer event, and the Transport Rule agent runs later, on
/// <c>OnResolvedMessage</c>. So a request the organisation's own rules stamp on a message from outside (for example one
/// forwarded to an external address) survives, while the outside sender's own fields never reach the decision. A
/// message deferred later comes back through <c>OnSubmittedMessage</c>, so the removal happens again if a deferral
/// reverted it.</para>
/// <para>The origin is the <c>X-MS-Exchange-Organization-AuthAs</c> field the receiving server stamped; it is kept
/// across the organisation's own hops and cannot come from the Internet (header firewall). Untagged mail costs one pass
/// over the field names and no allocation.</para>
/// </remarks>
internal static class InboundRequestStripper
{
    /// <summary>Handles <c>OnSubmittedMessage</c>. Never throws.</summary>
    /// <param name="runtime">The shared runtime (log, deferral settings).</param>
    /// <param name="source">The event source.</param>
    /// <param name="mailItem">The mail item.</param>
    public static void OnSubmitted(AgentRuntime runtime, QueuedMessageEventSource source, MailItem mailItem)
    {
        if (runtime is null || source is null || mailItem is null)
        {
            return;
        }

        HeaderList? headers = null;
        string? messageId = null;
        try
        {
            var message = mailItem.Message;
            if (message is null || message.IsSystemMessage)
            {
                // NDRs and other system messages are read-only, and Exchange made them.
                return;
            }

            headers = message.RootPart?.Headers;
            if (headers is null || !HasRequestField(headers))
            {
                return;
            }

            messageId = message.MessageId;
            var authAs = AuthAsValues(headers);
            var origin = InboundRequestFilter.Classify(authAs);
            if (origin == SubmissionOrigin.Internal)
            {
                return;
            }

            List<Header>? remove = null;
            foreach (Header header in headers)
            {
                if (InboundRequestFilter.MustRemove(origin, header.Name))
                {
                    (remove ??= new List<Header>()).Add(header);
                }
            }

            if (remove is null)
            {
                // Unknown origin and only a request: kept (fail closed).
                runtime.Log.Info(string.Format(CultureInfo.InvariantCulture, "OnSubmittedMessage messageId={0}: a link-security request on a message of unknown origin (no {1} field) is kept", messageId, InboundRequestFilter.AuthAsField));
                return;
            }

            var names = new List<string>();
            foreach (var header in remove)
            {
                headers.RemoveChild(header);
                if (!names.Exists(n => string.Equals(n, header.Name, StringComparison.OrdinalIgnoreCase)))
                {
                    names.Add(header.Name);
                }
            }

            runtime.Log.Info(string.Format(
                CultureInfo.InvariantCulture,
                "OnSubmittedMessage messageId={0}: removed {1} ({2} field(s)) from a message {3}; such fields count only when submitted inside the organisation",
                messageId,
                string.Join(", ", names),
                remove.Count,
                origin == SubmissionOrigin.Outside ? "from outside the organisation (AuthAs " + string.Join("/", authAs) + ")" : "of unknown origin (the waiver is not honoured)"));
        }
#pragma warning disable CA1031 // Never throw into Exchange.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            FailClosed(runtime, source, mailItem, headers, messageId, ex);
        }
    }

    /// <summary>The check or the removal failed: a request or waiver field of unproven origin may still be there. Defer the
    /// message unchanged when one is (it comes back through this event), leave it alone when none is or when even the
    /// header fields cannot be read (then no later event can read a request either). Never throws.</summary>
    private static void FailClosed(AgentRuntime runtime, QueuedMessageEventSource source, MailItem mailItem, HeaderList? headers, string? messageId, Exception exception)
    {
        try
        {
            bool? present = null;
            try
            {
                headers ??= mailItem.Message?.RootPart?.Headers;
                present = false;
                if (headers is not null)
                {
                    foreach (var name in InboundRequestFilter.Fields)
                    {
                        present |= headers.FindFirst(name) is not null;
                    }
                }
            }
#pragma warning disable CA1031 // Reported below as "cannot be read".
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            var outcome = present switch
            {
                true => "deferring the message (fail-closed)",
                false => "no request field is present: the message is left as it is",
                _ => "the header fields cannot be read either: the message is left as it is",
            };
            runtime.Log.Error(string.Format(CultureInfo.InvariantCulture, "OnSubmittedMessage messageId={0}: the origin of the request fields could not be checked; {1}", messageId, outcome), exception);
            if (present == true)
            {
                source.Defer(runtime.Current.Settings.Defer.RetryAfter, ExchangeResponses.From(SmtpReply.InternalErrorDeferral("the origin of the link-security request could not be checked")));
            }
        }
#pragma warning disable CA1031 // Nothing more can be done; never throw into Exchange.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            runtime.Log.Error("OnSubmittedMessage: the fail-safe failed too", ex);
        }
    }

    private static bool HasRequestField(HeaderList headers)
    {
        foreach (Header header in headers)
        {
            if (RequestParser.IsRequestHeader(header.Name))
            {
                return true;
            }
        }

        return false;
    }

    private static List<string?> AuthAsValues(HeaderList headers)
    {
        var values = new List<string?>();
        foreach (Header header in headers)
        {
            if (InboundRequestFilter.IsAuthAsField(header.Name))
            {
                // An undecodable value is not "Internal".
                values.Add(header.TryGetValue(out var value) ? value : null);
            }
        }

        return values;
    }
}
