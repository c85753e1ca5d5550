using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using LinkSecure.Core.Protocol;
using MimeKit;

namespace LinkSecure.Core.Downgrade;

/// <summary>
/// One forward pass over a message with MimeKit's <see cref="MimeReader"/>: finds the safe part (and, for a
/// <c>multipart/related</c> root, its marked siblings), keeps the top-level header fields the output needs, records
/// the selected bodies, and enforces <see cref="DowngradeLimits"/> and the structural rules. Content of every other
/// entity flows past without being kept. One instance per call.
/// </summary>
/// <remarks>
/// <para>MimeKit reports a header block (begin, fields, end) before the entity it belongs to; the entity's begin and
/// end follow. A marked block therefore starts a tentative selection that the entity's begin callback confirms.</para>
/// <para>Entities inside a <c>message/*</c> entity (attached messages) are "foreign": not part of the message's own tree,
/// so their markers are ignored.</para>
/// </remarks>
internal sealed class MessageScanner : MimeReader
{
    /// <summary>Longest boundary accepted: a delimiter line ("--" + boundary + "--") must fit in 998 octets.</summary>
    internal const int MaxBoundaryLength = 994;

    private readonly ScanInputStream input;
    private readonly DowngradeLimits limits;
    private readonly HashSet<string> keep;
    private readonly bool headersOnly;
    private readonly Stack<Frame> frames = new();

    private int foreignDepth;
    private int entities;
    private bool sawTopBlock;

    // The header block being read.
    private bool blockTop;
    private bool blockForeign;
    private int blockFields;
    private long blockBytes;
    private int blockMarkers;
    private bool blockUnsafeMarker;
    private List<Header>? blockEntityHeaders;

    private SelectedEntity? pending;
    private Frame? relatedParent;

    public MessageScanner(ScanInputStream input, HashSet<string> keep, DowngradeLimits limits, bool headersOnly)
        : base(CreateParserOptions(limits), input, MimeFormat.Default)
    {
        this.input = input;
        this.keep = keep;
        this.limits = limits;
        this.headersOnly = headersOnly;
    }

    /// <summary>Gets the top-level fields on the keep-list (all valid fields in headers-only mode), in message order.</summary>
    public List<Header> TopHeaders { get; } = new();

    /// <summary>Gets the first top-level <c>Link-Security-Subject</c> field.</summary>
    public Header? SubjectReplacement { get; private set; }

    /// <summary>Gets the line ending of the message's first header line, used for every generated line.</summary>
    public string NewLine { get; private set; } = "\r\n";

    /// <summary>Gets the safe part: the first entity of the message's own tree marked safe.</summary>
    public SelectedEntity? Safe { get; private set; }

    /// <summary>Gets the marked siblings that follow the safe part when it is the root of a <c>multipart/related</c>.</summary>
    public List<SelectedEntity> RelatedParts { get; } = new();

    /// <summary>Gets the number of header blocks inside attached messages that carry the marker (ignored).</summary>
    public int ForeignMarkers { get; private set; }

    /// <summary>Gets the number of marked entities not selected (a later marker; the first wins).</summary>
    public int LaterMarkers { get; private set; }

    /// <summary>Tells whether a <c>Link-Security-Part</c> value says <c>safe</c>: the first token, before any
    /// <c>;</c>, compared case-insensitively.</summary>
    internal static bool IsSafeValue(byte[] rawValue)
    {
        var text = Latin1(rawValue).Replace("\r", string.Empty).Replace("\n", string.Empty);
        var semicolon = text.IndexOf(';');
        if (semicolon >= 0)
        {
            text = text.Substring(0, semicolon);
        }

        return string.Equals(text.Trim(' ', '\t'), "safe", StringComparison.OrdinalIgnoreCase);
    }

    internal static string Latin1(byte[] bytes)
    {
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[i] = (char)bytes[i];
        }

        return new string(chars);
    }

    /// <summary>Strips white space and angle brackets from a Content-ID or a <c>start</c> parameter.</summary>
    internal static string? NormalizeId(string? id)
    {
        if (id is null)
        {
            return null;
        }

        var text = id.Replace("\r", string.Empty).Replace("\n", string.Empty).Trim(' ', '\t');
        if (text.Length >= 2 && text[0] == '<' && text[text.Length - 1] == '>')
        {
            text = text.Substring(1, text.Length - 2).Trim(' ', '\t');
        }

        return text.Length == 0 ? null : text;
    }

    internal static bool IsUsable(Header header) =>
        header.RawValue.Length > 0 && DowngradeKeepList.IsValidFieldName(header.Field);

    protected override void OnHeadersBegin(long beginOffset, int beginLineNumber, CancellationToken cancellationToken)
    {
        input.InHeaders = true;
        input.HeaderMark = beginOffset;
        blockTop = !sawTopBlock;
        sawTopBlock = true;
        blockForeign = foreignDepth > 0;
        blockFields = 0;
        blockBytes = 0;
        blockMarkers = 0;
        blockUnsafeMarker = false;
        var selectionPossible = !headersOnly && !blockForeign && (Safe is null || relatedParent is not null);
        blockEntityHeaders = selectionPossible ? new List<Header>() : null;
    }

    protected override void OnHeaderRead(Header header, int beginLineNumber, CancellationToken cancellationToken)
    {
        input.HeaderMark = Position;
        var size = (long)header.RawField.Length + 1 + header.RawValue.Length;
        blockFields++;
        blockBytes += size;
        if (size > limits.MaxHeaderFieldBytes)
        {
            throw Malformed("a header field at byte {0} is longer than the limit of {1:N0} bytes", header.Offset ?? -1, limits.MaxHeaderFieldBytes);
        }

        if (blockBytes > limits.MaxHeaderBlockBytes)
        {
            throw Malformed("a header block at byte {0} is larger than the limit of {1:N0} bytes", header.Offset ?? -1, limits.MaxHeaderBlockBytes);
        }

        if (blockFields > limits.MaxHeadersPerBlock)
        {
            throw Malformed("a header block at byte {0} has more than the limit of {1:N0} fields", header.Offset ?? -1, limits.MaxHeadersPerBlock);
        }

        if (blockTop && blockFields == 1)
        {
            var raw = header.RawValue;
            NewLine = raw.Length > 0 && raw[raw.Length - 1] == (byte)'\n' && (raw.Length < 2 || raw[raw.Length - 2] != (byte)'\r') ? "\n" : "\r\n";
        }

        if (!IsUsable(header))
        {
            return;
        }

        var isMarker = string.Equals(header.Field, HeaderNames.LinkSecurityPart, StringComparison.OrdinalIgnoreCase);
        if (blockForeign)
        {
            if (isMarker && blockMarkers++ == 0)
            {
                ForeignMarkers++;
            }

            return;
        }

        if (isMarker)
        {
            blockMarkers++;
            blockUnsafeMarker |= !IsSafeValue(header.RawValue);
        }

        if (blockTop)
        {
            if (headersOnly || keep.Contains(header.Field))
            {
                TopHeaders.Add(header);
            }

            if (SubjectReplacement is null && string.Equals(header.Field, HeaderNames.LinkSecuritySubject, StringComparison.OrdinalIgnoreCase))
            {
                SubjectReplacement = header;
            }
        }

        if (blockEntityHeaders is not null && (isMarker || (DowngradeKeepList.IsContentHeader(header.Field) && !string.Equals(header.Field, "Content-Length", StringComparison.OrdinalIgnoreCase))))
        {
            blockEntityHeaders.Add(header);
        }
    }

    protected override void OnHeadersEnd(long beginOffset, int beginLineNumber, long endOffset, int endLineNumber, CancellationToken cancellationToken)
    {
        input.InHeaders = false;
        if (blockForeign || headersOnly || blockMarkers == 0)
        {
            return;
        }

        // Conflicting markers ("safe" and anything else) do not mark the entity: when in doubt, leave it out.
        if (blockUnsafeMarker)
        {
            return;
        }

        var parent = frames.Count > 0 ? frames.Peek() : null;
        var selectable = Safe is null || (relatedParent is not null && ReferenceEquals(parent, relatedParent));
        if (!selectable || blockEntityHeaders is null)
        {
            LaterMarkers++;
            return;
        }

        string? contentId = null;
        foreach (var header in blockEntityHeaders)
        {
            if (string.Equals(header.Field, "Content-ID", StringComparison.OrdinalIgnoreCase))
            {
                contentId = NormalizeId(Latin1(header.RawValue));
                break;
            }
        }

        pending = new SelectedEntity(blockEntityHeaders, beginOffset, contentId, input.StartRecording(endOffset));
    }

    protected override void OnMultipartBegin(ContentType contentType, long beginOffset, int beginLineNumber, CancellationToken cancellationToken) =>
        Begin(EntityKind.Multipart, contentType, beginOffset);

    protected override void OnMessagePartBegin(ContentType contentType, long beginOffset, int beginLineNumber, CancellationToken cancellationToken) =>
        Begin(EntityKind.MessagePart, contentType, beginOffset);

    protected override void OnMimePartBegin(ContentType contentType, long beginOffset, int beginLineNumber, CancellationToken cancellationToken) =>
        Begin(EntityKind.Leaf, contentType, beginOffset);

    protected override void OnMultipartEnd(ContentType contentType, long beginOffset, int beginLineNumber, long headersEndOffset, long endOffset, int lines, CancellationToken cancellationToken) =>
        End(EntityKind.Multipart, endOffset);

    protected override void OnMessagePartEnd(ContentType contentType, long beginOffset, int beginLineNumber, long headersEndOffset, long endOffset, int lines, CancellationToken cancellationToken) =>
        End(EntityKind.MessagePart, endOffset);

    protected override void OnMimePartEnd(ContentType contentType, long beginOffset, int beginLineNumber, long headersEndOffset, long endOffset, int lines, CancellationToken cancellationToken) =>
        End(EntityKind.Leaf, endOffset);

    private static ParserOptions CreateParserOptions(DowngradeLimits limits)
    {
        var options = ParserOptions.Default.Clone();

        // MimeKit treats entities nested deeper than this as opaque leaves; ours is the stricter limit and fires first.
        options.MaxMimeDepth = limits.MaxDepth + 2;
        options.RespectContentLength = false;
        return options;
    }

    private static MalformedMessageException Malformed(string format, params object[] args) =>
        new(string.Format(CultureInfo.InvariantCulture, format, args));

    private void Begin(EntityKind kind, ContentType type, long beginOffset)
    {
        if (++entities > limits.MaxEntities)
        {
            throw Malformed("the message has more than the limit of {0:N0} MIME entities", limits.MaxEntities);
        }

        if (frames.Count + 1 > limits.MaxDepth)
        {
            throw Malformed("MIME entities are nested deeper than the limit of {0} levels (at byte {1})", limits.MaxDepth, beginOffset);
        }

        var parent = frames.Count > 0 ? frames.Peek() : null;
        var frame = new Frame(kind, foreignDepth > 0);
        var index = 0;
        if (parent is not null)
        {
            index = parent.Children++;
        }

        if (pending is not null)
        {
            pending.Type = type;
            frame.Selected = pending;
            if (Safe is null)
            {
                Safe = pending;
                if (parent is not null && parent.IsRelated && IsRelatedRoot(parent, index, pending.ContentId))
                {
                    relatedParent = parent;
                }
            }
            else
            {
                RelatedParts.Add(pending);
            }

            pending = null;
        }

        if (kind == EntityKind.Multipart)
        {
            if (!frame.Foreign && string.IsNullOrEmpty(type.Boundary))
            {
                throw Malformed("{0} at byte {1} has no boundary parameter", type.MimeType, beginOffset);
            }

            // The parser compares every line with every open boundary; a boundary line cannot exceed an SMTP line.
            if (type.Boundary is { Length: > MaxBoundaryLength })
            {
                throw Malformed("{0} at byte {1} has a boundary longer than {2} characters", type.MimeType, beginOffset, MaxBoundaryLength);
            }

            frame.IsRelated = type.IsMimeType("multipart", "related");
            frame.Begin = beginOffset;
            frame.MimeType = type.MimeType;
            if (frame.IsRelated && type.Parameters.TryGetValue("start", out string? start))
            {
                frame.RelatedStart = NormalizeId(start);
            }
        }
        else if (kind == EntityKind.MessagePart)
        {
            foreignDepth++;
        }

        frames.Push(frame);
    }

    private void End(EntityKind kind, long endOffset)
    {
        if (frames.Count == 0)
        {
            throw new InvalidOperationException("Unbalanced MIME entity callbacks.");
        }

        var frame = frames.Pop();
        if (kind == EntityKind.MessagePart)
        {
            foreignDepth--;
        }

        if (frame.Selected is not null)
        {
            input.StopRecording(frame.Selected.Body, endOffset);
        }

        if (kind == EntityKind.Multipart && !frame.Foreign && frame.Children == 0)
        {
            throw Malformed("{0} at byte {1} has no body parts: its boundary never occurs", frame.MimeType!, frame.Begin);
        }

        if (ReferenceEquals(frame, relatedParent))
        {
            relatedParent = null;
        }
    }

    private static bool IsRelatedRoot(Frame related, int index, string? contentId) =>
        related.RelatedStart is null ? index == 0 : string.Equals(related.RelatedStart, contentId, StringComparison.Ordinal);

    private enum EntityKind
    {
        Leaf,
        Multipart,
        MessagePart,
    }

    private sealed class Frame
    {
        public Frame(EntityKind kind, bool foreign)
        {
            Kind = kind;
            Foreign = foreign;
        }

        public EntityKind Kind { get; }

        public bool Foreign { get; }

        public int Children { get; set; }

        public bool IsRelated { get; set; }

        public string? RelatedStart { get; set; }

        public long Begin { get; set; }

        public string? MimeType { get; set; }

        public SelectedEntity? Selected { get; set; }
    }
}

/// <summary>An entity chosen for the output: its content header fields (raw, in order) and its body's input range.</summary>
internal sealed class SelectedEntity
{
    public SelectedEntity(List<Header> headers, long beginOffset, string? contentId, Recording body)
    {
        Headers = headers;
        BeginOffset = beginOffset;
        ContentId = contentId;
        Body = body;
    }

    /// <summary>Gets the entity's <c>Content-*</c> fields (except Content-Length) and its marker, as read.</summary>
    public List<Header> Headers { get; }

    public long BeginOffset { get; }

    public string? ContentId { get; }

    public Recording Body { get; }

    /// <summary>Gets or sets the entity's effective content type, as the parser read it (defaults applied).</summary>
    public ContentType? Type { get; set; }
}
