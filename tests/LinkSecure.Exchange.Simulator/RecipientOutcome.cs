using System;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Smtp;

namespace LinkSecure.Exchange.Simulator;

/// <summary>One recipient's outcome in one copy.</summary>
public sealed class RecipientOutcome
{
    /// <summary>Initializes a new instance of the <see cref="RecipientOutcome"/> class.</summary>
    /// <param name="address">The recipient address.</param>
    /// <param name="kind">The outcome.</param>
    /// <param name="item">The copy.</param>
    public RecipientOutcome(string address, OutcomeKind kind, SimMailItem item)
    {
        Address = address;
        Kind = kind;
        Item = item ?? throw new ArgumentNullException(nameof(item));
        SubmissionId = item.SubmissionId;
    }

    /// <summary>Gets the recipient address.</summary>
    public string Address { get; }

    /// <summary>Gets the outcome.</summary>
    public OutcomeKind Kind { get; }

    /// <summary>Gets the copy that delivered, bounced or holds the recipient.</summary>
    public SimMailItem Item { get; }

    /// <summary>Gets the submitted message the copy belongs to.</summary>
    public int SubmissionId { get; }

    /// <summary>Gets the routing override the copy was delivered with, or <see langword="null"/>.</summary>
    public RoutingOverride? Override { get; init; }

    /// <summary>Gets the TLS domain the copy was delivered with, or <see langword="null"/>.</summary>
    public string? TlsDomain { get; init; }

    /// <summary>Gets the NDR's response (bounced) or the deferral's (deferred).</summary>
    public SmtpResponse Response { get; init; }

    /// <summary>Gets how long the copy waits (deferred).</summary>
    public TimeSpan DeferFor { get; init; }

    /// <summary>Gets the MIME bytes delivered (delivered), otherwise empty.</summary>
    public byte[] Mime { get; init; } = Array.Empty<byte>();
}
