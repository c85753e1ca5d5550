using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.TestSupport.Network;

namespace LinkSecure.TestSupport.Probing;

/// <summary>
/// A private instance of Debian's Postfix on 127.0.0.1 and a free port, as the well-behaved peer: its own
/// config_directory, queue_directory and data_directory in a temp folder, an smtpd listener with a certificate from the
/// test CA, STARTTLS offered, all relaying refused. Started with <c>postfix -c DIR start</c> and stopped with
/// <c>postfix -c DIR stop</c>; the system's Postfix service is never used. Needs root and the <c>postfix</c> package
/// (<c>apt-get install postfix</c>), which creates the postfix user and the postdrop group.
/// </summary>
public sealed class PostfixServer : IDisposable
{
    private const string PostfixCommand = "/usr/sbin/postfix";

    private PostfixServer(string directory, int port, string hostName)
    {
        Directory = directory;
        Port = port;
        HostName = hostName;
    }

    public string Directory { get; }

    public int Port { get; }

    public string HostName { get; }

    private string ConfigDirectory => Path.Combine(Directory, "etc");

    /// <summary>Why Postfix cannot run here, or null when it can.</summary>
    public static string? Unavailable()
    {
        if (!File.Exists(PostfixCommand) || !File.Exists("/usr/lib/postfix/sbin/master"))
        {
            return "Debian's postfix is not installed (" + PostfixCommand + " missing). Install it with: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postfix";
        }

        if (!File.ReadAllText("/etc/passwd").Contains("\npostfix:", StringComparison.Ordinal))
        {
            return "the postfix user does not exist; reinstall the postfix package";
        }

        if (Environment.UserName != "root")
        {
            return "Postfix's master must start as root; run the tests as root (CI does)";
        }

        return null;
    }

    /// <summary>Starts Postfix; throws with a clear message when it cannot.</summary>
    public static async Task<PostfixServer> StartAsync(TestCertificateAuthority ca, string hostName)
    {
        if (Unavailable() is { } why)
        {
            throw new InvalidOperationException("The Postfix fixture cannot start: " + why);
        }

        var directory = Path.Combine(Path.GetTempPath(), "linksecure-postfix-" + Guid.NewGuid().ToString("N").Substring(0, 12));
        var port = FreePort();
        var server = new PostfixServer(directory, port, hostName);
        server.WriteConfiguration(ca);
        Run("chown", "postfix", Path.Combine(directory, "data"));
        Run(PostfixCommand, "-c", server.ConfigDirectory, "check");
        Run(PostfixCommand, "-c", server.ConfigDirectory, "start");
        await server.WaitForListenerAsync();
        return server;
    }

    /// <summary>The instance's log (maillog_file), for failure messages.</summary>
    public string Log()
    {
        var path = Path.Combine(Directory, "maillog");
        return File.Exists(path) ? File.ReadAllText(path) : "(no maillog)";
    }

    public void Dispose()
    {
        try
        {
            Run(PostfixCommand, "-c", ConfigDirectory, "stop");
            var pidFile = Path.Combine(Directory, "queue", "pid", "master.pid");
            for (var i = 0; i < 50 && File.Exists(pidFile) && IsRunning(File.ReadAllText(pidFile).Trim()); i++)
            {
                Thread.Sleep(100);
            }
        }
        catch (InvalidOperationException)
        {
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static bool IsRunning(string pid) =>
        int.TryParse(pid, out var id) && File.Exists("/proc/" + id + "/status") && !File.ReadAllText("/proc/" + id + "/status").Contains("State:\tZ", StringComparison.Ordinal);

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private static string Run(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            throw new InvalidOperationException(file + " " + string.Join(' ', arguments) + " did not finish within 30 s");
        }

        var text = output.Result + error.Result;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(file + " " + string.Join(' ', arguments) + " failed with exit code " + process.ExitCode + ": " + text);
        }

        return text;
    }

    private void WriteConfiguration(TestCertificateAuthority ca)
    {
        System.IO.Directory.CreateDirectory(ConfigDirectory);
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "queue"));
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "data"));
        var (certFile, keyFile) = ca.WriteServerPem(HostName, ConfigDirectory);
        var lines = new List<string>
        {
            "compatibility_level = 3.6",
            "queue_directory = " + Path.Combine(Directory, "queue"),
            "data_directory = " + Path.Combine(Directory, "data"),
            "mail_owner = postfix",
            "setgid_group = postdrop",
            "inet_interfaces = 127.0.0.1",
            "inet_protocols = ipv4",
            "myhostname = " + HostName,
            "mydestination =",
            "relay_domains =",
            "local_recipient_maps =",
            "alias_maps =",
            "alias_database =",
            "smtpd_banner = $myhostname ESMTP",
            "notify_classes =",
            "smtpd_relay_restrictions = reject",
            "smtpd_recipient_restrictions = reject",
            "smtpd_tls_security_level = may",
            "smtpd_tls_cert_file = " + certFile,
            "smtpd_tls_key_file = " + keyFile,
            "smtpd_tls_protocols = >=TLSv1.2",
            "maillog_file = " + Path.Combine(Directory, "maillog"),
            "maillog_file_prefixes = " + Directory,
        };
        File.WriteAllLines(Path.Combine(ConfigDirectory, "main.cf"), lines);
        File.WriteAllLines(Path.Combine(ConfigDirectory, "master.cf"), new[]
        {
            "127.0.0.1:" + Port + " inet n - n - - smtpd",
            "tlsmgr unix - - n 1000? 1 tlsmgr",
            "anvil unix - - n - 1 anvil",
            "proxymap unix - - n - - proxymap",
            "rewrite unix - - n - - trivial-rewrite",
            "postlog unix-dgram n - n - 1 postlogd",
        });
    }

    private async Task WaitForListenerAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            catch (SocketException ex)
            {
                throw new InvalidOperationException("Postfix did not listen on 127.0.0.1:" + Port + " within 20 s: " + ex.Message + "\n" + Log());
            }
        }
    }
}
