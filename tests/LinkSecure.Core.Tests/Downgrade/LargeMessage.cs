using System;
using System.IO;
using System.Text;

namespace LinkSecure.Core.Tests.Downgrade;

/// <summary>Writes a large realistic message to a file without holding it in memory: a small safe text part, a
/// confidential HTML part, a 20 MB (encoded) PDF and a 4.5 MB (encoded) spreadsheet; about 25 MB in all.</summary>
internal static class LargeMessage
{
    public const string SafeText = "Your documents are ready. Sign in at https://portal.contoso.example to read them.\r\n";

    public static string Write(string path, int attachmentBytes = 20 * 1024 * 1024, int secondAttachmentBytes = 4_500_000)
    {
        var random = new Random(25);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024);
        using var writer = new StreamWriter(file, new UTF8Encoding(false)) { NewLine = "\r\n" };
        writer.Write("Received: from mail.contoso.example by mx.contoso.example; Sat, 28 Nov 2026 09:30:01 +0000\r\n");
        writer.Write("DKIM-Signature: v=1; a=rsa-sha256; d=contoso.example; s=s1; b=SECRETSIG\r\n");
        writer.Write("From: Contoso Reports <reports@contoso.example>\r\nTo: alice@example.com\r\n");
        writer.Write("Subject: Annual report SECRET\r\nLink-Security-Subject: Your documents are ready\r\n");
        writer.Write("Date: Sat, 28 Nov 2026 09:30:00 +0000\r\nMessage-ID: <big@contoso.example>\r\nMIME-Version: 1.0\r\n");
        writer.Write("Link-Security: level=2; fallback=safe-part\r\nContent-Type: multipart/mixed; boundary=\"big-boundary\"\r\n\r\n");
        writer.Write("--big-boundary\r\nContent-Type: text/plain; charset=us-ascii\r\nLink-Security-Part: safe\r\n\r\n" + SafeText + "\r\n");
        writer.Write("--big-boundary\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n");
        for (var i = 0; i < 2000; i++)
        {
            writer.Write("<p>Confidential figure " + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + ": SECRET revenue line with some padding text.</p>\r\n");
        }

        WriteBase64Part(writer, random, "application/pdf", "annual-report-SECRET.pdf", attachmentBytes);
        WriteBase64Part(writer, random, "application/vnd.ms-excel", "figures-SECRET.xls", secondAttachmentBytes);
        writer.Write("\r\n--big-boundary--\r\n");
        return path;
    }

    private static void WriteBase64Part(StreamWriter writer, Random random, string type, string name, int encodedBytes)
    {
        writer.Write("\r\n--big-boundary\r\nContent-Type: " + type + "; name=\"" + name + "\"\r\nContent-Disposition: attachment; filename=\"" + name + "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
        var raw = new byte[57];
        for (var written = 0; written < encodedBytes; written += 78)
        {
            random.NextBytes(raw);
            writer.Write(Convert.ToBase64String(raw));
            writer.Write("\r\n");
        }
    }
}
