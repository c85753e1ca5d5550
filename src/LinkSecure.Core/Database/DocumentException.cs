using System;
using System.Collections.Generic;
using System.Linq;

namespace LinkSecure.Core.Database;

/// <summary>A JSON document (database or configuration) could not be loaded; carries every error found.</summary>
public sealed class DocumentException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public DocumentException()
        : this("The document is invalid.", Array.Empty<DocumentError>())
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    public DocumentException(string message)
        : this(message, Array.Empty<DocumentError>())
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public DocumentException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = Array.Empty<DocumentError>();
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">A summary naming the document.</param>
    /// <param name="errors">Every error found, with its JSON path.</param>
    public DocumentException(string message, IReadOnlyList<DocumentError> errors)
        : base(errors is null || errors.Count == 0 ? message : message + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
    {
        Errors = errors ?? Array.Empty<DocumentError>();
    }

    /// <summary>Gets every error found.</summary>
    public IReadOnlyList<DocumentError> Errors { get; }
}
