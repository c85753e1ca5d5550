using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;

namespace LinkSecure.Cli;

/// <summary>
/// Progress of a bulk check: a bar redrawn in place on a terminal (stderr, cleared before each result block is
/// printed), plain lines on stderr otherwise, or nothing. Thread-safe; result output goes through <see cref="Write"/>
/// so the bar never tears it.
/// </summary>
internal sealed class CheckProgress
{
    private readonly object gate = new();
    private readonly TextWriter output;
    private readonly TextWriter status;
    private readonly Mode mode;
    private readonly long? total;
    private readonly Stopwatch watch = Stopwatch.StartNew();
    private long done;
    private long below;
    private long unknown;
    private bool barShown;

    private CheckProgress(TextWriter output, TextWriter status, Mode mode, long? total)
    {
        this.output = output;
        this.status = status;
        this.mode = mode;
        this.total = total;
    }

    public enum Mode
    {
        None,
        Lines,
        Bar,
    }

    public static CheckProgress Create(bool bulk, bool enabled, long? total)
    {
        var mode = !bulk || !enabled ? Mode.None
            : !Console.IsOutputRedirected && !Console.IsErrorRedirected ? Mode.Bar
            : Mode.Lines;
        return new CheckProgress(Console.Out, Console.Error, mode, total);
    }

    /// <summary>Writes result text, keeping the bar below it.</summary>
    public void Write(string text)
    {
        lock (gate)
        {
            ClearBar();
            output.Write(text);
            output.Flush();
            DrawBar();
        }
    }

    public void Completed(string domain, string verdict, bool isBelow, bool isUnknown)
    {
        lock (gate)
        {
            done++;
            below += isBelow ? 1 : 0;
            unknown += isUnknown ? 1 : 0;
            switch (mode)
            {
                case Mode.Lines:
                    status.WriteLine(string.Format(CultureInfo.InvariantCulture, "[{0}{1}] {2}: {3}", done, total is null ? string.Empty : "/" + total.Value.ToString(CultureInfo.InvariantCulture), domain, verdict));
                    break;
                case Mode.Bar:
                    ClearBar();
                    DrawBar();
                    break;
            }
        }
    }

    public void Finish()
    {
        lock (gate)
        {
            ClearBar();
        }
    }

    private void ClearBar()
    {
        if (mode == Mode.Bar && barShown)
        {
            status.Write("\r" + new string(' ', Width()) + "\r");
            status.Flush();
            barShown = false;
        }
    }

    private void DrawBar()
    {
        if (mode != Mode.Bar)
        {
            return;
        }

        var text = new StringBuilder();
        var counts = string.Format(CultureInfo.InvariantCulture, " {0}{1} domains, {2} below, {3} unknown, {4:0.0} s", done, total is null ? string.Empty : "/" + total.Value.ToString(CultureInfo.InvariantCulture), below, unknown, watch.Elapsed.TotalSeconds);
        if (total is > 0)
        {
            var width = Math.Max(10, Math.Min(40, Width() - counts.Length - 3));
            var filled = (int)(width * Math.Min(1.0, (double)done / total.Value));
            text.Append('[').Append('#', filled).Append('.', width - filled).Append(']');
        }

        text.Append(counts);
        var line = text.ToString();
        status.Write("\r" + (line.Length >= Width() ? line.Substring(0, Width() - 1) : line));
        status.Flush();
        barShown = true;
    }

    private static int Width()
    {
        try
        {
            return Math.Max(20, Console.WindowWidth);
        }
        catch (IOException)
        {
            return 80;
        }
    }
}
