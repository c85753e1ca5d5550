using System;
using System.Diagnostics;

namespace LinkSecure.Exchange.Logging;

/// <summary>
/// Writes lifecycle events to the Windows Application log under the source the installer created
/// ("ExchangeLinkSecure"). A no-op where there is no such log or source (non-Windows, source not installed,
/// no permission). Never throws.
/// </summary>
internal class EventLogWriter
{
    /// <summary>The event-log source the installer registers.</summary>
    public const string SourceName = "ExchangeLinkSecure";

    private readonly object gate = new();
    private bool? available;

    /// <summary>Writes one entry.</summary>
    /// <param name="id">The event ID.</param>
    /// <param name="type">Information, warning or error.</param>
    /// <param name="message">The text.</param>
    public virtual void Write(AgentEventId id, EventLogEntryType type, string message)
    {
        try
        {
            if (!IsAvailable())
            {
                return;
            }

            var text = message.Length > 30000 ? message.Substring(0, 30000) : message;
            EventLog.WriteEntry(SourceName, text, type, (int)id);
        }
#pragma warning disable CA1031 // Logging never throws.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private bool IsAvailable()
    {
        lock (gate)
        {
            if (available is null)
            {
                try
                {
                    available = Environment.OSVersion.Platform == PlatformID.Win32NT && EventLog.SourceExists(SourceName);
                }
#pragma warning disable CA1031 // SourceExists throws without permission to read every log: treat as absent.
                catch (Exception)
#pragma warning restore CA1031
                {
                    available = false;
                }
            }

            return available.Value;
        }
    }
}
