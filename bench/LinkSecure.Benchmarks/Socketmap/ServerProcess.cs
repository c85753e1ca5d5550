using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;

namespace LinkSecure.Benchmarks.Socketmap;

/// <summary>A socketmap server run as a child process, its output kept for a failure message, killed on dispose.</summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private ServerProcess(Process process, IPEndPoint endpoint)
    {
        this.process = process;
        Endpoint = endpoint;
    }

    /// <summary>Gets the socketmap address.</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>Gets what the process wrote so far.</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>Gets the process id (for <c>ps</c> figures).</summary>
    public int Id => process.Id;

    /// <summary>Starts a process and returns once <paramref name="endpoint"/> accepts connections (at most 30 s).</summary>
    /// <param name="file">The program.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="environment">Extra environment variables.</param>
    /// <param name="endpoint">The socketmap address it will listen on.</param>
    public static async Task<ServerProcess> StartAsync(string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, IPEndPoint endpoint)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var server = new ServerProcess(new Process { StartInfo = info }, endpoint);
        DataReceivedEventHandler append = (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (server.output)
                {
                    server.output.AppendLine(e.Data);
                }
            }
        };
        server.process.OutputDataReceived += append;
        server.process.ErrorDataReceived += append;
        server.process.Start();
        server.process.BeginOutputReadLine();
        server.process.BeginErrorReadLine();
        try
        {
            await server.WaitForListenAsync();
        }
        catch
        {
            server.Dispose();
            throw;
        }

        return server;
    }

    /// <summary>Gets a free TCP port on 127.0.0.1.</summary>
    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    /// <summary>Gets the process's user plus system CPU time so far.</summary>
    public TimeSpan CpuTime()
    {
        process.Refresh();
        return process.TotalProcessorTime;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        process.Dispose();
    }

    private async Task WaitForListenAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException(process.StartInfo.FileName + " exited with code " + process.ExitCode + ":\n" + Output);
            }

            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(Endpoint.Address, Endpoint.Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            catch (SocketException ex)
            {
                throw new InvalidOperationException(process.StartInfo.FileName + " did not listen on " + Endpoint + " within 30 s: " + ex.Message + "\n" + Output);
            }
        }
    }
}
