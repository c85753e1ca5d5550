using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace LinkSecure.Core.Tests.Downgrade;

/// <summary>
/// Generates random MIME messages for the downgrade property test, together with the expected result computed by an
/// oracle that implements the safe-part rules independently of the product code. Every non-safe place (top-level
/// fields off the keep-list, the original Subject when Link-Security-Subject is present, bodies, filenames,
/// Content-Description, Content-ID and extra fields of dropped entities, preambles and epilogues of dropped multiparts,
/// attached messages) carries a unique canary string.
/// </summary>
internal sealed class MimeTreeGenerator
{
    private static readonly string[] Words = { "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima", "mike" };

    private readonly Random random;
    private readonly string nl;
    private readonly List<string> canaries = new();
    private int counter;

    public MimeTreeGenerator(int seed)
    {
        random = new Random(seed);
        nl = random.Next(10) == 0 ? "\n" : "\r\n";
    }

    public string NewLine => nl;

    public static bool IsSafeMarkerOnly(GenNode node) => node.Marked && !node.ConflictingMarker;

    /// <summary>Generates one case.</summary>
    public GeneratedCase Generate()
    {
        // 1. Structure and markers.
        var root = NewNode(depth: 0, parent: null, foreign: false);
        if (random.Next(6) == 0)
        {
            // Sometimes no marker in the message's own tree at all.
            foreach (var node in OwnTree(root))
            {
                node.Marked = false;
            }
        }

        // 2. Oracle: which entities reach the output.
        var selected = Oracle(root);
        foreach (var node in selected)
        {
            foreach (var inner in Subtree(node))
            {
                inner.Safe = true;
            }
        }

        // 3. Top-level fields.
        var hasSafeSubject = random.Next(2) == 0;
        var extraKeep = random.Next(3) == 0 ? "X-Keep-Ticket" : null;
        var messageHeaders = new List<(string Name, string Raw)>();
        var kept = new List<(string Name, string Raw)>();
        string? safeSubjectRaw = hasSafeSubject ? " Safe subject " + Token() + nl : null;

        void AddKept(string name, string raw)
        {
            messageHeaders.Add((name, raw));
            kept.Add((name, raw));
        }

        var fields = new List<Action>
        {
            () => AddKept("From", " " + (random.Next(4) == 0 ? "Jürgen Müller" : "Sender " + Word()) + " <sender" + Next() + "@contoso.example>" + nl),
            () => AddKept("To", " Alice <alice@example.com>," + nl + "\tbob" + Next() + "@example.org" + nl),
            () => AddKept("Date", " Sat, 28 Nov 2026 09:30:00 +0000" + nl),
            () => AddKept("Message-ID", " <m" + Next() + "." + random.Next().ToString(CultureInfo.InvariantCulture) + "@contoso.example>" + nl),
        };

        if (random.Next(2) == 0)
        {
            fields.Add(() => AddKept("Cc", " carol@example.net" + nl));
        }

        if (random.Next(3) == 0)
        {
            fields.Add(() => AddKept("Reply-To", " replies@contoso.example" + nl));
        }

        if (random.Next(4) == 0)
        {
            fields.Add(() => AddKept("Sender", " relay@contoso.example" + nl));
        }

        if (random.Next(3) == 0)
        {
            fields.Add(() => AddKept("In-Reply-To", " <prev" + Next() + "@contoso.example>" + nl));
            fields.Add(() => AddKept("References", " <first@contoso.example>" + nl + " <prev@contoso.example>" + nl));
        }

        if (random.Next(4) != 0)
        {
            fields.Add(() => AddKept("MIME-Version", " 1.0" + nl));
        }

        fields.Add(() => AddKept("Link-Security", " level=2; fallback=safe-part" + nl));
        for (var i = random.Next(4); i > 0; i--)
        {
            fields.Add(() => AddKept("Received", " from hop" + Next() + ".contoso.example (192.0.2.1)" + nl + "\tby mx.contoso.example; Sat, 28 Nov 2026 09:30:0" + random.Next(10) + " +0000" + nl));
        }

        if (random.Next(3) == 0)
        {
            fields.Add(() => AddKept("Return-Path", " <bounces@contoso.example>" + nl));
        }

        if (extraKeep is not null)
        {
            fields.Add(() => AddKept(extraKeep, " T-" + Next() + nl));
        }

        // The Subject is kept unless Link-Security-Subject replaces it; then it is confidential.
        var subjectCount = random.Next(8) == 0 ? 2 : random.Next(6) == 0 ? 0 : 1;
        for (var i = 0; i < subjectCount; i++)
        {
            fields.Add(() =>
            {
                if (hasSafeSubject)
                {
                    messageHeaders.Add(("Subject", " Confidential " + Canary() + nl));
                }
                else
                {
                    AddKept("Subject", " Subject " + Word() + nl);
                }
            });
        }

        if (hasSafeSubject)
        {
            fields.Add(() => messageHeaders.Add(("Link-Security-Subject", safeSubjectRaw!)));
        }

        // Fields off the keep-list: each may carry content.
        fields.Add(() => messageHeaders.Add(("DKIM-Signature", " v=1; a=rsa-sha256; d=contoso.example; s=s1;" + nl + "\tbh=" + Canary() + "; b=" + Canary() + nl)));
        fields.Add(() => messageHeaders.Add(("X-Mailer", " Mailer " + Canary() + nl)));
        if (random.Next(2) == 0)
        {
            fields.Add(() => messageHeaders.Add(("ARC-Seal", " i=1; cv=none; b=" + Canary() + nl)));
            fields.Add(() => messageHeaders.Add(("ARC-Message-Signature", " i=1; b=" + Canary() + nl)));
        }

        if (random.Next(2) == 0)
        {
            fields.Add(() => messageHeaders.Add(("Thread-Topic", " " + Canary() + nl)));
            fields.Add(() => messageHeaders.Add(("X-MS-Exchange-Organization-Note", " " + Canary() + nl)));
        }

        if (random.Next(3) == 0)
        {
            fields.Add(() => messageHeaders.Add(("Bcc", " hidden-" + Canary() + "@example.com" + nl)));
            fields.Add(() => messageHeaders.Add(("Comments", " " + Canary() + nl)));
        }

        foreach (var add in fields.OrderBy(_ => random.Next()))
        {
            add();
        }

        // Expected kept fields: in order, the first Subject replaced by Link-Security-Subject (or added at the end).
        var expectedKept = new List<string>();
        foreach (var (name, raw) in messageHeaders)
        {
            if (name == "Subject" && hasSafeSubject)
            {
                if (!expectedKept.Any(k => k.StartsWith("Subject:", StringComparison.Ordinal)))
                {
                    expectedKept.Add("Subject:" + safeSubjectRaw);
                }

                continue;
            }

            if (kept.Contains((name, raw)))
            {
                expectedKept.Add(name + ":" + raw);
            }
        }

        if (hasSafeSubject && !expectedKept.Any(k => k.StartsWith("Subject:", StringComparison.Ordinal)))
        {
            expectedKept.Add("Subject:" + safeSubjectRaw);
        }

        // 4. Render.
        var builder = new StringBuilder();
        foreach (var (name, raw) in messageHeaders)
        {
            builder.Append(name).Append(':').Append(raw);
        }

        RenderEntity(builder, root, isTop: true);
        return new GeneratedCase(
            Encoding.UTF8.GetBytes(builder.ToString()),
            canaries.ToList(),
            selected,
            expectedKept,
            messageHeaders.Any(h => h.Name == "MIME-Version"),
            extraKeep,
            nl);
    }

    internal static IEnumerable<GenNode> OwnTree(GenNode node)
    {
        yield return node;
        if (node is GenMultipart multipart)
        {
            foreach (var child in multipart.Children)
            {
                foreach (var inner in OwnTree(child))
                {
                    yield return inner;
                }
            }
        }
    }

    internal static IEnumerable<GenNode> Subtree(GenNode node)
    {
        yield return node;
        IEnumerable<GenNode> children = node switch
        {
            GenMultipart multipart => multipart.Children,
            GenMessage message => new[] { message.Root },
            _ => Array.Empty<GenNode>(),
        };
        foreach (var child in children)
        {
            foreach (var inner in Subtree(child))
            {
                yield return inner;
            }
        }
    }

    /// <summary>The rules, written independently: the first marked entity of the own tree in document order; if it is
    /// the root of a multipart/related, the later marked siblings too.</summary>
    internal static List<GenNode> Oracle(GenNode root)
    {
        var first = OwnTree(root).FirstOrDefault(IsSafeMarkerOnly);
        if (first is null)
        {
            return new List<GenNode>();
        }

        var result = new List<GenNode> { first };
        if (first.Parent is { Subtype: "related" } related)
        {
            var index = related.Children.IndexOf(first);
            var isRoot = related.StartCid is null ? index == 0 : related.StartCid == first.ContentId;
            if (isRoot)
            {
                result.AddRange(related.Children.Skip(index + 1).Where(IsSafeMarkerOnly));
            }
        }

        return result;
    }

    /// <summary>Expected decoded contents of the output's leaves, in document order (into attached messages too).</summary>
    internal static List<byte[]> Leaves(IEnumerable<GenNode> nodes) =>
        nodes.SelectMany(Subtree).OfType<GenLeaf>().Select(leaf => leaf.Decoded).ToList();

    private GenNode NewNode(int depth, GenMultipart? parent, bool foreign)
    {
        var roll = random.Next(100);
        GenNode node;
        if (depth < 4 && (roll < 30 || (depth == 0 && roll < 75)))
        {
            var subtypes = new[] { "mixed", "mixed", "alternative", "related", "related", "signed" };
            var multipart = new GenMultipart(subtypes[random.Next(subtypes.Length)], "b" + Next() + "_" + random.Next(100000).ToString("x", CultureInfo.InvariantCulture));
            var count = multipart.Subtype == "signed" ? 2 : 1 + random.Next(4);
            for (var i = 0; i < count; i++)
            {
                var child = multipart.Subtype == "signed" && i == 1 ? NewLeaf("application", "pkcs7-signature") : NewNode(depth + 1, multipart, foreign);
                child.Parent = multipart;
                multipart.Children.Add(child);
            }

            if (multipart.Subtype == "related")
            {
                foreach (var child in multipart.Children)
                {
                    child.ContentId = "cid" + Next() + "@gen.example";
                }

                var rootIndex = 0;
                if (random.Next(3) == 0)
                {
                    rootIndex = random.Next(multipart.Children.Count);
                    multipart.StartCid = multipart.Children[rootIndex].ContentId;
                }

                // Often: the root (an HTML page) marked, with some of its images marked too.
                if (!foreign && random.Next(2) == 0)
                {
                    for (var i = 0; i < multipart.Children.Count; i++)
                    {
                        var child = multipart.Children[i];
                        child.Marked = i == rootIndex || random.Next(2) == 0;
                        child.ConflictingMarker = child.Marked && i != rootIndex && random.Next(10) == 0;
                    }
                }
            }

            multipart.HasPreamble = random.Next(2) == 0;
            multipart.HasEpilogue = random.Next(2) == 0;
            node = multipart;
        }
        else if (depth is > 0 and < 4 && roll < 42)
        {
            // An attached message: its own tree is foreign; markers inside are ignored.
            var inner = NewNode(depth + 1, null, foreign: true);
            foreach (var n in OwnTree(inner))
            {
                n.Marked = random.Next(3) == 0;
            }

            node = new GenMessage(inner);
        }
        else
        {
            node = NewLeaf(null, null);
        }

        node.Parent = parent;
        if (!foreign)
        {
            node.Marked = random.Next(4) == 0;
            node.ConflictingMarker = node.Marked && random.Next(12) == 0;
        }

        return node;
    }

    private GenLeaf NewLeaf(string? type, string? subtype)
    {
        if (type is null)
        {
            (type, subtype) = random.Next(5) switch
            {
                0 => ("text", "plain"),
                1 => ("text", "html"),
                2 => ("application", "pdf"),
                3 => ("image", "png"),
                _ => ("text", "plain"),
            };
        }

        var encoding = (type, random.Next(3)) switch
        {
            ("text", 0) => "quoted-printable",
            ("text", 1) => "8bit",
            ("text", _) => "7bit",
            _ => "base64",
        };
        return new GenLeaf(type, subtype!, encoding) { HasFileName = type != "text" || random.Next(4) == 0 };
    }

    private void RenderEntity(StringBuilder b, GenNode node, bool isTop)
    {
        string Secret(string label) => node.Safe ? label + " " + Token() : label + " " + Canary();

        // Content fields first, then the optional extras; all in the entity's header block.
        switch (node)
        {
            case GenMultipart multipart:
                b.Append("Content-Type: multipart/").Append(multipart.Subtype).Append(';').Append(nl)
                    .Append("\tboundary=\"").Append(multipart.Boundary).Append('"');
                if (multipart.Subtype == "related")
                {
                    b.Append("; type=\"text/html\"");
                    if (multipart.StartCid is not null)
                    {
                        b.Append("; start=\"<").Append(multipart.StartCid).Append(">\"");
                    }
                }
                else if (multipart.Subtype == "signed")
                {
                    b.Append("; protocol=\"application/pkcs7-signature\"; micalg=sha-256");
                }

                b.Append(nl);
                break;
            case GenMessage:
                b.Append("Content-Type: message/rfc822").Append(nl);
                break;
            case GenLeaf leaf:
                b.Append("Content-Type: ").Append(leaf.Type).Append('/').Append(leaf.Subtype);
                if (leaf.Type == "text")
                {
                    b.Append("; charset=utf-8");
                }

                if (leaf.HasFileName)
                {
                    b.Append("; name=\"").Append(Secret("file")).Append(".bin\"");
                }

                b.Append(nl).Append("Content-Transfer-Encoding: ").Append(leaf.Encoding).Append(nl);
                if (leaf.HasFileName)
                {
                    b.Append("Content-Disposition: attachment;").Append(nl).Append("\tfilename=\"").Append(Secret("file")).Append(".bin\"").Append(nl);
                }

                break;
        }

        if (node.ContentId is not null)
        {
            b.Append("Content-ID: <").Append(node.ContentId).Append('>').Append(nl);
        }
        else if (random.Next(4) == 0)
        {
            b.Append("Content-ID: <").Append(Secret("id").Replace(' ', '.')).Append("@gen.example>").Append(nl);
        }

        if (random.Next(3) == 0)
        {
            b.Append("Content-Description: ").Append(Secret("description")).Append(nl);
        }

        if (random.Next(3) == 0)
        {
            b.Append("X-Part-Note: ").Append(Secret("note")).Append(nl);
        }

        if (node.Marked)
        {
            b.Append("Link-Security-Part: ").Append(random.Next(4) == 0 ? "SAFE" : "safe").Append(nl);
            if (node.ConflictingMarker)
            {
                b.Append("Link-Security-Part: confidential").Append(nl);
            }
        }

        b.Append(nl);

        switch (node)
        {
            case GenMultipart multipart:
                if (multipart.HasPreamble)
                {
                    b.Append(Secret("preamble")).Append(nl);
                }

                foreach (var child in multipart.Children)
                {
                    b.Append("--").Append(multipart.Boundary).Append(nl);
                    RenderEntity(b, child, isTop: false);
                    b.Append(nl);
                }

                b.Append("--").Append(multipart.Boundary).Append("--");
                if (multipart.HasEpilogue)
                {
                    b.Append(nl).Append(Secret("epilogue"));
                }
                else if (isTop)
                {
                    b.Append(nl);
                }

                break;
            case GenMessage message:
                b.Append("From: inner").Append(Next()).Append("@example.net").Append(nl)
                    .Append("Subject: ").Append(Secret("inner subject")).Append(nl)
                    .Append("X-Inner: ").Append(Secret("inner field")).Append(nl);
                message.Root.Safe = node.Safe;
                foreach (var inner in Subtree(message.Root))
                {
                    inner.Safe = node.Safe;
                }

                RenderEntity(b, message.Root, isTop: false);
                break;
            case GenLeaf leaf:
                RenderLeafBody(b, leaf);
                break;
        }
    }

    private void RenderLeafBody(StringBuilder b, GenLeaf leaf)
    {
        var secret = leaf.Safe ? Token() : Canary();
        if (leaf.Type == "text")
        {
            var lines = new List<string>();
            var count = random.Next(5);
            for (var i = 0; i < count; i++)
            {
                lines.Add(string.Join(" ", Enumerable.Range(0, 1 + random.Next(12)).Select(_ => Word())));
            }

            lines.Insert(random.Next(lines.Count + 1), (leaf.Subtype == "html" ? "<p class=\"x\">" : string.Empty) + (leaf.Encoding == "8bit" ? "Grüße " : "content ") + secret + (leaf.Subtype == "html" ? "</p>" : string.Empty));
            var text = string.Join(nl, lines) + (random.Next(2) == 0 ? nl : string.Empty);
            leaf.Decoded = Encoding.UTF8.GetBytes(text);
            b.Append(leaf.Encoding == "quoted-printable" ? QuotedPrintable(text) : text);
            return;
        }

        var bytes = new byte[random.Next(300)];
        random.NextBytes(bytes);
        var marker = Encoding.ASCII.GetBytes(secret);
        var data = bytes.Take(bytes.Length / 2).Concat(marker).Concat(bytes.Skip(bytes.Length / 2)).ToArray();
        leaf.Decoded = data;
        var encoded = Convert.ToBase64String(data);
        var wrapped = string.Join(nl, Enumerable.Range(0, (encoded.Length + 75) / 76).Select(i => encoded.Substring(i * 76, Math.Min(76, encoded.Length - (i * 76)))));
        b.Append(wrapped);
        if (random.Next(2) == 0)
        {
            b.Append(nl);
        }
    }

    /// <summary>A quoted-printable encoder for UTF-8 text, keeping the text's line breaks as hard breaks.</summary>
    private string QuotedPrintable(string text)
    {
        var result = new StringBuilder();
        var lines = text.Split(new[] { nl }, StringSplitOptions.None);
        for (var l = 0; l < lines.Length; l++)
        {
            var bytes = Encoding.UTF8.GetBytes(lines[l]);
            var column = 0;
            for (var i = 0; i < bytes.Length; i++)
            {
                var c = bytes[i];
                var last = i == bytes.Length - 1;
                var piece = (c == (byte)'=' || c > 126 || (c < 32 && c != (byte)'\t') || (last && (c == (byte)' ' || c == (byte)'\t')))
                    ? "=" + c.ToString("X2", CultureInfo.InvariantCulture)
                    : ((char)c).ToString();
                if (column + piece.Length > 75)
                {
                    result.Append('=').Append(nl);
                    column = 0;
                }

                result.Append(piece);
                column += piece.Length;
            }

            if (l < lines.Length - 1)
            {
                result.Append(nl);
            }
        }

        return result.ToString();
    }

    private string Word() => Words[random.Next(Words.Length)];

    private string Next() => (++counter).ToString(CultureInfo.InvariantCulture);

    private string Canary()
    {
        var canary = "CNRY" + Next() + "Q" + random.Next(0x1000000).ToString("X6", CultureInfo.InvariantCulture) + "Z";
        canaries.Add(canary);
        return canary;
    }

    private string Token() => "SAFE" + Next() + "T" + random.Next(0x10000).ToString("X4", CultureInfo.InvariantCulture);
}

internal abstract class GenNode
{
    public GenMultipart? Parent { get; set; }

    public bool Marked { get; set; }

    public bool ConflictingMarker { get; set; }

    public bool Safe { get; set; }

    public string? ContentId { get; set; }
}

internal sealed class GenLeaf : GenNode
{
    public GenLeaf(string type, string subtype, string encoding)
    {
        Type = type;
        Subtype = subtype;
        Encoding = encoding;
    }

    public string Type { get; }

    public string Subtype { get; }

    public string Encoding { get; }

    public bool HasFileName { get; set; }

    public byte[] Decoded { get; set; } = Array.Empty<byte>();
}

internal sealed class GenMultipart : GenNode
{
    public GenMultipart(string subtype, string boundary)
    {
        Subtype = subtype;
        Boundary = boundary;
    }

    public string Subtype { get; }

    public string Boundary { get; }

    public List<GenNode> Children { get; } = new();

    public string? StartCid { get; set; }

    public bool HasPreamble { get; set; }

    public bool HasEpilogue { get; set; }
}

internal sealed class GenMessage : GenNode
{
    public GenMessage(GenNode root) => Root = root;

    public GenNode Root { get; }
}

internal sealed record GeneratedCase(
    byte[] Message,
    IReadOnlyList<string> Canaries,
    IReadOnlyList<GenNode> Selected,
    IReadOnlyList<string> ExpectedKept,
    bool HadMimeVersion,
    string? ExtraKeepHeader,
    string NewLine);
