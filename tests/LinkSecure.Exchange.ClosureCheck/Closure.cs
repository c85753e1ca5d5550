using System;
using System.Collections.Generic;
using System.IO;

namespace LinkSecure.Exchange.ClosureCheck;

/// <summary>Who answers a reference inside EdgeTransport.exe on .NET Framework 4.8, where no binding redirect of ours applies.</summary>
internal enum Source
{
    /// <summary>Nobody: loading the referrer fails with FileNotFoundException or FileLoadException.</summary>
    Unsatisfied,

    /// <summary>Exchange: the SDK assemblies are in the server's GAC.</summary>
    Host,

    /// <summary>The framework: the request is for its version or a lower one, which the binder unifies to its own.</summary>
    Framework,

    /// <summary>The agent folder, found by the LoadFrom context's probe: the file has exactly the requested version.</summary>
    FolderExact,

    /// <summary>The agent folder, through the agent's AssemblyResolve handler: the file has a higher version than requested.</summary>
    FolderThroughResolver,
}

/// <summary>The verdict on one reference.</summary>
/// <param name="Referrer">The assembly that carries the reference.</param>
/// <param name="Reference">The requested identity.</param>
/// <param name="Source">Who answers it.</param>
/// <param name="Why">For an unsatisfied reference, the reason; otherwise what answers it.</param>
internal sealed record Verdict(AssemblyFacts Referrer, AssemblyIdentity Reference, Source Source, string Why);

/// <summary>
/// The binding rules of .NET Framework 4.8 for an agent loaded with <c>Assembly.LoadFrom</c> by a host whose
/// configuration we do not own, applied to metadata only. A reference is answered, in this order:
/// <list type="number">
/// <item>by Exchange, for the SDK assemblies <c>Microsoft.Exchange.Data.*</c> (the server's GAC);</item>
/// <item>by the framework, when a reference assembly of that name and token (the folder or its <c>Facades/</c>) has
/// the requested version or a higher one: the binder unifies lower requests to the framework's version. A request
/// for a higher version than the framework's is not unified, and only the agent folder can answer it;</item>
/// <item>by the agent folder: a DLL of that name and token with exactly the requested version is found by the
/// LoadFrom context's probe; one with a higher version only through the agent's AssemblyResolve handler, which
/// answers (src/LinkSecure.Exchange/DependencyResolver.cs, <c>Decide</c>) for a file it ships whose name is the
/// assembly's name, when the requested token is the shipped one and the requested version is not higher than the
/// shipped one.</item>
/// </list>
/// Anything else is unsatisfied: no binding redirect exists to help (Exchange ignores a class library's
/// <c>.dll.config</c>, and <c>EdgeTransport.exe.config</c> is Exchange's).
/// </summary>
internal sealed class Closure
{
    private const string HostPrefix = "Microsoft.Exchange.Data.";
    private readonly Dictionary<string, AssemblyIdentity> framework = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, AssemblyFacts> shipped = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Initializes a new instance of the <see cref="Closure"/> class.</summary>
    /// <param name="frameworkAssemblies">The .NET Framework 4.8 reference assemblies, facades included.</param>
    /// <param name="folderAssemblies">The managed DLLs of the published agent folder.</param>
    public Closure(IEnumerable<AssemblyFacts> frameworkAssemblies, IEnumerable<AssemblyFacts> folderAssemblies)
    {
        foreach (var facts in frameworkAssemblies)
        {
            this.framework[facts.Identity.Name] = facts.Identity;
        }

        foreach (var facts in folderAssemblies)
        {
            this.shipped[facts.Identity.Name] = facts;
        }
    }

    /// <summary>Gets the assemblies of the agent folder.</summary>
    public IEnumerable<AssemblyFacts> Shipped => this.shipped.Values;

    /// <summary>Decides who answers a reference.</summary>
    /// <param name="referrer">The assembly that carries the reference.</param>
    /// <param name="reference">The requested identity.</param>
    /// <returns>The verdict.</returns>
    public Verdict Check(AssemblyFacts referrer, AssemblyIdentity reference)
    {
        if (reference.Name.StartsWith(HostPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return new Verdict(referrer, reference, Source.Host, "Exchange (GAC)");
        }

        this.framework.TryGetValue(reference.Name, out var inbox);
        if (inbox is not null && inbox.Token == reference.Token && inbox.Version >= reference.Version)
        {
            return new Verdict(referrer, reference, Source.Framework, "framework " + inbox.Version);
        }

        var frameworkNote = inbox is null ? "not in the framework" : $"the framework has {inbox.Version} (token {inbox.Token})";
        if (!this.shipped.TryGetValue(reference.Name, out var ours))
        {
            return new Verdict(referrer, reference, Source.Unsatisfied, frameworkNote + " and the folder does not ship it");
        }

        var file = Path.GetFileName(ours.Path);
        if (ours.Identity.Token != reference.Token)
        {
            return new Verdict(referrer, reference, Source.Unsatisfied, $"{frameworkNote}; the folder ships {file} with token {ours.Identity.Token}");
        }

        if (ours.Identity.Version == reference.Version)
        {
            return new Verdict(referrer, reference, Source.FolderExact, file);
        }

        if (ours.Identity.Version < reference.Version)
        {
            return new Verdict(referrer, reference, Source.Unsatisfied, $"{frameworkNote}; the folder ships only {ours.Identity.Version}");
        }

        // A higher version than requested: only the AssemblyResolve handler binds it, and it answers by file name.
        var fileNameIsAssemblyName = string.Equals(Path.GetFileNameWithoutExtension(ours.Path), ours.Identity.Name, StringComparison.OrdinalIgnoreCase);
        return fileNameIsAssemblyName
            ? new Verdict(referrer, reference, Source.FolderThroughResolver, $"{file} {ours.Identity.Version} through AssemblyResolve")
            : new Verdict(referrer, reference, Source.Unsatisfied, $"{frameworkNote}; {file} holds {ours.Identity.Name} {ours.Identity.Version}, but the AssemblyResolve handler answers by file name");
    }

    /// <summary>Checks every reference of every assembly of the folder.</summary>
    /// <returns>The verdicts, referrers in file-name order.</returns>
    public IReadOnlyList<Verdict> CheckAll()
    {
        var verdicts = new List<Verdict>();
        var referrers = new List<AssemblyFacts>(this.shipped.Values);
        referrers.Sort((a, b) => StringComparer.OrdinalIgnoreCase.Compare(a.Path, b.Path));
        foreach (var referrer in referrers)
        {
            foreach (var reference in referrer.References)
            {
                verdicts.Add(this.Check(referrer, reference));
            }
        }

        return verdicts;
    }
}
