using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace LinkSecure.Cli;

/// <summary>A plain-text table with aligned columns; the last column may be long and is not padded.</summary>
internal sealed class TextTable
{
    private readonly string[] headers;
    private readonly List<string[]> rows = new();

    public TextTable(params string[] headers) => this.headers = headers;

    public void Add(params string[] cells)
    {
        if (cells.Length != headers.Length)
        {
            throw new ArgumentException("Cell count does not match the header.", nameof(cells));
        }

        rows.Add(cells);
    }

    public void Write(TextWriter writer)
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        WriteRow(writer, headers, widths);
        WriteRow(writer, widths.Select(w => new string('-', w)).ToArray(), widths);
        foreach (var row in rows)
        {
            WriteRow(writer, row, widths);
        }
    }

    private static void WriteRow(TextWriter writer, string[] cells, int[] widths)
    {
        for (var i = 0; i < cells.Length; i++)
        {
            var last = i == cells.Length - 1;
            writer.Write(last ? cells[i] : cells[i].PadRight(widths[i]));
            if (!last)
            {
                writer.Write("  ");
            }
        }

        writer.WriteLine();
    }
}
