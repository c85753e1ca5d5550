using System;
using System.IO;
using System.Threading.Tasks;
using LinkSecure.TestSupport.Network;
using LinkSecure.TestSupport.Probing;
using Xunit;

namespace LinkSecure.Cli.Tests;

/// <summary>Loopback infrastructure for 'linksecure check': the test DNS server, the test CA, the MTA-STS policy
/// server (Kestrel) and a private Postfix instance whose certificate names <see cref="PostfixHost"/>.</summary>
public sealed class CheckFixture : IAsyncLifetime
{
    public const string PostfixHost = "mx.postfix.test";

    public NetworkFixture Network { get; } = new();

    public PostfixServer Postfix { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Network.InitializeAsync();
        Network.Dns.AddA(PostfixHost);
        Postfix = await PostfixServer.StartAsync(Network.Ca, PostfixHost);
    }

    public async Task DisposeAsync()
    {
        Postfix?.Dispose();
        await Network.DisposeAsync();
    }

    /// <summary>A configuration for the loopback servers (MTA-STS port, short timeouts) with its own learned store.</summary>
    /// <param name="learnedStore">The learned store the configuration names.</param>
    /// <param name="resolverExtra">More members of the <c>resolver</c> object, each followed by a comma.</param>
    /// <param name="topExtra">More top-level members, each followed by a comma.</param>
    public string WriteConfig(out string learnedStore, string resolverExtra = "", string topExtra = "")
    {
        var directory = Path.Combine(Network.Directory, "check-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        Directory.CreateDirectory(directory);
        learnedStore = Path.Combine(directory, "learned.json");
        var config = Path.Combine(directory, "LinkSecure.config.json");
        File.WriteAllText(config, "{ " + topExtra + " \"resolver\": { " + resolverExtra + " \"httpsPort\": " + Network.Https.Port + ", \"timeoutMilliseconds\": 1500, \"retries\": 1, \"learnedStorePath\": \"learned.json\" } }");
        return config;
    }

    /// <summary>The options pointing the check at the loopback DNS server and trusting the test CA.</summary>
    public string[] Args(string config, int smtpPort, params string[] more)
    {
        var args = new System.Collections.Generic.List<string> { "check", "--config", config, "--dns-server", Network.Dns.Address, "--ca-file", Network.CaFile, "--smtp-port", smtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout", "10" };
        args.AddRange(more);
        return args.ToArray();
    }

    /// <summary>The verdict line of <paramref name="domain"/> in the text output (after the resolver header).</summary>
    public static string VerdictLine(string output, string domain) =>
        Array.Find(output.Split('\n'), l => l.StartsWith(domain + ": level ", StringComparison.Ordinal)) ?? throw new Xunit.Sdk.XunitException("no verdict line for " + domain + " in:\n" + output);

    /// <summary>A domain whose single MX is <paramref name="mxHost"/> at 127.0.0.1.</summary>
    public string Domain(string label, string? mxHost = null)
    {
        var domain = Network.NewDomain(label);
        mxHost ??= "mx." + domain;
        Network.Dns.AddMx(domain, 10, mxHost);
        Network.Dns.Clear(mxHost);
        Network.Dns.AddA(mxHost);
        return domain;
    }
}

[CollectionDefinition("check")]
public sealed class CheckCollection : ICollectionFixture<CheckFixture>
{
}
