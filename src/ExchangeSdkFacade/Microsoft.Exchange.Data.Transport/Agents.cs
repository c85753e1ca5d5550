// Compile-time facade of Microsoft.Exchange.Data.Transport: see ../Facade.props.
// Surface: a subset of Microsoft's, identical signatures (checked by ../check-surface.sh).
using System;

namespace Microsoft.Exchange.Data.Transport
{
    public abstract class AgentFactory
    {
        protected AgentFactory()
        {
        }

        public virtual void Close()
        {
        }
    }

    public abstract class Agent
    {
        // Facade only: Exchange ties the asynchronous context to the event being dispatched. Test
        // hosts (the pipeline simulator) set this private field through reflection before they
        // raise an event; it is not part of the public or protected surface.
#pragma warning disable 0649
        private Func<AgentAsyncContext> asyncContextProvider;
        private string name;
        private string eventTopic;
#pragma warning restore 0649

        protected Agent()
        {
        }

        protected string Name
        {
            get { return this.name; }
        }

        protected string EventTopic
        {
            get { return this.eventTopic; }
        }

        protected AgentAsyncContext GetAgentAsyncContext()
        {
            Func<AgentAsyncContext> provider = this.asyncContextProvider;
            if (provider == null)
            {
                throw new InvalidOperationException("GetAgentAsyncContext called outside an event handler.");
            }

            return provider();
        }
    }

    public class AgentAsyncContext
    {
        protected AgentAsyncContext()
        {
        }

        public Exception AsyncException { get; set; }

        public virtual void Resume()
        {
        }

        public virtual void Complete()
        {
        }
    }

    public abstract class SmtpServer
    {
        public abstract string Name { get; }

        public abstract AcceptedDomainCollection AcceptedDomains { get; }
    }

    public abstract class AcceptedDomain
    {
        protected AcceptedDomain()
        {
        }

        public abstract bool IsInCorporation { get; }

        public abstract bool UseAddressBook { get; }

        public abstract string NameSpecification { get; }
    }
}
