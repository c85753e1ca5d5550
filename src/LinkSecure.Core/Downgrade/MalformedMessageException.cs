using System;

namespace LinkSecure.Core.Downgrade;

/// <summary>Internal signal: the message breaks a structural rule or a limit. Never escapes the public API; it becomes
/// <see cref="DowngradeOutcome.Malformed"/>.</summary>
internal sealed class MalformedMessageException : Exception
{
    public MalformedMessageException()
    {
    }

    public MalformedMessageException(string message)
        : base(message)
    {
    }

    public MalformedMessageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Internal signal: reading the caller's input stream failed. Never escapes the public API; it becomes
/// <see cref="DowngradeOutcome.Malformed"/> ("unreadable").</summary>
internal sealed class InputReadException : Exception
{
    public InputReadException()
    {
    }

    public InputReadException(string message)
        : base(message)
    {
    }

    public InputReadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
