using System.Collections.Generic;

namespace LinkSecure.Exchange.Simulator;

/// <summary>A message as it was submitted: what every copy and retry of it must account for.</summary>
public sealed class SubmittedMessage
{
    /// <summary>Initializes a new instance of the <see cref="SubmittedMessage"/> class.</summary>
    /// <param name="item">The submitted item.</param>
    /// <param name="recipients">Its recipient addresses at submission.</param>
    /// <param name="mime">Its MIME bytes at submission.</param>
    public SubmittedMessage(SimMailItem item, IReadOnlyList<string> recipients, byte[] mime)
    {
        Item = item;
        Recipients = recipients;
        Mime = mime;
    }

    /// <summary>Gets the submission's identifier (<see cref="SimMailItem.SubmissionId"/>).</summary>
    public int SubmissionId => Item.SubmissionId;

    /// <summary>Gets the submitted item.</summary>
    public SimMailItem Item { get; }

    /// <summary>Gets the recipient addresses at submission.</summary>
    public IReadOnlyList<string> Recipients { get; }

    /// <summary>Gets the MIME bytes at submission.</summary>
    public byte[] Mime { get; }
}
