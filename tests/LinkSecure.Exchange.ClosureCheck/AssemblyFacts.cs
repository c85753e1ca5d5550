using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;

namespace LinkSecure.Exchange.ClosureCheck;

/// <summary>An assembly identity as the .NET Framework binder compares it: simple name, version, public key token.</summary>
/// <param name="Name">The simple name.</param>
/// <param name="Version">The assembly version.</param>
/// <param name="Token">The public key token in lower-case hex, or "null" for an unsigned assembly.</param>
internal sealed record AssemblyIdentity(string Name, Version Version, string Token)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name}, Version={Version}, PublicKeyToken={Token}";
}

/// <summary>One managed DLL: where it is, what it is, and what it references.</summary>
/// <param name="Path">The file.</param>
/// <param name="Identity">Its own identity.</param>
/// <param name="References">Its assembly references, in metadata order.</param>
internal sealed record AssemblyFacts(string Path, AssemblyIdentity Identity, IReadOnlyList<AssemblyIdentity> References)
{
    /// <summary>Reads a DLL's identity and references from its metadata, without loading it.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The facts, or <see langword="null"/> when the file is not a managed assembly.</returns>
    public static AssemblyFacts? Read(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        if (!pe.HasMetadata)
        {
            return null;
        }

        var reader = pe.GetMetadataReader();
        if (!reader.IsAssembly)
        {
            return null;
        }

        var definition = reader.GetAssemblyDefinition();
        var identity = new AssemblyIdentity(reader.GetString(definition.Name), definition.Version, TokenOf(reader.GetBlobBytes(definition.PublicKey), isToken: false));
        var references = new List<AssemblyIdentity>();
        foreach (var handle in reader.AssemblyReferences)
        {
            var reference = reader.GetAssemblyReference(handle);
            var isToken = (reference.Flags & System.Reflection.AssemblyFlags.PublicKey) == 0;
            references.Add(new AssemblyIdentity(reader.GetString(reference.Name), reference.Version, TokenOf(reader.GetBlobBytes(reference.PublicKeyOrToken), isToken)));
        }

        return new AssemblyFacts(path, identity, references);
    }

    /// <summary>Reads every managed DLL of a folder (not its subfolders).</summary>
    /// <param name="folder">The folder.</param>
    /// <param name="skipped">Receives the DLLs that are not managed assemblies.</param>
    /// <returns>The assemblies, in file-name order.</returns>
    public static IReadOnlyList<AssemblyFacts> ReadFolder(string folder, ICollection<string> skipped)
    {
        var files = Directory.GetFiles(folder, "*.dll");
        Array.Sort(files, StringComparer.OrdinalIgnoreCase);
        var result = new List<AssemblyFacts>();
        foreach (var file in files)
        {
            var facts = Read(file);
            if (facts is null)
            {
                skipped.Add(file);
            }
            else
            {
                result.Add(facts);
            }
        }

        return result;
    }

    /// <summary>The public key token: the last 8 bytes of the SHA-1 of the public key, reversed (ECMA-335 §II.6.2.1.3).</summary>
    private static string TokenOf(byte[] keyOrToken, bool isToken)
    {
        if (keyOrToken.Length == 0)
        {
            return "null";
        }

        byte[] token;
        if (isToken)
        {
            token = keyOrToken;
        }
        else
        {
#pragma warning disable CA5350 // SHA-1 is what the public key token is defined by, not a security choice.
            var hash = SHA1.HashData(keyOrToken);
#pragma warning restore CA5350
            token = hash[^8..];
            Array.Reverse(token);
        }

        return Convert.ToHexString(token).ToLower(CultureInfo.InvariantCulture);
    }
}
