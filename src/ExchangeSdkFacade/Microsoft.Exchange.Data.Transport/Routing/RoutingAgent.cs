// Compile-time facade of Microsoft.Exchange.Data.Transport: see ../Facade.props.
// Surface: a subset of Microsoft's, identical signatures (checked by ../check-surface.sh).
using System;
using System.Collections.Generic;
using Microsoft.Exchange.Data.Transport.Smtp;

namespace Microsoft.Exchange.Data.Transport.Routing
{
    public abstract class RoutingAgentFactory : AgentFactory
    {
        protected RoutingAgentFactory()
        {
        }

        public abstract RoutingAgent CreateAgent(SmtpServer server);
    }

    public abstract class RoutingAgent : Agent
    {
        protected RoutingAgent()
        {
        }

        // Facade only: Exchange raises its events internally. Test hosts raise these by reading
        // the compiler-generated private fields of the same names through reflection.
#pragma warning disable 0067
        protected event SubmittedMessageEventHandler OnSubmittedMessage;

        protected event ResolvedMessageEventHandler OnResolvedMessage;

        protected event RoutedMessageEventHandler OnRoutedMessage;

        protected event CategorizedMessageEventHandler OnCategorizedMessage;
#pragma warning restore 0067
    }

    public delegate void SubmittedMessageEventHandler(SubmittedMessageEventSource source, QueuedMessageEventArgs e);

    public delegate void ResolvedMessageEventHandler(ResolvedMessageEventSource source, QueuedMessageEventArgs e);

    public delegate void RoutedMessageEventHandler(RoutedMessageEventSource source, QueuedMessageEventArgs e);

    public delegate void CategorizedMessageEventHandler(CategorizedMessageEventSource source, QueuedMessageEventArgs e);

    public abstract class QueuedMessageEventArgs : EventArgs
    {
        public abstract MailItem MailItem { get; }
    }

    public abstract class QueuedMessageEventSource
    {
        public abstract void Defer(TimeSpan waitTime);

        public abstract void Defer(TimeSpan waitTime, SmtpResponse deferReason);

        public abstract void Fork(IList<EnvelopeRecipient> recipients);
    }

    public abstract class ResolvedMessageEventSource : QueuedMessageEventSource
    {
        public abstract RoutingOverride GetRoutingOverride(EnvelopeRecipient recipient);

        public abstract void SetRoutingOverride(EnvelopeRecipient recipient, RoutingOverride routingOverride);

        public abstract string GetTlsDomain(EnvelopeRecipient recipient);

        public abstract void SetTlsDomain(EnvelopeRecipient recipient, string domain);
    }

    public abstract class SubmittedMessageEventSource : QueuedMessageEventSource
    {
    }

    public abstract class RoutedMessageEventSource : QueuedMessageEventSource
    {
    }

    public abstract class CategorizedMessageEventSource : QueuedMessageEventSource
    {
    }
}
