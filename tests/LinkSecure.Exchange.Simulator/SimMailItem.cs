using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.Exchange.Data.Mime;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Email;

namespace LinkSecure.Exchange.Simulator;

/// <summary>
/// A mail item: MIME bytes (the truth), a header DOM built from them, the envelope and the property bag. While one of
/// the agent's handlers runs for it, every member obeys the event's rules (thread, lifetime, <c>Defer</c>) and the
/// pipeline's fault plan; the members that are not overrides of <see cref="MailItem"/> (<see cref="Mime"/>,
/// <see cref="Bag"/>, <see cref="SimRecipients"/>, ...) are never checked, for assertions.
/// </summary>
public sealed class SimMailItem : MailItem
{
    private static int nextId;
    private readonly SimRecipientCollection recipients;
    private readonly int[] callCounts = new int[Enum.GetValues(typeof(ExchangeCall)).Length];
    private RoutingAddress fromAddress;
    private SimEmailMessage? message;
    private Snapshot? committed;
    private volatile EventInvocation? activeInvocation;
    private volatile EventInvocation? lastInvocation;
    private int forks;
    private bool converted;

    /// <summary>Initializes a new instance of the <see cref="SimMailItem"/> class.</summary>
    /// <param name="mime">The message, RFC 5322 bytes.</param>
    /// <param name="recipients">The envelope recipients.</param>
    /// <param name="from">The envelope sender.</param>
    /// <param name="isSystemMessage">Whether it is a system message (an NDR, for example).</param>
    /// <param name="isTnef">Whether it was submitted as TNEF (Outlook, OWA); the pipeline's <see cref="TransportPipeline.TnefUntil"/>
    /// decides until when <c>Message.TnefPart</c> is set.</param>
    public SimMailItem(byte[] mime, IEnumerable<SimRecipient> recipients, string from = "sender@contoso.example", bool isSystemMessage = false, bool isTnef = false)
    {
        Id = Interlocked.Increment(ref nextId);
        SubmissionId = Id;
        Lineage = Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Mime = mime ?? throw new ArgumentNullException(nameof(mime));
        fromAddress = new RoutingAddress(from);
        IsSystem = isSystemMessage;
        IsTnef = isTnef;
        Bag = new SimPropertyDictionary(this);
        this.recipients = new SimRecipientCollection(this, recipients ?? throw new ArgumentNullException(nameof(recipients)));

        // Parsed here, not inside the agent's first Message call, so that the agent's measured overhead does not include it.
        message = BuildMessage();
    }

    /// <summary>Gets the item's number, unique in the process.</summary>
    public int Id { get; }

    /// <summary>Gets the <see cref="Id"/> of the submitted item this one was forked from (its own for a submitted item).</summary>
    public int SubmissionId { get; private set; }

    /// <summary>Gets the <see cref="Id"/> of the item this copy was forked from, or <see langword="null"/>.</summary>
    public int? ForkedFrom { get; private set; }

    /// <summary>Gets or sets a name for the copy that does not depend on thread timing: the submitted item's name
    /// (its <see cref="Id"/> unless set before submission), then ".n" per fork. Seeded fault plans key on it.</summary>
    public string Lineage { get; set; }

    /// <summary>Gets the current MIME bytes.</summary>
    public byte[] Mime { get; private set; }

    /// <summary>Gets how many times the agent rewrote the MIME through <see cref="GetMimeWriteStream"/>.</summary>
    public int MimeWrites { get; private set; }

    /// <summary>Gets a value indicating whether it is a system message.</summary>
    public bool IsSystem { get; }

    /// <summary>Gets a value indicating whether it was submitted as TNEF.</summary>
    public bool IsTnef { get; }

    /// <summary>Gets a value indicating whether content conversion ran (a TNEF item is MIME from then on).</summary>
    public bool IsContentConverted
    {
        get => converted;
        internal set
        {
            if (converted != value)
            {
                converted = value;
                message = null;
            }
        }
    }

    /// <summary>Gets or sets when the item was submitted (set from the pipeline's clock at the first submission);
    /// <see cref="DateTimeReceived"/> reports it with the pipeline's <see cref="TransportPipeline.ReceivedKind"/>.</summary>
    public DateTimeOffset? ReceivedUtc { get; set; }

    /// <summary>Gets the pipeline the item runs in.</summary>
    public TransportPipeline? Pipeline { get; internal set; }

    /// <summary>Gets what the last <c>Defer</c> recorded while the item waits, or <see langword="null"/>.</summary>
    public DeferRecord? Deferred { get; internal set; }

    /// <summary>Gets the property bag without the event's checks (for assertions).</summary>
    public SimPropertyDictionary Bag { get; }

    /// <summary>Gets the recipients without the event's checks (for assertions).</summary>
    public SimRecipientCollection SimRecipients => recipients;

    /// <inheritdoc />
    public override RoutingAddress FromAddress
    {
        get
        {
            CheckLifecycle("FromAddress");
            return fromAddress;
        }

        set
        {
            CheckLifecycle("FromAddress");
            fromAddress = value;
        }
    }

    /// <inheritdoc />
    public override DateTime DateTimeReceived
    {
        get
        {
            CheckLifecycle("DateTimeReceived");
            if (ReceivedUtc is not { } received)
            {
                return default;
            }

            var utc = received.UtcDateTime;
            return (Pipeline?.ReceivedKind ?? DateTimeKind.Utc) switch
            {
                DateTimeKind.Local => utc.ToLocalTime(),
                DateTimeKind.Unspecified => DateTime.SpecifyKind(utc.ToLocalTime(), DateTimeKind.Unspecified),
                _ => utc,
            };
        }
    }

    /// <inheritdoc />
    /// <remarks>A fault plan can make this getter throw (<see cref="ExchangeCall.Message"/>).</remarks>
    public override EmailMessage Message
    {
        get
        {
            CheckCall(ExchangeCall.Message);
            return message ??= BuildMessage();
        }
    }

    /// <inheritdoc />
    public override long MimeStreamLength
    {
        get
        {
            CheckLifecycle("MimeStreamLength");
            return Mime.LongLength;
        }
    }

    /// <inheritdoc />
    /// <remarks>A fault plan can make this getter throw (<see cref="ExchangeCall.MailItemProperties"/>).</remarks>
    public override IDictionary<string, object> Properties
    {
        get
        {
            CheckCall(ExchangeCall.MailItemProperties);
            return Bag;
        }
    }

    /// <inheritdoc />
    /// <remarks>A fault plan can make this getter throw (<see cref="ExchangeCall.Recipients"/>).</remarks>
    public override EnvelopeRecipientCollection Recipients
    {
        get
        {
            CheckCall(ExchangeCall.Recipients);
            return recipients;
        }
    }

    /// <summary>Gets or sets the event invocation of the agent running for this item, if any.</summary>
    internal EventInvocation? ActiveInvocation
    {
        get => activeInvocation;
        set => activeInvocation = value;
    }

    /// <summary>Gets or sets the last event invocation of the agent for this item (a late worker thread may still call in).</summary>
    internal EventInvocation? LastInvocation
    {
        get => lastInvocation;
        set => lastInvocation = value;
    }

    /// <inheritdoc />
    /// <remarks>While the item is TNEF the stream still returns the bytes.</remarks>
    public override Stream GetMimeReadStream()
    {
        CheckCall(ExchangeCall.GetMimeReadStream);
        return new MemoryStream(Mime, writable: false);
    }

    /// <inheritdoc />
    /// <remarks>Exchange reloads the document from what was written (MimeDocument.GetLoadStream); so does this one, when
    /// the stream is disposed.</remarks>
    public override Stream GetMimeWriteStream()
    {
        CheckCall(ExchangeCall.GetMimeWriteStream);
        return new QuirkyWriteStream(bytes =>
        {
            Mime = bytes;
            MimeWrites++;
            message = null;
        });
    }

    /// <summary>Replaces the MIME bytes (a transport rule, a test), unchecked.</summary>
    /// <param name="mime">The new bytes.</param>
    public void ReplaceMime(byte[] mime)
    {
        Mime = mime ?? throw new ArgumentNullException(nameof(mime));
        message = null;
    }

    /// <summary>Writes header fields the agent removed from or added to the top-level header DOM back into the MIME bytes,
    /// as Exchange keeps changes made through <c>Message.RootPart.Headers</c> (unchecked; the pipeline calls it at the end
    /// of an event). Nothing happens when the DOM was not built or its field names did not change.</summary>
    internal void PersistHeaderEdits()
    {
        if (message?.RootPart?.Headers is not { } headers)
        {
            return;
        }

        var names = new List<string>();
        foreach (Header header in headers)
        {
            names.Add(header.Name);
        }

        var current = HeaderBlock.Parse(Mime);
        if (names.SequenceEqual(current.Select(h => h.Key), StringComparer.OrdinalIgnoreCase))
        {
            return;
        }

        // A value the DOM cannot decode (a fault plan's malformed field) keeps its bytes from the MIME.
        var original = current.ToLookup(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => new Queue<string>(g), StringComparer.OrdinalIgnoreCase);
        var fields = new List<KeyValuePair<string, string>>();
        foreach (Header header in headers)
        {
            var known = original.TryGetValue(header.Name, out var queue) && queue.Count > 0 ? queue.Dequeue() : null;
            fields.Add(new KeyValuePair<string, string>(header.Name, header.TryGetValue(out var value) ? value ?? string.Empty : known ?? string.Empty));
        }

        Mime = HeaderBlock.ReplaceHeaders(Mime, fields);
        message = null;
    }

    /// <summary>Applies the event's rules to a call made on this item, then asks the fault plan.</summary>
    internal void CheckCall(ExchangeCall call)
    {
        InvocationForCaller()?.Check(null, call, Pipeline?.Faults is null ? 0 : NextOccurrence(call));
    }

    /// <summary>Applies the event's rules (no fault injection) to an access made on this item.</summary>
    internal void CheckLifecycle(string what) => InvocationForCaller()?.Check(what, null, 0);

    /// <summary>Parses the header DOM again (at submission, when a fault plan may make values malformed).</summary>
    internal void ReparseMessage() => message = BuildMessage();

    /// <summary>Makes the current contents the committed ones (at submission and, for a clone, at the fork).</summary>
    internal void Commit() => committed = new Snapshot(
        Mime,
        IsContentConverted,
        recipients.Items.Select(r => new RecipientSnapshot(r, r.Bag.CopyValues())).ToList(),
        Bag.CopyValues());

    /// <summary>Reverts to the committed contents: recipients and their property bags, MIME, mail-item properties;
    /// routing overrides and TLS domains cleared (API reference, <c>Defer</c>, aa567106).</summary>
    internal void Revert()
    {
        if (committed is null)
        {
            return;
        }

        Mime = committed.Mime;
        IsContentConverted = committed.Converted;
        message = null;
        recipients.Replace(committed.Recipients.Select(r => r.Restore()));
        Bag.Load(committed.Bag);
    }

    /// <summary>Content conversion: a TNEF item becomes MIME.</summary>
    internal void ConvertContent() => IsContentConverted = true;

    /// <summary>Separates <paramref name="rest"/> into a new copy, committed now; this copy keeps <paramref name="first"/>.</summary>
    internal SimMailItem Fork(IReadOnlyList<SimRecipient> first, IReadOnlyList<SimRecipient> rest, bool keepProperties)
    {
        recipients.Replace(first);
        var clone = new SimMailItem(Mime, rest.Select(r => r.Copy(keepProperties ? r.Bag.CopyValues() : null, keepRouting: true)), fromAddress.ToString(), IsSystem, IsTnef)
        {
            SubmissionId = SubmissionId,
            ForkedFrom = Id,
            Lineage = Lineage + "." + (++forks).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ReceivedUtc = ReceivedUtc,
            IsContentConverted = IsContentConverted,
            Pipeline = Pipeline,
        };
        if (keepProperties)
        {
            clone.Bag.Load(Bag.CopyValues());
        }

        clone.Commit();
        return clone;
    }

    private EventInvocation? InvocationForCaller()
    {
        if (ActiveInvocation is { } active)
        {
            return active;
        }

        // A worker thread of an earlier invocation calling after its event finished.
        return LastInvocation is { } last && last.ResumedOnCurrentThread ? last : null;
    }

    /// <summary>Counts a call of a kind on this item; returns how many came before.</summary>
    internal int NextOccurrence(ExchangeCall call) => Interlocked.Increment(ref callCounts[(int)call]) - 1;

    private SimEmailMessage BuildMessage()
    {
        var root = new MimePart();
        string? messageId = null;
        foreach (var header in HeaderBlock.Parse(Mime))
        {
            var value = Pipeline?.IsMalformed(this, header.Key) == true ? header.Value + "\0" : header.Value;
            root.Headers.AppendChild(new TextHeader(header.Key, value));
            if (messageId is null && string.Equals(header.Key, "Message-ID", StringComparison.OrdinalIgnoreCase))
            {
                messageId = header.Value.Trim();
            }
        }

        var tnef = IsTnef && !converted ? new MimePart() : null;
        return new SimEmailMessage(root, tnef, IsSystem) { MessageId = messageId! };
    }

    private sealed class Snapshot
    {
        public Snapshot(byte[] mime, bool converted, List<RecipientSnapshot> recipients, Dictionary<string, object> bag)
        {
            Mime = mime;
            Converted = converted;
            Recipients = recipients;
            Bag = bag;
        }

        public byte[] Mime { get; }

        public bool Converted { get; }

        public List<RecipientSnapshot> Recipients { get; }

        public Dictionary<string, object> Bag { get; }
    }

    private sealed class RecipientSnapshot
    {
        private readonly string address;
        private readonly RecipientCategory category;
        private readonly bool mailContact;
        private readonly Dictionary<string, object> properties;

        public RecipientSnapshot(SimRecipient recipient, Dictionary<string, object> properties)
        {
            address = recipient.Address.ToString();
            category = recipient.Category;
            mailContact = recipient.IsMailContact;
            this.properties = properties;
        }

        public SimRecipient Restore()
        {
            var restored = new SimRecipient(address, category) { IsMailContact = mailContact };
            restored.Bag.Load(new Dictionary<string, object>(properties, StringComparer.OrdinalIgnoreCase));
            return restored;
        }
    }
}
