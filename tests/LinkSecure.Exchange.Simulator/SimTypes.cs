using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.Exchange.Data.Mime;
using Microsoft.Exchange.Data.Transport;
using Microsoft.Exchange.Data.Transport.Email;
using Microsoft.Exchange.Data.Transport.Routing;
using Microsoft.Exchange.Data.Transport.Smtp;

namespace LinkSecure.Exchange.Simulator;

/// <summary>An envelope recipient: address, category, property bag, and what the agent set for it.</summary>
internal sealed class SimRecipient : EnvelopeRecipient
{
    public SimRecipient(string address, RecipientCategory category = RecipientCategory.InDifferentOrganization)
    {
        Address = new RoutingAddress(address);
        Category = category;
    }

    public override RoutingAddress Address { get; set; }

    public Dictionary<string, object> Bag { get; private set; } = new(StringComparer.OrdinalIgnoreCase);

    public override IDictionary<string, object> Properties => Bag;

    public RecipientCategory Category { get; set; }

    public override RecipientCategory RecipientCategory => Category;

    public RoutingOverride? Override { get; set; }

    public string? TlsDomain { get; set; }

    public SimRecipient CopyForFork(bool keepProperties)
    {
        var copy = new SimRecipient(Address.ToString(), Category) { Override = Override, TlsDomain = TlsDomain };
        if (keepProperties)
        {
            copy.Bag = new Dictionary<string, object>(Bag, StringComparer.OrdinalIgnoreCase);
        }

        return copy;
    }
}

/// <summary>The recipient collection; Remove with a DSN produces an NDR record.</summary>
internal sealed class SimRecipientCollection : EnvelopeRecipientCollection
{
    private readonly SimMailItem owner;

    public SimRecipientCollection(SimMailItem owner, IEnumerable<SimRecipient> recipients)
    {
        this.owner = owner;
        Items = recipients.ToList();
    }

    public List<SimRecipient> Items { get; private set; }

    public override int Count => Items.Count;

    public override EnvelopeRecipient this[int index] => Items[index];

    public override bool Contains(RoutingAddress address) => Items.Any(r => r.Address == address);

    public override Enumerator GetEnumerator() => FacadeAccess.CreateEnumerator(this);

    public override bool Remove(EnvelopeRecipient recipient) => Items.Remove((SimRecipient)recipient);

    public override bool Remove(EnvelopeRecipient recipient, DsnType dsnType, SmtpResponse smtpResponse) =>
        Remove(recipient, dsnType, smtpResponse, null!);

    public override bool Remove(EnvelopeRecipient recipient, DsnType dsnType, SmtpResponse smtpResponse, string sourceContext)
    {
        owner.Pipeline?.CheckCall(owner, "Recipients.Remove");
        var sim = (SimRecipient)recipient;
        if (!Items.Remove(sim))
        {
            return false;
        }

        owner.Pipeline?.RecordNdr(owner, sim, dsnType, smtpResponse);
        return true;
    }

    internal void Replace(IEnumerable<SimRecipient> recipients) => Items = recipients.ToList();
}

/// <summary>The parsed message: root headers, TNEF and system flags.</summary>
internal sealed class SimEmailMessage : EmailMessage
{
    public SimEmailMessage(MimePart rootPart, MimePart? tnefPart, bool isSystemMessage)
        : base(rootPart, tnefPart!, isSystemMessage)
    {
    }
}

/// <summary>The write stream quirk recorded by Pro/dkim-exchange: Write after Flush throws.</summary>
internal sealed class QuirkyWriteStream : MemoryStream
{
    private readonly Action<byte[]> commit;
    private bool flushed;
    private bool committed;

    public QuirkyWriteStream(Action<byte[]> commit)
    {
        this.commit = commit;
    }

    public int Writes { get; private set; }

    public override void Write(byte[] buffer, int offset, int count)
    {
        if (flushed)
        {
            throw new InvalidOperationException("Write after Flush on the MIME write stream.");
        }

        Writes++;
        base.Write(buffer, offset, count);
    }

    public override void WriteByte(byte value) => Write(new[] { value }, 0, 1);

    public override void Flush()
    {
        flushed = true;
        base.Flush();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !committed)
        {
            committed = true;
            flushed = true;
            commit(ToArray());
        }

        base.Dispose(disposing);
    }
}

/// <summary>A mail item: MIME bytes (the truth), a header DOM built from them, envelope, properties.</summary>
internal sealed class SimMailItem : MailItem
{
    private static int nextId;
    private readonly SimRecipientCollection recipients;
    private SimEmailMessage message;

    public SimMailItem(byte[] mime, IEnumerable<SimRecipient> recipients, string from = "sender@contoso.example", bool isSystemMessage = false, bool isTnef = false)
    {
        Id = System.Threading.Interlocked.Increment(ref nextId);
        Mime = mime;
        FromAddress = new RoutingAddress(from);
        IsSystem = isSystemMessage;
        IsTnef = isTnef;
        this.recipients = new SimRecipientCollection(this, recipients);
        message = BuildMessage();
        Received = DateTime.UtcNow;
    }

    public int Id { get; }

    public int? ForkedFrom { get; set; }

    public byte[] Mime { get; private set; }

    public int MimeWrites { get; private set; }

    public bool IsSystem { get; }

    public bool IsTnef { get; }

    public DateTime Received { get; set; }

    public TransportPipeline? Pipeline { get; set; }

    public DeferRecord? Deferred { get; set; }

    public Dictionary<string, object> Bag { get; private set; } = new(StringComparer.OrdinalIgnoreCase);

    public override RoutingAddress FromAddress { get; set; }

    public override DateTime DateTimeReceived => Received;

    public override EmailMessage Message => message;

    public override long MimeStreamLength => Mime.LongLength;

    public override IDictionary<string, object> Properties => Bag;

    public override EnvelopeRecipientCollection Recipients => recipients;

    public SimRecipientCollection SimRecipients => recipients;

    public override Stream GetMimeReadStream()
    {
        Pipeline?.CheckCall(this, "GetMimeReadStream");
        return new MemoryStream(Mime, writable: false);
    }

    public override Stream GetMimeWriteStream()
    {
        Pipeline?.CheckCall(this, "GetMimeWriteStream");
        return new QuirkyWriteStream(bytes =>
        {
            // Exchange reloads the document from what was written (MimeDocument.GetLoadStream).
            Mime = bytes;
            MimeWrites++;
            message = BuildMessage();
        });
    }

    public void ReplaceMime(byte[] mime)
    {
        Mime = mime;
        message = BuildMessage();
    }

    public SimMailItem ForkCopy(IEnumerable<SimRecipient> rest, bool keepProperties)
    {
        var copy = new SimMailItem(Mime, rest.Select(r => r.CopyForFork(keepProperties)), FromAddress.ToString(), IsSystem, IsTnef)
        {
            Received = Received,
            Pipeline = Pipeline,
            ForkedFrom = Id,
        };
        if (keepProperties)
        {
            copy.Bag = new Dictionary<string, object>(Bag, StringComparer.OrdinalIgnoreCase);
        }

        return copy;
    }

    private SimEmailMessage BuildMessage()
    {
        var root = new MimePart();
        string? messageId = null;
        foreach (var header in HeaderBlock.Parse(Mime))
        {
            root.Headers.AppendChild(new TextHeader(header.Key, header.Value));
            if (messageId is null && string.Equals(header.Key, "Message-ID", StringComparison.OrdinalIgnoreCase))
            {
                messageId = header.Value.Trim();
            }
        }

        var tnef = IsTnef ? new MimePart() : null;
        return new SimEmailMessage(root, tnef, IsSystem) { MessageId = messageId! };
    }
}

/// <summary>The event arguments.</summary>
internal sealed class SimEventArgs : QueuedMessageEventArgs
{
    private readonly MailItem mailItem;

    public SimEventArgs(MailItem mailItem)
    {
        this.mailItem = mailItem;
    }

    public override MailItem MailItem => mailItem;
}

/// <summary>The server: name and accepted domains.</summary>
internal sealed class SimSmtpServer : SmtpServer
{
    private readonly SimAcceptedDomains accepted;

    public SimSmtpServer(params string[] acceptedDomains)
    {
        accepted = new SimAcceptedDomains(acceptedDomains.Select(d => new SimAcceptedDomain(d, true)).ToList());
    }

    public override string Name => "MBX1";

    public override AcceptedDomainCollection AcceptedDomains => accepted;
}

internal sealed class SimAcceptedDomain : AcceptedDomain
{
    public SimAcceptedDomain(string name, bool inCorporation)
    {
        NameSpecification = name;
        IsInCorporation = inCorporation;
    }

    public override bool IsInCorporation { get; }

    public override string NameSpecification { get; }
}

internal sealed class SimAcceptedDomains : AcceptedDomainCollection
{
    private readonly List<SimAcceptedDomain> domains;

    public SimAcceptedDomains(List<SimAcceptedDomain> domains)
    {
        this.domains = domains;
    }

    public override AcceptedDomain Find(string domainName) =>
        domains.FirstOrDefault(d => string.Equals(d.NameSpecification, domainName, StringComparison.OrdinalIgnoreCase))!;

    public override IEnumerator<AcceptedDomain> GetEnumerator() => domains.GetEnumerator();
}
