using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LinkSecure.Cli.Serve;

/// <summary>Loads the HTTPS server certificate of <c>linksecure serve</c>: a PKCS#12 (.pfx/.p12) or PEM file, or, on
/// Windows, a certificate with a private key from the local machine's Personal store by thumbprint.</summary>
internal static class ServeCertificate
{
    /// <summary>Loads the certificate.</summary>
    /// <param name="file">A .pfx/.p12 file, or a PEM certificate (chain) file; <see langword="null"/> with a thumbprint.</param>
    /// <param name="keyFile">The PEM private key for a PEM certificate; <see langword="null"/> when the key is in
    /// <paramref name="file"/>.</param>
    /// <param name="passwordFile">A file whose first line is the PFX password or the encrypted PEM key's password.</param>
    /// <param name="thumbprint">The thumbprint in the LocalMachine\My store (Windows only).</param>
    /// <param name="now">The current time, to reject an expired certificate.</param>
    /// <returns>The certificate, with its private key.</returns>
    /// <exception cref="UsageException">Nothing given, the file or key cannot be read, no private key, or expired.</exception>
    public static X509Certificate2 Load(FileInfo? file, FileInfo? keyFile, FileInfo? passwordFile, string? thumbprint, DateTimeOffset now)
    {
        if (file is not null && thumbprint is not null)
        {
            throw new UsageException("Give either --certificate or --certificate-store-thumbprint, not both.");
        }

        if (file is null && thumbprint is null)
        {
            throw new UsageException("An https:// --listen address needs --certificate <pfx|pem> (with --certificate-key for a separate PEM key) or, on Windows, --certificate-store-thumbprint.");
        }

        var password = passwordFile is null ? null : ReadPassword(passwordFile);
        var certificate = thumbprint is not null ? FromStore(thumbprint) : FromFile(file!, keyFile, password);
        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new UsageException("The server certificate has no private key (give --certificate-key, or a .pfx that includes the key).");
        }

        if (certificate.NotAfter.ToUniversalTime() < now.UtcDateTime || certificate.NotBefore.ToUniversalTime() > now.UtcDateTime)
        {
            var text = $"The server certificate {certificate.Subject} is valid from {certificate.NotBefore:u} to {certificate.NotAfter:u}, not now; clients would refuse it.";
            certificate.Dispose();
            throw new UsageException(text);
        }

        return certificate;
    }

    private static string ReadPassword(FileInfo file)
    {
        try
        {
            using var reader = file.OpenText();
            return reader.ReadLine() ?? string.Empty;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"Cannot read --certificate-password-file {file.FullName}: {ex.Message}", ex);
        }
    }

    private static X509Certificate2 FromFile(FileInfo file, FileInfo? keyFile, string? password)
    {
        try
        {
            var extension = file.Extension.ToUpperInvariant();
            if (keyFile is null && extension is ".PFX" or ".P12")
            {
                return X509CertificateLoader.LoadPkcs12FromFile(file.FullName, password, KeyFlags());
            }

            using var pem = password is null
                ? X509Certificate2.CreateFromPemFile(file.FullName, keyFile?.FullName)
                : X509Certificate2.CreateFromEncryptedPemFile(file.FullName, password, keyFile?.FullName);

            // SChannel (Windows) cannot use an ephemeral PEM key; a PKCS#12 round trip gives a usable key everywhere.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null, KeyFlags());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new UsageException($"Cannot load the server certificate {file.FullName}{(keyFile is null ? string.Empty : " with key " + keyFile.FullName)}: {ex.Message}", ex);
        }
    }

    private static X509KeyStorageFlags KeyFlags() =>
        RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? X509KeyStorageFlags.DefaultKeySet : X509KeyStorageFlags.EphemeralKeySet;

    private static X509Certificate2 FromStore(string thumbprint)
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            throw new UsageException("--certificate-store-thumbprint works on Windows only; give --certificate with a PFX or PEM file.");
        }

        var wanted = thumbprint.Replace(" ", string.Empty, StringComparison.Ordinal).Replace(":", string.Empty, StringComparison.Ordinal);
        using var store = new X509Store(StoreName.My, StoreLocation.LocalMachine);
        store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
        var found = store.Certificates.Find(X509FindType.FindByThumbprint, wanted, validOnly: false);
        if (found.Count == 0)
        {
            throw new UsageException($"No certificate with thumbprint {wanted} in LocalMachine\\My.");
        }

        return found[0];
    }
}
