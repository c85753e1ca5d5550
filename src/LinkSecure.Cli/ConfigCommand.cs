using System;
using System.CommandLine;
using System.IO;
using LinkSecure.Core.Configuration;

namespace LinkSecure.Cli;

/// <summary><c>linksecure config</c>: check configuration files (docs/configuration.md).</summary>
internal static class ConfigCommand
{
    public static Command Build()
    {
        var config = new Command("config", "Check configuration files.");
        var file = new Argument<FileInfo>("file") { Description = "The configuration file (LinkSecure.config.json)." };
        var validate = new Command("validate", "Validate a configuration file and print every error with its JSON path.\n\nExit codes: 0 valid; 1 invalid; 2 usage error (file missing or unreadable).");
        validate.Arguments.Add(file);
        validate.SetAction(result =>
        {
            var path = result.GetValue(file)!;
            if (!path.Exists)
            {
                throw new UsageException($"{path.FullName} does not exist.");
            }

            System.Collections.Generic.IReadOnlyList<Core.Database.DocumentError> errors;
            try
            {
                using var stream = path.OpenRead();
                errors = LinkSecureSettings.Validate(stream, path.FullName);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"Cannot read {path.FullName}: {ex.Message}", ex);
            }

            if (errors.Count == 0)
            {
                Console.WriteLine($"{path.FullName}: valid.");
                return ExitCodes.Ok;
            }

            Console.WriteLine($"{path.FullName}: {errors.Count} error(s).");
            foreach (var error in errors)
            {
                Console.WriteLine($"  {error.Path}: {error.Message}");
            }

            return ExitCodes.Negative;
        });
        config.Subcommands.Add(validate);
        return config;
    }
}
