using System;
using System.Collections.Generic;
using System.Diagnostics;
using LinkSecure.Core.Handling;
using LinkSecure.Core.Protocol;
using LinkSecure.Exchange.Runtime;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Routing;

namespace LinkSecure.Exchange.Pipeline;

/// <summary>
/// The state of one event invocation on one copy of a message, carried from the event thread to a worker thread:
/// never kept in an agent field. It records what this invocation changed on the copy, because an item changed in an
/// invocation must not be deferred in it (<c>Defer</c> reverts the item to its committed contents, API reference
/// aa567106), and the first copy after a <c>Fork</c> must never be deferred.
/// </summary>
internal sealed class CopyWork
{
    public CopyWork(string eventName, QueuedMessageEventSource source, MailItem mailItem, AgentState state, LinkSecurityRequest request, string? messageId)
    {
        EventName = eventName;
        Source = source;
        MailItem = mailItem;
        State = state;
        Request = request;
        MessageId = messageId;
        Start = Stopwatch.GetTimestamp();
    }

    /// <summary>Gets the event's name, for the log.</summary>
    public string EventName { get; }

    /// <summary>Gets the event source.</summary>
    public QueuedMessageEventSource Source { get; }

    /// <summary>Gets the mail item (this copy).</summary>
    public MailItem MailItem { get; }

    /// <summary>Gets the configuration generation the message started on.</summary>
    public AgentState State { get; }

    /// <summary>Gets the request.</summary>
    public LinkSecurityRequest Request { get; }

    /// <summary>Gets the Message-ID.</summary>
    public string? MessageId { get; }

    /// <summary>Gets when the invocation started (Stopwatch ticks).</summary>
    public long Start { get; }

    /// <summary>Gets the recipients this invocation decides, with what the core needs about each.</summary>
    public List<KeyValuePair<EnvelopeRecipient, MessageRecipient>> Undecided { get; } = new();

    /// <summary>Gets or sets a value indicating whether this invocation forked the copy.</summary>
    public bool Forked { get; set; }

    /// <summary>Gets or sets a value indicating whether this invocation removed a recipient (a bounce).</summary>
    public bool Removed { get; set; }

    /// <summary>Gets or sets a value indicating whether this invocation wrote the message content.</summary>
    public bool Rewritten { get; set; }

    /// <summary>Gets or sets a value indicating whether this invocation replaced the content by its header fields (the last resort).</summary>
    public bool Contained { get; set; }

    /// <summary>Gets or sets a value indicating whether <c>OnResolvedMessage</c> of this pass forked the copy or removed
    /// recipients from it (<see cref="RecipientMarks.WasChanged"/>).</summary>
    public bool ChangedEarlier { get; set; }

    /// <summary>Gets a value indicating whether the copy may still be deferred (nothing was forked, removed or rewritten in
    /// this invocation or, on a later event, by <c>OnResolvedMessage</c> of this pass).</summary>
    public bool MayDefer => !Forked && !Removed && !Rewritten && !ChangedEarlier;

    /// <summary>Microseconds since the invocation started.</summary>
    /// <returns>The elapsed time.</returns>
    public long ElapsedMicroseconds() => (Stopwatch.GetTimestamp() - Start) * 1_000_000 / Stopwatch.Frequency;
}
