namespace LinkSecure.Cli;

/// <summary>Process exit codes shared by all commands (docs/cli.md).</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>Command-specific negative result (e.g. <c>check</c>: some domain below the required level; <c>config validate</c>: invalid).</summary>
    public const int Negative = 1;

    /// <summary>Usage error: unknown option, missing argument, unreadable configuration or database.</summary>
    public const int Usage = 2;

    /// <summary>Command-specific: <c>downgrade</c> found no safe part and no template; <c>check</c> runtime failure.</summary>
    public const int NoSafePart = 3;

    /// <summary><c>check</c>: the check itself failed for some domain (a lookup failed temporarily, the learned store
    /// could not be written, or an unexpected error); same value as <see cref="NoSafePart"/>.</summary>
    public const int RuntimeFailure = 3;

    /// <summary>The input message cannot be read or is malformed.</summary>
    public const int BadMessage = 4;
}
