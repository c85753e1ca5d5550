using System;
using System.IO;
using Microsoft.Extensions.Logging;

namespace LinkSecure.Cli.Serve;

/// <summary>Writes log lines <c>linksecure serve: level: message</c> to a writer (standard error; the journal or the
/// service's redirected output), one line each, without scopes.</summary>
internal sealed class TextWriterLoggerProvider : ILoggerProvider
{
    private readonly TextWriter writer;
    private readonly object gate = new();

    public TextWriterLoggerProvider(TextWriter writer)
    {
        this.writer = writer;
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Write(LogLevel level, string category, string message, Exception? exception)
    {
        var line = "linksecure serve: " + Name(level) + (category.StartsWith("LinkSecure", StringComparison.Ordinal) ? string.Empty : " [" + category + "]") + ": " + message
            + (exception is null ? string.Empty : " (" + exception.GetType().Name + ": " + exception.Message + ")");
        lock (gate)
        {
            writer.WriteLine(line.Replace('\n', ' ').Replace('\r', ' '));
            writer.Flush();
        }
    }

    private static string Name(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warning",
        LogLevel.Error => "error",
        _ => "critical",
    };

    private sealed class Logger : ILogger
    {
        private readonly TextWriterLoggerProvider provider;
        private readonly string category;

        public Logger(TextWriterLoggerProvider provider, string category)
        {
            this.provider = provider;
            this.category = category;
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Write(logLevel, category, formatter(state, exception), exception);
            }
        }
    }
}
