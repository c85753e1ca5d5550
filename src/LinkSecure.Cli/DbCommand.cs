using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using LinkSecure.Core.Database;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Cli;

/// <summary><c>linksecure db</c>: inspect and manage known-domain database files (docs/known-domains.md).</summary>
internal sealed class DbCommand
{
    private readonly CommonOptions common = new();

    private readonly Option<bool> noEmbedded = new("--no-embedded")
    {
        Description = "Leave out the embedded list of large providers.",
    };

    public Command Build()
    {
        var db = new Command("db", "Inspect and manage known-domain database files. 'list', 'show' and 'export-postfix' read the embedded list, the configuration's files and --db files; 'add', 'remove' and 'import-eff' change the one file named with --file.");
        db.Subcommands.Add(BuildList());
        db.Subcommands.Add(BuildShow());
        db.Subcommands.Add(BuildAdd());
        db.Subcommands.Add(BuildRemove());
        db.Subcommands.Add(BuildImportEff());
        db.Subcommands.Add(BuildExportPostfix());
        return db;
    }

    private static Option<FileInfo> FileOption() => new("--file", "-f")
    {
        Description = "The database file to change; created when missing.",
        Required = true,
    };

    private void AddReadOptions(Command command)
    {
        common.AddTo(command);
        command.Options.Add(noEmbedded);
    }

    private KnownDomainDatabase LoadMerged(ParseResult result)
    {
        var settings = common.LoadSettings(result);
        return common.LoadDatabase(result, settings, result.GetValue(noEmbedded) ? false : null);
    }

    private Command BuildList()
    {
        var json = new Option<bool>("--json") { Description = "Print the entries as JSON in the database file format." };
        var command = new Command("list", "List every entry: domain, level (effective), MX patterns, source, expiry.\n\nExit codes: 0 listed; 2 usage error.");
        AddReadOptions(command);
        command.Options.Add(json);
        command.SetAction(result =>
        {
            var database = LoadMerged(result);
            if (result.GetValue(json))
            {
                using var stdout = Console.OpenStandardOutput();
                database.WriteTo(stdout);
                Console.WriteLine();
                return ExitCodes.Ok;
            }

            var table = new TextTable("DOMAIN", "LEVEL", "MX PATTERNS", "EXPIRES", "SOURCE");
            foreach (var entry in database.Entries)
            {
                table.Add(
                    entry.Domain,
                    ((int)entry.EffectiveLevel).ToString(CultureInfo.InvariantCulture) + (entry.Unverified ? " (unverified)" : string.Empty),
                    entry.MxPatterns.Count == 0 ? "-" : string.Join(" ", entry.MxPatterns),
                    entry.Expires?.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "-",
                    entry.Source);
            }

            table.Write(Console.Out);
            Console.WriteLine($"{database.Count} entries.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private Command BuildShow()
    {
        var domain = new Argument<string>("domain") { Description = "The domain to show." };
        var command = new Command("show", "Show one domain's entry in full.\n\nExit codes: 0 found; 1 no entry (or expired); 2 usage error.");
        command.Arguments.Add(domain);
        AddReadOptions(command);
        command.SetAction(result =>
        {
            var name = result.GetValue(domain)!;
            if (!DomainName.TryNormalize(name, out var normalized))
            {
                throw new UsageException($"'{name}' is not a valid domain name.");
            }

            var database = LoadMerged(result);
            var entry = database.Entries.FirstOrDefault(e => e.Domain == normalized);
            if (entry is null)
            {
                Console.WriteLine($"{normalized}: no entry.");
                return ExitCodes.Negative;
            }

            var active = database.TryGet(normalized, DateTimeOffset.UtcNow, out _);
            Console.WriteLine($"Domain:     {entry.Domain}");
            Console.WriteLine($"Level:      {(int)entry.Level}{(entry.Unverified ? $" (unverified: counts as {(int)entry.EffectiveLevel})" : string.Empty)}");
            Console.WriteLine($"MX:         {(entry.MxPatterns.Count == 0 ? "-" : string.Join(", ", entry.MxPatterns))}");
            Console.WriteLine($"Source:     {entry.Source}");
            Console.WriteLine($"Verified:   {entry.Verified?.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "-"}");
            Console.WriteLine($"Expires:    {entry.Expires?.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "-"}");
            Console.WriteLine($"Notes:      {entry.Notes ?? "-"}");
            Console.WriteLine($"Postfix:    {PostfixPolicyExport.FormatLine(entry)}");
            if (!active)
            {
                Console.WriteLine("State:      EXPIRED — ignored by the agent");
                return ExitCodes.Negative;
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static KnownDomainDatabase LoadFileOrEmpty(FileInfo file)
    {
        if (!file.Exists)
        {
            return KnownDomainDatabase.Empty;
        }

        try
        {
            return KnownDomainDatabase.LoadFile(file.FullName);
        }
        catch (DocumentException ex)
        {
            throw new UsageException(ex.Message, ex);
        }
        catch (IOException ex)
        {
            throw new UsageException($"Cannot read {file.FullName}: {ex.Message}", ex);
        }
    }

    private static void Save(FileInfo file, KnownDomainDatabase database) => AtomicFile.Write(file.FullName, database.WriteTo);

    private static Command BuildAdd()
    {
        var domain = new Argument<string>("domain") { Description = "The domain to add or replace." };
        var level = new Option<int>("--level", "-l") { Description = "Level 0-4 (0 records 'never link-secure').", Required = true };
        var mx = new Option<string[]>("--mx") { Description = "MX host pattern (RFC 8461 §4.1: a host name or *.name); repeatable.", AllowMultipleArgumentsPerToken = true };
        var source = new Option<string>("--source") { Description = "Where the entry comes from.", DefaultValueFactory = _ => "admin" };
        var expires = new Option<DateTimeOffset?>("--expires") { Description = "Expiry date (ISO 8601)." };
        var unverified = new Option<bool>("--unverified") { Description = "Mark the entry as a public observation not verified (counts for level 1 at most)." };
        var file = FileOption();
        var command = new Command("add", "Add or replace a domain in a database file (written atomically).\n\nExit codes: 0 written; 2 usage error.");
        command.Arguments.Add(domain);
        command.Options.Add(level);
        command.Options.Add(mx);
        command.Options.Add(source);
        command.Options.Add(expires);
        command.Options.Add(unverified);
        command.Options.Add(file);
        command.SetAction(result =>
        {
            var name = result.GetValue(domain)!;
            if (!DomainName.TryNormalize(name, out var normalized))
            {
                throw new UsageException($"'{name}' is not a valid domain name.");
            }

            var levelValue = result.GetValue(level);
            if (levelValue is < 0 or > 4)
            {
                throw new UsageException($"--level {levelValue} is out of range; expected 0 to 4.");
            }

            var patterns = result.GetValue(mx) ?? Array.Empty<string>();
            foreach (var pattern in patterns)
            {
                if (!KnownDomainDatabase.IsValidMxPattern(pattern))
                {
                    throw new UsageException($"--mx '{pattern}' is not a host name or '*.' followed by a host name (RFC 8461 §4.1).");
                }
            }

            var target = result.GetValue(file)!;
            var database = LoadFileOrEmpty(target);
            var replaced = database.Entries.Any(e => e.Domain == normalized);
            database = database.With(new KnownDomainEntry
            {
                Domain = normalized,
                Level = (LinkSecurityLevel)levelValue,
                MxPatterns = patterns.Select(p => p.TrimEnd('.').ToLowerInvariant()).ToArray(),
                Source = result.GetValue(source) ?? "admin",
                Verified = DateTimeOffset.UtcNow.Date,
                Expires = result.GetValue(expires),
                Unverified = result.GetValue(unverified),
            });
            Save(target, database);
            Console.WriteLine($"{(replaced ? "Replaced" : "Added")} {normalized} (level {levelValue}) in {target.FullName}.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildRemove()
    {
        var domain = new Argument<string>("domain") { Description = "The domain to remove." };
        var file = FileOption();
        var command = new Command("remove", "Remove a domain from a database file.\n\nExit codes: 0 removed; 1 not present; 2 usage error.");
        command.Arguments.Add(domain);
        command.Options.Add(file);
        command.SetAction(result =>
        {
            var name = result.GetValue(domain)!;
            if (!DomainName.TryNormalize(name, out var normalized))
            {
                throw new UsageException($"'{name}' is not a valid domain name.");
            }

            var target = result.GetValue(file)!;
            var database = LoadFileOrEmpty(target).Without(normalized, out var removed);
            if (!removed)
            {
                Console.WriteLine($"{normalized} is not in {target.FullName}; nothing changed.");
                return ExitCodes.Negative;
            }

            Save(target, database);
            Console.WriteLine($"Removed {normalized} from {target.FullName}.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildImportEff()
    {
        var policy = new Argument<FileInfo>("policy.json") { Description = "A policy list in the EFF STARTTLS Everywhere format." };
        var file = FileOption();
        var command = new Command("import-eff", "Import the 'enforce' policies of an EFF STARTTLS Everywhere policy.json as level-1 entries (testing policies are skipped).\n\nExit codes: 0 imported; 2 usage error or invalid policy list.");
        command.Arguments.Add(policy);
        command.Options.Add(file);
        command.SetAction(result =>
        {
            var input = result.GetValue(policy)!;
            EffPolicyImporter.Result imported;
            try
            {
                using var stream = input.OpenRead();
                imported = EffPolicyImporter.Import(stream, input.FullName);
            }
            catch (DocumentException ex)
            {
                throw new UsageException(ex.Message, ex);
            }
            catch (IOException ex)
            {
                throw new UsageException($"Cannot read {input.FullName}: {ex.Message}", ex);
            }

            var target = result.GetValue(file)!;
            var database = LoadFileOrEmpty(target);
            foreach (var entry in imported.Entries)
            {
                database = database.With(entry);
            }

            Save(target, database);
            foreach (var warning in imported.Warnings)
            {
                Console.Error.WriteLine($"warning: {warning}");
            }

            Console.WriteLine($"Imported {imported.Entries.Count} enforce-mode policies into {target.FullName}; skipped {imported.SkippedTesting} not in enforce mode and {imported.Warnings.Count} invalid.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private Command BuildExportPostfix()
    {
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Write to this file instead of standard output." };
        var command = new Command("export-postfix", "Write the database as Postfix smtp_tls_policy_maps lines (e.g. 'example.com secure match=.mx.example.com') so a Postfix relay enforces the same policy.\n\nExit codes: 0 written; 2 usage error.");
        AddReadOptions(command);
        command.Options.Add(output);
        command.SetAction(result =>
        {
            var database = LoadMerged(result);
            var file = result.GetValue(output);
            if (file is null)
            {
                PostfixPolicyExport.Write(database.Entries, Console.Out);
            }
            else
            {
                AtomicFile.Write(file.FullName, stream =>
                {
                    using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 4096, leaveOpen: true);
                    PostfixPolicyExport.Write(database.Entries, writer);
                });
                Console.WriteLine($"Wrote {database.Count} policies to {file.FullName}.");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
