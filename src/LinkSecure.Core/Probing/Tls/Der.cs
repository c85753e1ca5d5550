using System;
using System.Collections.Generic;
using System.Text;

namespace LinkSecure.Core.Probing;

/// <summary>
/// The few DER (X.690) walks the probe needs where netstandard2.0 has no API: the DNS names of a subjectAltName
/// extension (RFC 5280 §4.2.1.6) and a certificate's SubjectPublicKeyInfo (RFC 5280 §4.1). Malformed input yields
/// nothing rather than an exception.
/// </summary>
internal static class Der
{
    /// <summary>The <c>dNSName [2] IA5String</c> entries of a GeneralNames sequence.</summary>
    public static IReadOnlyList<string> SubjectAltNameDnsNames(byte[] extensionValue)
    {
        var names = new List<string>();
        if (!TryRead(extensionValue, 0, out var tag, out var contentStart, out var contentLength, out _) || tag != 0x30)
        {
            return names;
        }

        var offset = contentStart;
        var end = contentStart + contentLength;
        while (offset < end && TryRead(extensionValue, offset, out var itemTag, out var itemStart, out var itemLength, out var next))
        {
            if (itemTag == 0x82)
            {
                names.Add(Encoding.ASCII.GetString(extensionValue, itemStart, itemLength));
            }

            offset = next;
        }

        return names;
    }

    /// <summary>The encoded SubjectPublicKeyInfo inside a certificate, or an empty array when it cannot be found.</summary>
    public static byte[] SubjectPublicKeyInfo(byte[] certificate)
    {
        // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serial, signature, issuer, validity, subject, spki, ... } ... }
        if (!TryRead(certificate, 0, out var tag, out var start, out _, out _) || tag != 0x30
            || !TryRead(certificate, start, out tag, out var tbsStart, out _, out _) || tag != 0x30)
        {
            return Array.Empty<byte>();
        }

        var offset = tbsStart;
        if (TryRead(certificate, offset, out tag, out _, out _, out var afterVersion) && tag == 0xA0)
        {
            offset = afterVersion;
        }

        // Skip serial, signature, issuer, validity, subject.
        for (var i = 0; i < 5; i++)
        {
            if (!TryRead(certificate, offset, out _, out _, out _, out offset))
            {
                return Array.Empty<byte>();
            }
        }

        if (!TryRead(certificate, offset, out tag, out _, out _, out var end) || tag != 0x30)
        {
            return Array.Empty<byte>();
        }

        var spki = new byte[end - offset];
        Buffer.BlockCopy(certificate, offset, spki, 0, spki.Length);
        return spki;
    }

    /// <summary>Reads one TLV header: tag (single byte), where the content starts, its length, and where the next TLV starts.</summary>
    internal static bool TryRead(byte[] data, int offset, out byte tag, out int contentStart, out int contentLength, out int next)
    {
        tag = 0;
        contentStart = 0;
        contentLength = 0;
        next = 0;
        if (offset < 0 || offset + 2 > data.Length)
        {
            return false;
        }

        tag = data[offset];
        var first = data[offset + 1];
        var position = offset + 2;
        if (first < 0x80)
        {
            contentLength = first;
        }
        else
        {
            var count = first & 0x7F;
            if (count == 0 || count > 4 || position + count > data.Length)
            {
                return false;
            }

            long length = 0;
            for (var i = 0; i < count; i++)
            {
                length = (length << 8) | data[position + i];
            }

            if (length > int.MaxValue)
            {
                return false;
            }

            contentLength = (int)length;
            position += count;
        }

        if ((long)position + contentLength > data.Length)
        {
            return false;
        }

        contentStart = position;
        next = position + contentLength;
        return true;
    }
}
