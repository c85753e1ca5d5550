using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Reflection;
using LinkSecure.Exchange.Logging;

namespace LinkSecure.Exchange;

/// <summary>
/// Resolves our own dependencies from the agent's folder inside a host whose binding redirects we do not control
/// (EdgeTransport.exe.config). Registered once, from the factory's static constructor, before any type from a
/// dependency is touched. The handler is process-wide, so it answers only for the assembly files we ship (never
/// <c>Microsoft.Exchange.*</c>), and only when the request asks for the version we ship or a lower one, with our public
/// key token: a request for a higher version or another token is refused (logged once per name, event 2006), because
/// our copy would not be what the requester was built against. It returns <see langword="null"/> for everything else
/// and never throws. docs/building.md ("The reference closure") lists the references that depend on it.
/// </summary>
internal static class DependencyResolver
{
    private static readonly object Gate = new();
    private static ShippedFolder? shipped;
    private static bool registered;

    /// <summary>What the handler does with a request for a name the agent ships.</summary>
    internal enum Answer
    {
        /// <summary>Not a request for our file (another culture): say nothing, return <see langword="null"/>.</summary>
        NotOurs,

        /// <summary>Our file cannot stand in for what was asked (higher version, other token): log once, return <see langword="null"/>.</summary>
        Refused,

        /// <summary>Load our file.</summary>
        Load,
    }

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
                shipped = ShippedFolder.Read(AgentDirectory, new EventLogWriter());
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

    /// <summary>Gets the assembly names the resolver answers for (for diagnostics and tests).</summary>
    /// <returns>The simple names, sorted.</returns>
    public static IReadOnlyList<string> ShippedNames() => shipped?.Names ?? Array.Empty<string>();

    /// <summary>
    /// The rule, for a request whose simple name is one we ship. A request without a version or token (a partial name)
    /// is answered. tests/LinkSecure.Exchange.ClosureCheck applies the same rule to the published folder.
    /// </summary>
    /// <param name="requested">The requested identity.</param>
    /// <param name="ours">The identity of the file we ship under that name.</param>
    /// <param name="why">For <see cref="Answer.Refused"/>, the reason.</param>
    /// <returns>What to do.</returns>
    internal static Answer Decide(AssemblyName requested, AssemblyName ours, out string why)
    {
        why = string.Empty;
        var culture = requested.CultureName;
        if (!string.IsNullOrEmpty(culture) && !string.Equals(culture, ours.CultureName, StringComparison.OrdinalIgnoreCase))
        {
            return Answer.NotOurs;
        }

        var token = requested.GetPublicKeyToken();
        var ourToken = ours.GetPublicKeyToken() ?? Array.Empty<byte>();
        if (token is not null && Hex(token) != Hex(ourToken))
        {
            why = "it asks for public key token " + Hex(token) + ", the agent's copy has " + Hex(ourToken);
            return Answer.Refused;
        }

        if (requested.Version is not null && ours.Version is not null && requested.Version > ours.Version)
        {
            why = "it asks for version " + requested.Version + ", higher than the agent's " + ours.Version;
            return Answer.Refused;
        }

        return Answer.Load;
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

    private static Assembly? OnAssemblyResolve(object? sender, ResolveEventArgs args) => shipped?.Resolve(args.Name, args.RequestingAssembly);

    private static string Hex(byte[] bytes) => bytes.Length == 0 ? "null" : BitConverter.ToString(bytes).Replace("-", string.Empty).ToLowerInvariant();

    /// <summary>The managed DLLs of one folder, by assembly name, and the resolve handler's answers for them.</summary>
    internal sealed class ShippedFolder
    {
        private readonly Dictionary<string, KeyValuePair<string, AssemblyName>> files;
        private readonly EventLogWriter log;
        private readonly ConcurrentDictionary<string, bool> refused = new(StringComparer.OrdinalIgnoreCase);

        private ShippedFolder(Dictionary<string, KeyValuePair<string, AssemblyName>> files, EventLogWriter log)
        {
            this.files = files;
            this.log = log;
        }

        /// <summary>Gets the simple names answered for, sorted.</summary>
        public IReadOnlyList<string> Names
        {
            get
            {
                var names = new List<string>(files.Keys);
                names.Sort(StringComparer.OrdinalIgnoreCase);
                return names;
            }
        }

        /// <summary>
        /// Reads the identity of every DLL of the folder from its metadata (nothing is loaded). Skipped: the Exchange SDK
        /// (the host's), files that are not managed assemblies, and files whose name is not their assembly's name.
        /// </summary>
        /// <param name="directory">The agent folder.</param>
        /// <param name="log">Where refusals are written.</param>
        /// <returns>The folder.</returns>
        public static ShippedFolder Read(string directory, EventLogWriter log)
        {
            var map = new Dictionary<string, KeyValuePair<string, AssemblyName>>(StringComparer.OrdinalIgnoreCase);
            foreach (var file in Directory.GetFiles(directory, "*.dll"))
            {
                var fileName = Path.GetFileNameWithoutExtension(file);
                if (fileName.StartsWith("Microsoft.Exchange.", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                AssemblyName identity;
                try
                {
                    identity = AssemblyName.GetAssemblyName(file);
                }
                catch (Exception ex) when (ex is BadImageFormatException or FileLoadException or IOException or UnauthorizedAccessException)
                {
                    continue;
                }

                if (string.Equals(identity.Name, fileName, StringComparison.OrdinalIgnoreCase))
                {
                    map[fileName] = new KeyValuePair<string, AssemblyName>(file, identity);
                }
            }

            return new ShippedFolder(map, log);
        }

        /// <summary>Answers one AssemblyResolve request. Never throws.</summary>
        /// <param name="requestedName">The requested display name.</param>
        /// <param name="requester">The assembly whose reference failed to bind, when the runtime says.</param>
        /// <returns>Our assembly, or <see langword="null"/>.</returns>
        public Assembly? Resolve(string? requestedName, Assembly? requester)
        {
            try
            {
                if (requestedName is null)
                {
                    return null;
                }

                var requested = new AssemblyName(requestedName);
                if (requested.Name is null || !files.TryGetValue(requested.Name, out var ours))
                {
                    return null;
                }

                switch (Decide(requested, ours.Value, out var why))
                {
                    case Answer.Load:
                        return LoadedFrom(ours.Key) ?? Assembly.LoadFrom(ours.Key);
                    case Answer.Refused:
                        ReportOnce(requested, requester, ours.Key, why);
                        return null;
                    default:
                        return null;
                }
            }
#pragma warning disable CA1031 // A resolve handler must never throw into the host.
            catch (Exception)
#pragma warning restore CA1031
            {
                return null;
            }
        }

        private static Assembly? LoadedFrom(string path)
        {
            foreach (var loaded in AppDomain.CurrentDomain.GetAssemblies())
            {
                if (!loaded.IsDynamic && string.Equals(SafeLocation(loaded), path, StringComparison.OrdinalIgnoreCase))
                {
                    return loaded;
                }
            }

            return null;
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

        private void ReportOnce(AssemblyName requested, Assembly? requester, string path, string why)
        {
            if (!refused.TryAdd(requested.Name!, true))
            {
                return;
            }

            string from;
            try
            {
                from = requester?.FullName ?? "an unnamed requester";
            }
#pragma warning disable CA1031 // Only for the message.
            catch (Exception)
#pragma warning restore CA1031
            {
                from = "an unnamed requester";
            }

            log.Write(
                AgentEventId.DependencyRefused,
                EventLogEntryType.Warning,
                string.Format(
                    CultureInfo.InvariantCulture,
                    "ExchangeLinkSecure did not answer the assembly request for {0} from {1} with {2}: {3}. Logged once per name. If the requester is part of the agent, its folder is incomplete (docs/building.md); otherwise another component of the process needs its own copy.",
                    requested.FullName,
                    from,
                    path,
                    why));
        }
    }
}
