using System;
using System.Collections.Generic;
using System.Text.Json;
using LinkSecure.Core.Downgrade;
using LinkSecure.Core.Internal;

namespace LinkSecure.Core.Configuration;

/// <summary>Safe-part downgrade: extra headers to keep and the administrator's notice (JSON section <c>downgrade</c>;
/// docs/downgrade.md).</summary>
public sealed class DowngradeSettings
{
    internal static readonly string[] Properties = { "extraKeepHeaders", "notice" };

    /// <summary>Gets the defaults: the documented keep-list only, no notice template.</summary>
    public static DowngradeSettings Default { get; } = new();

    /// <summary>Gets header names kept in a downgraded copy in addition to the documented keep-list
    /// (<see cref="DowngradeKeepList.Headers"/>).</summary>
    public IReadOnlyList<string> ExtraKeepHeaders { get; private set; } = Array.Empty<string>();

    /// <summary>Gets the notice sent when no part is marked safe; <see langword="null"/> when there is none, and such
    /// messages are bounced.</summary>
    public NoticeSettings? Notice { get; private set; }

    internal static DowngradeSettings Read(JsonDocumentReader reader, JsonElement element, string path)
    {
        if (!reader.ExpectObject(element, path))
        {
            return Default;
        }

        reader.CheckProperties(element, path, Properties);
        var extra = reader.ReadStringArray(element, path, "extraKeepHeaders");
        for (var i = 0; i < extra.Count; i++)
        {
            if (!DowngradeKeepList.CanExtend(extra[i], out var problem))
            {
                reader.Error(JsonDocumentReader.Index(JsonDocumentReader.Child(path, "extraKeepHeaders"), i), problem!);
            }
        }

        NoticeSettings? notice = null;
        if (JsonDocumentReader.TryGet(element, "notice", out var noticeElement))
        {
            notice = ReadNotice(reader, noticeElement, JsonDocumentReader.Child(path, "notice"));
        }

        return new DowngradeSettings { ExtraKeepHeaders = extra, Notice = notice };
    }

    private static NoticeSettings? ReadNotice(JsonDocumentReader reader, JsonElement element, string path)
    {
        if (!reader.ExpectObject(element, path))
        {
            return null;
        }

        reader.CheckProperties(element, path, NoticeSettings.Properties);
        var ok = true;

        var urlRaw = reader.ReadString(element, path, "pickupUrl", null);
        TemplateText? url = null;
        if (urlRaw is not null)
        {
            var urlPath = JsonDocumentReader.Child(path, "pickupUrl");
            if (!TemplateText.TryCompile(urlRaw, allowPickupUrl: false, out url, out var error)
                || !NoticeTemplate.TryValidateUrl(url!, urlRaw, out error))
            {
                reader.Error(urlPath, error!);
                url = null;
                ok = false;
            }
        }

        var subjectRaw = reader.ReadString(element, path, "subject", null);
        var subject = Compile(reader, subjectRaw, JsonDocumentReader.Child(path, "subject"), urlRaw is not null, ref ok);
        var textRaw = ReadMultiLine(reader, element, path, "text");
        var text = Compile(reader, textRaw, JsonDocumentReader.Child(path, "text"), urlRaw is not null, ref ok);
        var htmlRaw = ReadMultiLine(reader, element, path, "html");
        var html = Compile(reader, htmlRaw, JsonDocumentReader.Child(path, "html"), urlRaw is not null, ref ok);

        if (textRaw is null && htmlRaw is null)
        {
            reader.Error(path, "give \"text\", \"html\" or both: the body of the notice");
            return null;
        }

        return ok ? new NoticeSettings(subjectRaw, textRaw, htmlRaw, urlRaw, new NoticeTemplate(subject, text, html, url)) : null;
    }

    private static TemplateText? Compile(JsonDocumentReader reader, string? raw, string path, bool hasUrl, ref bool ok)
    {
        if (raw is null)
        {
            return null;
        }

        if (!TemplateText.TryCompile(raw, allowPickupUrl: true, out var template, out var error))
        {
            reader.Error(path, error!);
            ok = false;
            return null;
        }

        if (!hasUrl && template!.Uses(Placeholder.PickupUrl))
        {
            reader.Error(path, "uses {pickupUrl}, but downgrade.notice.pickupUrl is not set");
            ok = false;
            return null;
        }

        return template;
    }

    /// <summary>Reads a string, or an array of strings joined with line breaks (easier to write in JSON).</summary>
    private static string? ReadMultiLine(JsonDocumentReader reader, JsonElement element, string path, string name)
    {
        if (JsonDocumentReader.TryGet(element, name, out var value) && value.ValueKind == JsonValueKind.Array)
        {
            var lines = new List<string>();
            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String)
                {
                    lines.Add(item.GetString()!);
                }
                else
                {
                    reader.Error(JsonDocumentReader.Index(JsonDocumentReader.Child(path, name), index), $"expected a string (one line), found {JsonDocumentReader.Describe(item)}");
                }

                index++;
            }

            if (lines.Count == 0)
            {
                reader.Error(JsonDocumentReader.Child(path, name), "must not be empty");
                return null;
            }

            return string.Join("\n", lines) + "\n";
        }

        return reader.ReadString(element, path, name, null);
    }
}
