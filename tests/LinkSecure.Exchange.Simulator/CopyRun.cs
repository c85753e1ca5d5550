using System.Collections.Generic;
using Microsoft.Exchange.Data.Transport.Routing;

namespace LinkSecure.Exchange.Simulator;

/// <summary>One pass of one copy through the categorizer: where it is, its agent, the invocation it waits for, and the
/// clones it forked (scheduled when it finishes).</summary>
internal sealed class CopyRun
{
    private int resumed;

    public CopyRun(SimMailItem item, CategorizerEvent start, bool reentry)
    {
        Item = item;
        Next = start;
        Reentry = reentry;
    }

    public SimMailItem Item { get; }

    /// <summary>Gets the next event (or delivery).</summary>
    public CategorizerEvent Next { get; private set; }

    /// <summary>Gets a value indicating whether <see cref="Next"/> is re-entered at the agent's position (a fork clone in
    /// <see cref="ForkMode.ReentersSameEvent"/>): the agents before ours do not run again.</summary>
    public bool Reentry { get; private set; }

    public RoutingAgent? Agent { get; set; }

    /// <summary>Gets or sets the asynchronous invocation the copy waits for.</summary>
    public EventInvocation? Pending { get; set; }

    public List<CopyRun> Forks { get; } = new();

    public void Advance()
    {
        Next++;
        Reentry = false;
    }

    /// <summary>Arms the one-time resumption of an asynchronous invocation.</summary>
    public void ArmResume() => System.Threading.Volatile.Write(ref resumed, 0);

    /// <summary>Claims the resumption (completion or timeout, whichever comes first).</summary>
    public bool TryResume() => System.Threading.Interlocked.Exchange(ref resumed, 1) == 0;
}
