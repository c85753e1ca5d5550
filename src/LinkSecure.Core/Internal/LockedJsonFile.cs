using System;
using System.Diagnostics;
using System.IO;
using System.Text.Json;
using System.Threading;

namespace LinkSecure.Core.Internal;

/// <summary>What a <see cref="LockedJsonFile{T}"/> parser made of a file.</summary>
/// <typeparam name="T">The content type.</typeparam>
internal readonly struct JsonFileContent<T>
    where T : class
{
    public JsonFileContent(T value, string? error = null, bool preserve = false)
    {
        Value = value;
        Error = error;
        Preserve = preserve;
    }

    /// <summary>Gets the content (empty when the file was ignored).</summary>
    public T Value { get; }

    /// <summary>Gets why the file (or part of it) was ignored.</summary>
    public string? Error { get; }

    /// <summary>Gets a value indicating whether the file must not be overwritten (it comes from a newer version).</summary>
    public bool Preserve { get; }
}

/// <summary>
/// A JSON file that several processes share: readers keep an immutable snapshot and re-read the file when its time
/// stamp or size changes (at most once a second); writers take an exclusive lock file (<c>&lt;path&gt;.lock</c>), read
/// the current content, change it, write a temporary file in the same folder, flush it to disk and rename it over the
/// file, so readers never see a half-written file. A damaged or unreadable file is reported in
/// <see cref="LastLoadError"/> and read as empty; it is never thrown at a reader. Thread-safe.
/// </summary>
/// <typeparam name="T">The content: an immutable snapshot, never changed once published.</typeparam>
internal sealed class LockedJsonFile<T>
    where T : class
{
    private static readonly long CheckInterval = Stopwatch.Frequency;

    private readonly string description;
    private readonly long maxBytes;
    private readonly T empty;
    private readonly Func<JsonElement, JsonFileContent<T>> parse;
    private readonly Action<Utf8JsonWriter, T> write;
    private readonly object loadLock = new();
    private T snapshot;
    private bool preserve;
    private long stampTicks = -1;
    private long stampLength = -1;
    private long lastCheck;
    private bool checkedOnce;

    /// <summary>Creates the file's reader and writer; the file need not exist yet.</summary>
    /// <param name="path">The full path.</param>
    /// <param name="description">What the file is, for messages (<c>learned store</c>).</param>
    /// <param name="maxBytes">The largest file read; a larger one is ignored.</param>
    /// <param name="empty">The content of a missing or ignored file.</param>
    /// <param name="parse">Reads the root element.</param>
    /// <param name="write">Writes the content as one JSON value.</param>
    public LockedJsonFile(string path, string description, long maxBytes, T empty, Func<JsonElement, JsonFileContent<T>> parse, Action<Utf8JsonWriter, T> write)
    {
        Path = path;
        this.description = description;
        this.maxBytes = maxBytes;
        this.empty = empty;
        this.parse = parse;
        this.write = write;
        snapshot = empty;
    }

    /// <summary>Gets the full path.</summary>
    public string Path { get; }

    /// <summary>Gets the problem of the last load, when the file could not be read or parsed; otherwise <see langword="null"/>.</summary>
    public string? LastLoadError { get; private set; }

    /// <summary>Returns the current content, re-reading the file first when it changed (checked at most once a second
    /// unless <paramref name="force"/>).</summary>
    /// <param name="force">Whether to check the file now.</param>
    /// <returns>The snapshot; callers must not change it.</returns>
    public T Read(bool force)
    {
        RefreshIfChanged(force);
        return Volatile.Read(ref snapshot);
    }

    /// <summary>Changes the file under its lock, with an atomic replace.</summary>
    /// <param name="change">Gets the current content (not to be changed in place) and returns the new content, or
    /// <see langword="null"/> to write nothing.</param>
    /// <returns><see langword="false"/> when nothing was written: <paramref name="change"/> returned
    /// <see langword="null"/>, or the file comes from a newer version and is kept as it is.</returns>
    /// <exception cref="IOException">The lock could not be taken within 10 seconds, or the file could not be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder or file is not writable.</exception>
    public bool Update(Func<T, T?> change)
    {
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(directory);
        using (AcquireLock())
        {
            var current = ReadCurrentForWrite(out var keep);
            if (keep)
            {
                return false;
            }

            var next = change(current);
            if (next is null)
            {
                return false;
            }

            var temp = System.IO.Path.Combine(directory, System.IO.Path.GetFileName(Path) + "." + Guid.NewGuid().ToString("N") + ".tmp");
            try
            {
                using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
                    {
                        write(writer, next);
                    }

                    stream.Flush(flushToDisk: true);
                }

#if NET
                File.Move(temp, Path, overwrite: true);
#else
                if (File.Exists(Path))
                {
                    File.Replace(temp, Path, null, ignoreMetadataErrors: true);
                }
                else
                {
                    File.Move(temp, Path);
                }
#endif

                // What was just written is the file's content: keep it rather than re-reading and re-parsing it. The
                // time stamp is taken under the lock, so no other writer can have replaced the file in between.
                var written = new FileInfo(Path);
                lock (loadLock)
                {
                    snapshot = next;
                    preserve = false;
                    stampTicks = written.LastWriteTimeUtc.Ticks;
                    stampLength = written.Length;
                    LastLoadError = null;
                    Interlocked.Exchange(ref lastCheck, Stopwatch.GetTimestamp());
                    Volatile.Write(ref checkedOnce, true);
                }

                return true;
            }
            finally
            {
                if (File.Exists(temp))
                {
                    File.Delete(temp);
                }
            }
        }
    }

    /// <summary>The file's content for a write, under the lock: the snapshot when the file is unchanged since it was
    /// loaded or written by this instance, else the file re-read.</summary>
    private T ReadCurrentForWrite(out bool keep)
    {
        keep = false;
        var info = new FileInfo(Path);
        if (!info.Exists)
        {
            return empty;
        }

        lock (loadLock)
        {
            if (info.LastWriteTimeUtc.Ticks == stampTicks && info.Length == stampLength && LastLoadError is null)
            {
                return snapshot;
            }

            if (info.LastWriteTimeUtc.Ticks == stampTicks && info.Length == stampLength && preserve)
            {
                keep = true;
                return snapshot;
            }
        }

        var content = ReadFile();
        keep = content.Preserve;
        return content.Value;
    }

    private FileStream AcquireLock()
    {
        var deadline = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
        while (true)
        {
            try
            {
                return new FileStream(Path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (Stopwatch.GetTimestamp() < deadline)
            {
                Thread.Sleep(20);
            }
        }
    }

    private void RefreshIfChanged(bool force)
    {
        var now = Stopwatch.GetTimestamp();
        if (!force && Volatile.Read(ref checkedOnce) && now - Interlocked.Read(ref lastCheck) < CheckInterval)
        {
            return;
        }

        lock (loadLock)
        {
            Interlocked.Exchange(ref lastCheck, now);
            Volatile.Write(ref checkedOnce, true);
            try
            {
                var info = new FileInfo(Path);
                if (!info.Exists)
                {
                    snapshot = empty;
                    preserve = false;
                    stampTicks = -1;
                    stampLength = -1;
                    LastLoadError = null;
                    return;
                }

                if (info.LastWriteTimeUtc.Ticks == stampTicks && info.Length == stampLength)
                {
                    return;
                }

                var content = ReadFile();
                snapshot = content.Value;
                preserve = content.Preserve;
                LastLoadError = content.Error;
                stampTicks = info.LastWriteTimeUtc.Ticks;
                stampLength = info.Length;
            }
            catch (IOException ex)
            {
                LastLoadError = description + " " + Path + " could not be read: " + ex.Message;
            }
            catch (UnauthorizedAccessException ex)
            {
                LastLoadError = description + " " + Path + " could not be read: " + ex.Message;
            }
        }
    }

    private JsonFileContent<T> ReadFile()
    {
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length > maxBytes)
        {
            return new JsonFileContent<T>(empty, $"{description} {Path} is larger than {maxBytes / (1024 * 1024)} MiB and was ignored");
        }

        try
        {
            using var document = JsonDocument.Parse(stream);
            return parse(document.RootElement);
        }
        catch (JsonException ex)
        {
            return new JsonFileContent<T>(empty, $"{description} {Path} is not valid JSON and was ignored: {ex.Message}");
        }
    }
}
