namespace LinkSecure.Core.Database;

/// <summary>A problem in a JSON document, located by its JSON path (shared by the database and configuration readers).</summary>
public sealed class DocumentError
{
    /// <summary>Creates an error.</summary>
    /// <param name="path">The JSON path, e.g. <c>$.domains[3].level</c>.</param>
    /// <param name="message">What is wrong and what is expected.</param>
    public DocumentError(string path, string message)
    {
        Path = path;
        Message = message;
    }

    /// <summary>Gets the JSON path of the offending value.</summary>
    public string Path { get; }

    /// <summary>Gets the description of the problem.</summary>
    public string Message { get; }

    /// <summary>Formats the error as <c>path: message</c>.</summary>
    /// <returns>One line.</returns>
    public override string ToString() => $"{Path}: {Message}";
}
