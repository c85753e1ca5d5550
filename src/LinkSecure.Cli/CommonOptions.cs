using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Database;

namespace LinkSecure.Cli;

/// <summary>Options shared by the commands that need configuration and the known-domain database.</summary>
internal sealed class CommonOptions
{
    public Option<FileInfo?> Config { get; } = new("--config", "-c")
    {
        Description = "Configuration file (LinkSecure.config.json). Without it the embedded defaults apply.",
    };

    public Option<FileInfo[]> Database { get; } = new("--db")
    {
        Description = "Known-domain database file(s) in addition to those the configuration names; later files take precedence.",
        AllowMultipleArgumentsPerToken = false,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Config);
        command.Options.Add(Database);
    }

    public LinkSecureSettings LoadSettings(ParseResult result)
    {
        var file = result.GetValue(Config);
        if (file is null)
        {
            return LinkSecureSettings.Default;
        }

        try
        {
            return LinkSecureSettings.LoadFile(file.FullName);
        }
        catch (DocumentException ex)
        {
            throw new UsageException(ex.Message, ex);
        }
        catch (IOException ex)
        {
            throw new UsageException($"Cannot read the configuration file {file.FullName}: {ex.Message}", ex);
        }
        catch (System.UnauthorizedAccessException ex)
        {
            throw new UsageException($"Cannot read the configuration file {file.FullName}: {ex.Message}", ex);
        }
    }

    public KnownDomainDatabase LoadDatabase(ParseResult result, LinkSecureSettings settings, bool? useEmbedded = null)
    {
        var extra = new List<string>();
        foreach (var file in result.GetValue(Database) ?? System.Array.Empty<FileInfo>())
        {
            extra.Add(file.FullName);
        }

        try
        {
            return KnownDomainDatabase.LoadConfigured(settings, extra, useEmbedded);
        }
        catch (DocumentException ex)
        {
            throw new UsageException(ex.Message, ex);
        }
        catch (IOException ex)
        {
            throw new UsageException($"Cannot read a known-domain database: {ex.Message}", ex);
        }
        catch (System.UnauthorizedAccessException ex)
        {
            throw new UsageException($"Cannot read a known-domain database: {ex.Message}", ex);
        }
    }
}
