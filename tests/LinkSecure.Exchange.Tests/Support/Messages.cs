using System.IO;
using System.Text;
using MimeKit;

namespace LinkSecure.Exchange.Tests.Support;

/// <summary>Builds test messages as RFC 5322 bytes.</summary>
internal static class Messages
{
    private static int counter;

    /// <summary>A message; by default submitted inside the organisation (<c>X-MS-Exchange-Organization-AuthAs: Internal</c>),
    /// so that its request and waiver fields count. <paramref name="authAs"/> <see langword="null"/> leaves the field out.</summary>
    public static byte[] Create(string? linkSecurity = null, bool withSafePart = false, string? extraHeader = null, string? extraValue = null, string subject = "Quarterly figures", string? authAs = "Internal", string? from = null)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from ?? "alice@contoso.example"));
        message.To.Add(MailboxAddress.Parse("bob@partner.example"));
        message.Subject = subject;
        message.MessageId = $"m{System.Threading.Interlocked.Increment(ref counter)}@contoso.example";
        if (authAs is not null)
        {
            message.Headers.Add("X-MS-Exchange-Organization-AuthAs", authAs);
        }

        if (linkSecurity is not null)
        {
            message.Headers.Add("Link-Security", linkSecurity);
        }

        if (extraHeader is not null)
        {
            message.Headers.Add(extraHeader, extraValue ?? string.Empty);
        }

        var secret = new TextPart("plain") { Text = "Confidential: the figures are attached." };
        if (withSafePart)
        {
            var safe = new TextPart("plain") { Text = "You have a message waiting in the secure portal." };
            safe.Headers.Add("Link-Security-Part", "safe");
            message.Body = new Multipart("mixed") { safe, secret };
        }
        else
        {
            message.Body = secret;
        }

        using var stream = new MemoryStream();
        message.WriteTo(stream);
        return stream.ToArray();
    }

    public static string Text(byte[] mime) => Encoding.UTF8.GetString(mime);

    /// <summary>Adds one more top-level header field (after the others; an existing field of that name stays).</summary>
    public static byte[] WithHeader(byte[] mime, string name, string value)
    {
        var message = MimeMessage.Load(new MemoryStream(mime));
        message.Headers.Add(name, value);
        using var stream = new MemoryStream();
        message.WriteTo(stream);
        return stream.ToArray();
    }
}
