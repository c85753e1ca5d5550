using System.Collections.Generic;
using System.Linq;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Smtp;

namespace LinkSecure.Exchange.Simulator;

/// <summary>The recipient collection of a mail item: <c>Remove</c> with a DSN records an NDR (or is refused by the fault plan).</summary>
public sealed class SimRecipientCollection : EnvelopeRecipientCollection
{
    private readonly SimMailItem owner;
    private List<SimRecipient> items = new();

    internal SimRecipientCollection(SimMailItem owner, IEnumerable<SimRecipient> recipients)
    {
        this.owner = owner;
        Replace(recipients);
    }

    /// <summary>Gets the recipients without the event's checks (for assertions).</summary>
    public IReadOnlyList<SimRecipient> Items => items;

    /// <inheritdoc />
    public override int Count
    {
        get
        {
            owner.CheckLifecycle("Recipients.Count");
            return items.Count;
        }
    }

    /// <inheritdoc />
    public override EnvelopeRecipient this[int index]
    {
        get
        {
            owner.CheckLifecycle("Recipients[i]");
            return items[index];
        }
    }

    /// <inheritdoc />
    public override bool Contains(RoutingAddress address)
    {
        owner.CheckLifecycle("Recipients.Contains");
        return items.Any(r => r.Address == address);
    }

    /// <inheritdoc />
    public override Enumerator GetEnumerator()
    {
        owner.CheckLifecycle("Recipients.GetEnumerator");
        return FacadeAccess.CreateEnumerator(this);
    }

    /// <summary>Removes a recipient without a DSN: it silently disappears (an accounting report calls it lost).</summary>
    /// <param name="recipient">The recipient.</param>
    /// <returns><see langword="true"/> when it was removed.</returns>
    public override bool Remove(EnvelopeRecipient recipient)
    {
        owner.CheckLifecycle("Recipients.Remove");
        var removed = recipient is SimRecipient sim && items.Remove(sim);
        if (removed)
        {
            owner.Pipeline?.AddTrace($"item {owner.Id}: {recipient.Address} removed without a DSN");
        }

        return removed;
    }

    /// <inheritdoc />
    public override bool Remove(EnvelopeRecipient recipient, DsnType dsnType, SmtpResponse smtpResponse) =>
        Remove(recipient, dsnType, smtpResponse, null!);

    /// <inheritdoc />
    public override bool Remove(EnvelopeRecipient recipient, DsnType dsnType, SmtpResponse smtpResponse, string sourceContext)
    {
        owner.CheckCall(ExchangeCall.RemoveRecipient);
        if (recipient is not SimRecipient sim || !items.Contains(sim))
        {
            return false;
        }

        if (owner.Pipeline?.RefusesRemove(owner, sim) == true)
        {
            return false;
        }

        items.Remove(sim);
        owner.Pipeline?.RecordNdr(owner, sim, dsnType, smtpResponse);
        return true;
    }

    /// <summary>Replaces the recipients (fork, revert), unchecked.</summary>
    internal void Replace(IEnumerable<SimRecipient> recipients)
    {
        items = recipients.ToList();
        foreach (var recipient in items)
        {
            recipient.Owner = owner;
        }
    }
}
