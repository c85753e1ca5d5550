namespace LinkSecure.Exchange.Simulator;

/// <summary>How often the simulator calls <c>RoutingAgentFactory.CreateAgent</c>.</summary>
public enum AgentLifetime
{
    /// <summary>One agent per mail item and pass through the categorizer (a fork clone or a retry gets a new one); its
    /// subscribed handlers are raised for every event of that pass (the reference's reading, §1; unverified).</summary>
    PerMailItem = 0,

    /// <summary>A new agent for every event invocation: an agent that keeps per-message state in fields breaks here.</summary>
    PerEventInvocation = 1,
}
