using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Protocol;
using MimeKit;

namespace LinkSecure.Core.Downgrade;

/// <summary>
/// Builds the output of a downgrade from what <see cref="MessageScanner"/> found. Only three kinds of bytes can reach
/// the output: top-level fields on the keep-list (raw), fields this class generates, and the recorded bytes of the
/// selected entities (with their own content fields). Nothing else from the input is ever copied.
/// </summary>
internal static class DowngradeComposer
{
    internal const string RelatedBoundaryStem = "=_LinkSecure_related_";
    internal const string NoticeBoundary = "=_LinkSecure_notice";

    /// <summary>Plans the downgraded message: kept fields, trace, the safe part (or a rebuilt multipart/related).</summary>
    public static OutputPlan ComposeSafePart(MessageScanner scan, DowngradeContext context, out string summary)
    {
        var safe = scan.Safe!;
        var plan = new OutputPlan(scan.NewLine);
        AddMessageHeaders(plan, scan, context, subjectOverride: null);

        var mimeType = safe.Type?.MimeType ?? "text/plain";
        if (scan.RelatedParts.Count == 0)
        {
            AddEntityHeaders(plan, safe);
            plan.AddNewLine();
            plan.AddRecording(safe.Body);
            summary = string.Format(CultureInfo.InvariantCulture, "kept the safe part {0} (entity at byte {1}, {2:N0} body bytes)", mimeType, safe.BeginOffset, safe.Body.Length);
        }
        else
        {
            var parts = new List<SelectedEntity> { safe };
            parts.AddRange(scan.RelatedParts);
            var boundary = ChooseBoundary(parts);
            plan.AddLine("Content-Type: multipart/related; type=\"" + QuoteSafe(mimeType) + "\";");
            plan.AddLine("\tboundary=\"" + boundary + "\"");
            plan.AddNewLine();
            foreach (var part in parts)
            {
                plan.AddLine("--" + boundary);
                AddEntityHeaders(plan, part);
                plan.AddNewLine();
                plan.AddRecording(part.Body);
                plan.AddNewLine();
            }

            plan.AddLine("--" + boundary + "--");
            summary = string.Format(CultureInfo.InvariantCulture, "kept the safe part {0} (entity at byte {1}) with {2} marked related part(s) in a new multipart/related", mimeType, safe.BeginOffset, scan.RelatedParts.Count);
        }

        return plan;
    }

    /// <summary>Plans the administrator's notice: kept fields, trace, the rendered text and/or HTML.</summary>
    public static OutputPlan ComposeNotice(MessageScanner scan, DowngradeContext context, NoticeSettings notice)
    {
        var template = notice.Template;
        var values = ExtractValues(scan, context);
        var plan = new OutputPlan(scan.NewLine);
        AddMessageHeaders(plan, scan, context, template.HasSubject ? template.RenderSubject(values) : null);

        var text = template.RenderText(values);
        var html = template.RenderHtml(values);
        MimeEntity body;
        if (text is not null && html is not null)
        {
            body = new MultipartAlternative(CreateTextPart("plain", text), CreateTextPart("html", html)) { Boundary = NoticeBoundary };
        }
        else
        {
            body = html is not null ? CreateTextPart("html", html) : CreateTextPart("plain", text!);
        }

        plan.AddEntity(body);
        return plan;
    }

    /// <summary>The values a notice may show; taken only from kept fields, <c>Link-Security-Subject</c> and the context.</summary>
    internal static NoticeValues ExtractValues(MessageScanner scan, DowngradeContext context)
    {
        var from = Find(scan.TopHeaders, "From");
        string sender = string.Empty, senderAddress = string.Empty;
        if (from is not null)
        {
            if (InternetAddressList.TryParse(ParserOptions.Default, from.RawValue, out var list)
                && list.Mailboxes.FirstOrDefault() is { } mailbox)
            {
                senderAddress = NoticeTemplate.Sanitize(mailbox.Address);
                var name = NoticeTemplate.Sanitize(mailbox.Name);
                sender = name.Length > 0 ? NoticeTemplate.Sanitize(name + " <" + senderAddress + ">") : senderAddress;
            }
            else
            {
                sender = NoticeTemplate.Sanitize(from.Value);
            }
        }

        var messageId = Find(scan.TopHeaders, "Message-ID");
        var date = Find(scan.TopHeaders, "Date");
        return new NoticeValues
        {
            Sender = sender,
            SenderAddress = senderAddress,
            SafeSubject = scan.SubjectReplacement is null ? string.Empty : NoticeTemplate.Sanitize(scan.SubjectReplacement.Value),
            MessageId = messageId is null ? string.Empty : NoticeTemplate.Sanitize(MessageScanner.NormalizeId(messageId.Value)),
            Date = date is null ? string.Empty : NoticeTemplate.Sanitize(date.Value),
            Reason = context.Reason,
        };
    }

    /// <summary>Picks <c>=_LinkSecure_related_N_</c> with the smallest N such that no line of any enclosed part starts
    /// with <c>--</c> and the boundary (so neither an exact nor a prefix-matching parser can see it inside a part).</summary>
    internal static string ChooseBoundary(IReadOnlyList<SelectedEntity> parts)
    {
        var seen = new List<string>();
        foreach (var part in parts)
        {
            if (part.Body.Lines.Overflowed)
            {
                throw new MalformedMessageException("the marked related parts contain too many lines that look like boundaries this product generates");
            }

            seen.AddRange(part.Body.Lines.Suffixes);
        }

        var prefix = BoundaryLineCollector.Prefix.Substring(2);
        for (var n = 0; ; n++)
        {
            var candidate = RelatedBoundaryStem + n.ToString(CultureInfo.InvariantCulture) + "_";
            var tail = candidate.Substring(prefix.Length);
            if (!seen.Any(line => line.StartsWith(tail, StringComparison.Ordinal)))
            {
                return candidate;
            }
        }
    }

    private static void AddMessageHeaders(OutputPlan plan, MessageScanner scan, DowngradeContext context, string? subjectOverride)
    {
        byte[]? replacement = null;
        if (subjectOverride is not null)
        {
            var header = new Header("Subject", string.Empty);
            header.SetValue(plan.Format, Encoding.UTF8, subjectOverride);
            replacement = header.RawValue;
        }
        else if (scan.SubjectReplacement is not null)
        {
            replacement = scan.SubjectReplacement.RawValue;
        }

        var subjectName = Encoding.ASCII.GetBytes("Subject");
        var subjectWritten = false;
        var hasMimeVersion = false;
        foreach (var header in scan.TopHeaders)
        {
            if (replacement is not null && string.Equals(header.Field, "Subject", StringComparison.OrdinalIgnoreCase))
            {
                if (!subjectWritten)
                {
                    plan.AddRawHeader(subjectName, replacement);
                    subjectWritten = true;
                }

                continue;
            }

            hasMimeVersion |= string.Equals(header.Field, "MIME-Version", StringComparison.OrdinalIgnoreCase);
            plan.AddRawHeader(header);
        }

        if (replacement is not null && !subjectWritten)
        {
            plan.AddRawHeader(subjectName, replacement);
        }

        plan.AddEncodedHeader(HeaderNames.LinkSecurityDowngraded, context.Reason);
        if (!hasMimeVersion)
        {
            plan.AddLine("MIME-Version: 1.0");
        }
    }

    /// <summary>Writes the entity's own content fields (first of each name) and its marker.</summary>
    private static void AddEntityHeaders(OutputPlan plan, SelectedEntity entity)
    {
        var written = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in entity.Headers)
        {
            if (written.Add(header.Field))
            {
                plan.AddRawHeader(header);
            }
        }

        // Without a Content-Type the entity's type was a default of its position (message/rfc822 inside
        // multipart/digest); at the top it would read as text/plain, so say it.
        var type = entity.Type;
        if (!written.Contains("Content-Type") && type is not null && !type.IsMimeType("text", "plain"))
        {
            plan.AddLine("Content-Type: " + QuoteSafe(type.MimeType));
        }
    }

    private static Header? Find(List<Header> headers, string name)
    {
        foreach (var header in headers)
        {
            if (string.Equals(header.Field, name, StringComparison.OrdinalIgnoreCase))
            {
                return header;
            }
        }

        return null;
    }

    private static TextPart CreateTextPart(string subtype, string text)
    {
        var part = new TextPart(subtype) { ContentTransferEncoding = ContentEncoding.QuotedPrintable };
        part.SetText(Encoding.UTF8, text);
        return part;
    }

    /// <summary>Keeps only token characters of a media type (it came from a parsed field, but is written into a quoted
    /// parameter).</summary>
    private static string QuoteSafe(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (c > 32 && c < 127 && c != '"' && c != '\\' && c != ';')
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
