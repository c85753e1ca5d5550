using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace LinkSecure.Exchange.ClosureCheck;

/// <summary>
/// Checks that every assembly reference of every DLL in a published agent folder is satisfiable on .NET Framework
/// 4.8 without binding redirects (rules: <see cref="Closure"/>). Prints each unsatisfied reference and each one that
/// only the agent's AssemblyResolve handler binds, then <c>closure: N references, N unsatisfied</c>.
/// With <c>--all</c>, every verdict is printed. Exit status: 0 complete, 1 an unsatisfied reference, 2 usage or setup error.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var all = args.Contains("--all");
        var paths = args.Where(a => a != "--all").ToList();
        if (paths.Count != 2)
        {
            Console.Error.WriteLine("usage: LinkSecure.Exchange.ClosureCheck <published-agent-folder> <net48-reference-assemblies-folder> [--all]");
            return 2;
        }

        var folder = paths[0];
        var reference = paths[1];
        if (!Directory.Exists(folder) || !File.Exists(Path.Combine(folder, "LinkSecure.Exchange.dll")))
        {
            Console.Error.WriteLine($"closure: {folder} is not a published agent folder (no LinkSecure.Exchange.dll)");
            return 2;
        }

        if (!File.Exists(Path.Combine(reference, "mscorlib.dll")) || !Directory.Exists(Path.Combine(reference, "Facades")))
        {
            Console.Error.WriteLine($"closure: {reference} does not hold the .NET Framework 4.8 reference assemblies (mscorlib.dll and Facades/)");
            return 2;
        }

        var skipped = new List<string>();
        var frameworkAssemblies = AssemblyFacts.ReadFolder(reference, skipped).Concat(AssemblyFacts.ReadFolder(Path.Combine(reference, "Facades"), skipped)).ToList();
        var folderSkipped = new List<string>();
        var closure = new Closure(frameworkAssemblies, AssemblyFacts.ReadFolder(folder, folderSkipped));
        foreach (var file in folderSkipped)
        {
            Console.WriteLine("not a managed assembly, not checked: " + Path.GetFileName(file));
        }

        var verdicts = closure.CheckAll();
        Console.WriteLine($"closure of {Path.GetFullPath(folder)} against {frameworkAssemblies.Count} .NET Framework 4.8 reference assemblies");
        Console.WriteLine("  shipped: " + string.Join(", ", closure.Shipped.Select(s => $"{s.Identity.Name} {s.Identity.Version}").Order(StringComparer.Ordinal)));
        foreach (var group in verdicts.Where(v => v.Source != Source.Unsatisfied).GroupBy(v => v.Source).OrderBy(g => g.Key))
        {
            Console.WriteLine($"  {group.Key}: {group.Count()}");
        }

        foreach (var verdict in verdicts.Where(v => all ? v.Source != Source.Unsatisfied : v.Source == Source.FolderThroughResolver))
        {
            Console.WriteLine($"  {verdict.Source}: {Describe(verdict)}");
        }

        var unsatisfied = verdicts.Where(v => v.Source == Source.Unsatisfied).ToList();
        foreach (var verdict in unsatisfied)
        {
            Console.WriteLine($"UNSATISFIED {Describe(verdict)}");
        }

        Console.WriteLine($"closure: {verdicts.Count} references, {unsatisfied.Count} unsatisfied");
        return unsatisfied.Count == 0 ? 0 : 1;
    }

    private static string Describe(Verdict verdict) =>
        $"{verdict.Referrer.Identity.Name} {verdict.Referrer.Identity.Version} -> {verdict.Reference.Name}, {verdict.Reference.Version} (token {verdict.Reference.Token}): {verdict.Why}";
}
