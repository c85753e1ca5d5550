using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Protocol;
using NLog;
using NLog.Config;

namespace LinkSecure.Exchange.Logging;

/// <summary>
/// The agent's logging: a private NLog <see cref="LogFactory"/> configured explicitly from
/// <c>LinkSecure.nlog.config</c> in the agent's folder (never the process-wide <c>LogManager</c>, which other
/// agents may use), plus lifecycle events in the Windows event log. Every method swallows its own failures:
/// logging never throws into mail flow.
/// </summary>
internal sealed class AgentLog : IDisposable
{
    /// <summary>The NLog configuration file name, beside the agent DLL.</summary>
    public const string ConfigFileName = "LinkSecure.nlog.config";

    private readonly LogFactory? factory;
    private readonly Logger? decisions;
    private readonly Logger? agent;
    private readonly EventLogWriter eventLog;

    private AgentLog(LogFactory? factory, EventLogWriter eventLog)
    {
        this.factory = factory;
        this.eventLog = eventLog;
        if (factory is not null)
        {
            decisions = factory.GetLogger("LinkSecure.Decisions");
            agent = factory.GetLogger("LinkSecure.Agent");
        }
    }

    /// <summary>Gets the private NLog factory (tests read its targets); <see langword="null"/> when NLog could not start.</summary>
    internal LogFactory? Factory => factory;

    /// <summary>Gets a log that writes nothing (tests, or when NLog cannot start).</summary>
    public static AgentLog Null { get; } = new(null, new EventLogWriter());

    /// <summary>Gets a value indicating whether decision lines at Info level are written.</summary>
    public bool DecisionsEnabled
    {
        get
        {
            try
            {
                return decisions?.IsInfoEnabled ?? false;
            }
#pragma warning disable CA1031
            catch (Exception)
#pragma warning restore CA1031
            {
                return false;
            }
        }
    }

    /// <summary>Creates the log from the NLog configuration in <paramref name="directory"/>; never throws.</summary>
    /// <param name="directory">The agent's folder.</param>
    /// <param name="eventLog">The event-log writer.</param>
    /// <returns>The log; without a usable NLog configuration it writes only to the event log.</returns>
    public static AgentLog Create(string directory, EventLogWriter eventLog)
    {
        var path = Path.Combine(directory, ConfigFileName);
        LogFactory? factory = null;
        try
        {
            factory = new LogFactory { ThrowExceptions = false, ThrowConfigExceptions = false };
            if (File.Exists(path))
            {
                var config = new XmlLoggingConfiguration(path, factory);
                config.Variables["agentDirectory"] = directory;
                factory.Configuration = config;
            }
            else
            {
                eventLog.Write(AgentEventId.LoggingUnavailable, EventLogEntryType.Warning, $"{path} not found: decision logging is off.");
            }

            return new AgentLog(factory, eventLog);
        }
#pragma warning disable CA1031 // Logging never throws: a broken NLog configuration leaves the agent running without a file log.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            eventLog.Write(AgentEventId.LoggingUnavailable, EventLogEntryType.Warning, $"{path} could not be loaded: {ex.Message}");
            try
            {
                factory?.Dispose();
            }
#pragma warning disable CA1031
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            return new AgentLog(null, eventLog);
        }
    }

    /// <summary>Logs one recipient decision as one structured line.</summary>
    /// <param name="entry">The decision fields.</param>
    public void Decision(in DecisionLogEntry entry)
    {
        try
        {
            decisions?.Info(
                CultureInfo.InvariantCulture,
                "decision messageId={messageId} senderDomain={senderDomain} recipientDomain={recipientDomain} request={request} level={level} decision={decision} reason={reason} route={route} evidence={evidence} elapsedUs={elapsedUs}",
                entry.MessageId,
                entry.SenderDomain,
                entry.RecipientDomain,
                entry.Request,
                entry.Level,
                entry.Decision,
                entry.Reason,
                entry.Route,
                entry.Evidence,
                entry.ElapsedMicroseconds);
        }
#pragma warning disable CA1031
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>Logs one recipient decision of the core as one structured line. Never throws.</summary>
    /// <param name="messageId">The Message-ID.</param>
    /// <param name="sender">Reads the envelope sender (may throw: the sender domain is then left out).</param>
    /// <param name="decision">The decision.</param>
    /// <param name="elapsedMicroseconds">The time spent on the message so far.</param>
    public void Decision(string? messageId, Func<string> sender, RecipientDecision decision, long elapsedMicroseconds)
    {
        try
        {
            string? senderDomain = null;
            try
            {
                DomainName.TryGetAddressDomain(sender(), out senderDomain);
            }
#pragma warning disable CA1031 // The sender domain is only logged.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            Decision(new DecisionLogEntry(messageId, senderDomain, decision.Domain, decision.Request.ToString(), (int)decision.Level, decision.Kind.ToString(), decision.Reason, decision.Route?.ToString(), decision.Profile?.DescribeEvidence() ?? "none", elapsedMicroseconds));
        }
#pragma warning disable CA1031 // Logging never throws.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>Logs an untagged message passed untouched (Debug level: every message of the server goes here).</summary>
    /// <param name="messageId">The Message-ID.</param>
    /// <param name="recipients">The recipient count.</param>
    /// <param name="elapsedMicroseconds">The time spent.</param>
    public void Untagged(string? messageId, int recipients, long elapsedMicroseconds)
    {
        try
        {
            if (decisions is { IsDebugEnabled: true })
            {
                decisions.Debug(CultureInfo.InvariantCulture, "untagged messageId={messageId} recipients={recipients} elapsedUs={elapsedUs}", messageId, recipients, elapsedMicroseconds);
            }
        }
#pragma warning disable CA1031
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>Logs an informational agent message.</summary>
    /// <param name="message">The text.</param>
    public void Info(string message) => Write(LogLevel.Info, message, null);

    /// <summary>Logs a warning.</summary>
    /// <param name="message">The text.</param>
    public void Warn(string message) => Write(LogLevel.Warn, message, null);

    /// <summary>Logs a per-message error (not a lifecycle event: no event-log entry, which could flood the log).</summary>
    /// <param name="message">The text.</param>
    /// <param name="exception">The exception, if any.</param>
    public void Error(string message, Exception? exception) => Write(LogLevel.Error, message, exception);

    /// <summary>Logs a lifecycle event to the file log and to the Windows event log.</summary>
    /// <param name="id">The event ID.</param>
    /// <param name="type">Information, warning or error.</param>
    /// <param name="message">The text.</param>
    /// <param name="exception">The exception, if any.</param>
    public void Lifecycle(AgentEventId id, EventLogEntryType type, string message, Exception? exception = null)
    {
        var level = type == EventLogEntryType.Error ? LogLevel.Error : type == EventLogEntryType.Warning ? LogLevel.Warn : LogLevel.Info;
        Write(level, string.Format(CultureInfo.InvariantCulture, "[{0} {1}] {2}", (int)id, id, message), exception);
        eventLog.Write(id, type, exception is null ? message : message + Environment.NewLine + exception);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            factory?.Flush(TimeSpan.FromSeconds(2));
            factory?.Dispose();
        }
#pragma warning disable CA1031
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private void Write(LogLevel level, string message, Exception? exception)
    {
        try
        {
            if (agent is not null && agent.IsEnabled(level))
            {
                // No message-template parsing: error texts may contain braces.
                agent.Log(new LogEventInfo(level, agent.Name, message) { Exception = exception });
            }
        }
#pragma warning disable CA1031
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}

/// <summary>The fields of one decision line (docs/agent.md, "Logging").</summary>
internal readonly struct DecisionLogEntry
{
    public DecisionLogEntry(string? messageId, string? senderDomain, string? recipientDomain, string request, int level, string decision, string reason, string? route, string evidence, long elapsedMicroseconds)
    {
        MessageId = messageId;
        SenderDomain = senderDomain;
        RecipientDomain = recipientDomain;
        Request = request;
        Level = level;
        Decision = decision;
        Reason = reason;
        Route = route;
        Evidence = evidence;
        ElapsedMicroseconds = elapsedMicroseconds;
    }

    public string? MessageId { get; }

    public string? SenderDomain { get; }

    public string? RecipientDomain { get; }

    public string Request { get; }

    public int Level { get; }

    public string Decision { get; }

    public string Reason { get; }

    public string? Route { get; }

    public string Evidence { get; }

    public long ElapsedMicroseconds { get; }
}
