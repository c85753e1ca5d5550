using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Downgrade;
using MimeKit;

namespace LinkSecure.Benchmarks;

/// <summary>
/// Issue 4 target: the safe-part downgrade of a 25 MB message (20 MB attachment) takes at most 1.2× MimeKit's own
/// parse of the same message, with allocated bytes reported (MemoryDiagnoser) and the peak working-set growth printed
/// at the end of each benchmark process ("// Peak working set growth").
/// </summary>
[MemoryDiagnoser]
public class DowngradeBenchmarks
{
    private static readonly DowngradeContext Context = new("recipient domain example.com is link-security level 0, requested 2");
    private readonly SafePartDowngrader downgrader = new(DowngradeSettings.Default);
    private string path = null!;
    private long workingSetAtSetup;

    [GlobalSetup]
    public void Setup()
    {
        path = Path.Combine(Path.GetTempPath(), $"linksecure-bench-{Environment.ProcessId}.eml");
        WriteMessage(path);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        workingSetAtSetup = process.WorkingSet64;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "// Peak working set growth: {0:N1} MB (message {1:N1} MB)", (process.PeakWorkingSet64 - workingSetAtSetup) / 1048576.0, new FileInfo(path).Length / 1048576.0));
        File.Delete(path);
    }

    /// <summary>The reference: MimeKit loading the whole message (contents copied into memory).</summary>
    [Benchmark(Baseline = true)]
    public int MimeKitParse()
    {
        using var stream = OpenInput();
        using var message = MimeMessage.Load(stream);
        return message.Headers.Count;
    }

    /// <summary>MimeKit loading the message with persistent content (bodies stay in the file).</summary>
    [Benchmark]
    public int MimeKitParsePersistent()
    {
        using var stream = OpenInput();
        using var message = MimeMessage.Load(stream, persistent: true);
        return message.Headers.Count;
    }

    [Benchmark]
    public long Downgrade()
    {
        using var stream = OpenInput();
        return downgrader.Downgrade(stream, Stream.Null, Context).BytesWritten;
    }

    [Benchmark]
    public async Task<long> DowngradeAsync()
    {
        using var stream = OpenInput();
        var result = await downgrader.DowngradeAsync(stream, Stream.Null, Context, CancellationToken.None).ConfigureAwait(false);
        return result.BytesWritten;
    }

    private static void WriteMessage(string target)
    {
        var random = new Random(25);
        using var file = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024);
        using var writer = new StreamWriter(file, new UTF8Encoding(false));
        writer.Write("Received: from mail.contoso.example by mx.contoso.example; Sat, 28 Nov 2026 09:30:01 +0000\r\n");
        writer.Write("From: Contoso Reports <reports@contoso.example>\r\nTo: alice@example.com\r\nSubject: Annual report\r\n");
        writer.Write("Link-Security-Subject: Your documents are ready\r\nDate: Sat, 28 Nov 2026 09:30:00 +0000\r\n");
        writer.Write("Message-ID: <big@contoso.example>\r\nMIME-Version: 1.0\r\nLink-Security: level=2; fallback=safe-part\r\n");
        writer.Write("Content-Type: multipart/mixed; boundary=\"big-boundary\"\r\n\r\n");
        writer.Write("--big-boundary\r\nContent-Type: text/plain; charset=us-ascii\r\nLink-Security-Part: safe\r\n\r\n");
        writer.Write("Your documents are ready. Sign in at https://portal.contoso.example to read them.\r\n\r\n");
        writer.Write("--big-boundary\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n");
        for (var i = 0; i < 2000; i++)
        {
            writer.Write("<p>Confidential figure " + i.ToString(CultureInfo.InvariantCulture) + ": revenue line with some padding text.</p>\r\n");
        }

        WriteBase64Part(writer, random, "application/pdf", "annual-report.pdf", 20 * 1024 * 1024);
        WriteBase64Part(writer, random, "application/vnd.ms-excel", "figures.xls", 4_500_000);
        writer.Write("\r\n--big-boundary--\r\n");
    }

    private static void WriteBase64Part(StreamWriter writer, Random random, string type, string name, int encodedBytes)
    {
        writer.Write("\r\n--big-boundary\r\nContent-Type: " + type + "; name=\"" + name + "\"\r\nContent-Disposition: attachment; filename=\"" + name + "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
        var raw = new byte[57];
        for (var written = 0; written < encodedBytes; written += 78)
        {
            random.NextBytes(raw);
            writer.Write(Convert.ToBase64String(raw));
            writer.Write("\r\n");
        }
    }

    private FileStream OpenInput() => new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096);
}
