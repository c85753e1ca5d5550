using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;

namespace LinkSecure.Exchange;

/// <summary>
/// Resolves our own dependencies from the agent's folder inside a host whose binding redirects we do not
/// control (EdgeTransport.exe.config). Registered once, from the factory's static constructor, before any type
/// from a dependency is touched. Process-wide, so it answers only for the assembly file names we ship, loads
/// them with <see cref="Assembly.LoadFrom(string)"/> whatever version was asked for (we ship exactly one
/// version of each), returns <see langword="null"/> for everything else, and never throws.
/// </summary>
internal static class DependencyResolver
{
    private static readonly object Gate = new();
    private static Dictionary<string, string>? shipped;
    private static bool registered;

    /// <summary>Gets the folder the agent was loaded from.</summary>
    public static string AgentDirectory { get; private set; } = string.Empty;

    /// <summary>Registers the handler for the folder holding this assembly; later calls do nothing.</summary>
    public static void Register()
    {
        try
        {
            lock (Gate)
            {
                if (registered)
                {
                    return;
                }

                AgentDirectory = FindAgentDirectory();
                var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                foreach (var file in Directory.GetFiles(AgentDirectory, "*.dll"))
                {
                    var name = Path.GetFileNameWithoutExtension(file);
                    if (!name.StartsWith("Microsoft.Exchange.", StringComparison.OrdinalIgnoreCase))
                    {
                        map[name] = file;
                    }
                }

                shipped = map;
                AppDomain.CurrentDomain.AssemblyResolve += OnAssemblyResolve;
                registered = true;
            }
        }
#pragma warning disable CA1031 // Nothing may escape into the host; without the handler, the LoadFrom context still probes our folder.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>Gets the assembly file names the resolver answers for (for diagnostics and tests).</summary>
    /// <returns>The simple names, sorted.</returns>
    public static IReadOnlyList<string> ShippedNames()
    {
        var names = new List<string>(shipped?.Keys ?? (IEnumerable<string>)Array.Empty<string>());
        names.Sort(StringComparer.OrdinalIgnoreCase);
        return names;
    }

    /// <summary>The folder the agent DLL was installed in: its code base (the original location even when the host
    /// shadow-copies assemblies), else its location, else the application base.</summary>
    private static string FindAgentDirectory()
    {
        var assembly = typeof(DependencyResolver).Assembly;
        try
        {
            if (Uri.TryCreate(assembly.CodeBase, UriKind.Absolute, out var codeBase) && codeBase.IsFile)
            {
                var folder = Path.GetDirectoryName(codeBase.LocalPath);
                if (!string.IsNullOrEmpty(folder) && Directory.Exists(folder))
                {
                    return folder!;
                }
            }
        }
#pragma warning disable CA1031 // Fall back to the location.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        var location = assembly.Location;
        return string.IsNullOrEmpty(location) ? AppDomain.CurrentDomain.BaseDirectory : Path.GetDirectoryName(location) ?? string.Empty;
    }

    private static Assembly? OnAssemblyResolve(object? sender, ResolveEventArgs args)
    {
        try
        {
            var map = shipped;
            if (map is null || args.Name is null)
            {
                return null;
            }

            var name = new AssemblyName(args.Name).Name;
            if (name is null || !map.TryGetValue(name, out var path))
            {
                return null;
            }

            foreach (var loaded in AppDomain.CurrentDomain.GetAssemblies())
            {
                if (!loaded.IsDynamic && string.Equals(loaded.GetName().Name, name, StringComparison.OrdinalIgnoreCase)
                    && string.Equals(SafeLocation(loaded), path, StringComparison.OrdinalIgnoreCase))
                {
                    return loaded;
                }
            }

            return Assembly.LoadFrom(path);
        }
#pragma warning disable CA1031 // A resolve handler must never throw into the host.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    private static string SafeLocation(Assembly assembly)
    {
        try
        {
            return assembly.Location;
        }
#pragma warning disable CA1031
        catch (Exception)
#pragma warning restore CA1031
        {
            return string.Empty;
        }
    }
}
