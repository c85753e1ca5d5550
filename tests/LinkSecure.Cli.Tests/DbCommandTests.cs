using System;
using System.IO;
using System.Threading.Tasks;
using LinkSecure.Core.Database;
using LinkSecure.Core.Protocol;
using Xunit;

namespace LinkSecure.Cli.Tests;

[Collection("console")]
public sealed class DbCommandTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("linksecure-db-").FullName;

    private string DbFile => Path.Combine(dir, "db.json");

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public async Task Add_CreatesFile_ThenShowAndRemove()
    {
        // Act
        var add = await CliRunner.RunAsync("db", "add", "Partner.Example", "--level", "3", "--mx", "*.mx.partner.example", "--mx", "backup.partner.example", "--file", DbFile);
        var show = await CliRunner.RunAsync("db", "show", "partner.example", "--db", DbFile, "--no-embedded");
        var remove = await CliRunner.RunAsync("db", "remove", "partner.example", "--file", DbFile);
        var removeAgain = await CliRunner.RunAsync("db", "remove", "partner.example", "--file", DbFile);
        var showGone = await CliRunner.RunAsync("db", "show", "partner.example", "--db", DbFile, "--no-embedded");

        // Assert
        Assert.Equal(0, add.ExitCode);
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("Level:      3", show.Out);
        Assert.Contains("partner.example secure match=.mx.partner.example:backup.partner.example", show.Out);
        Assert.Equal(0, remove.ExitCode);
        Assert.Equal(1, removeAgain.ExitCode);
        Assert.Equal(1, showGone.ExitCode);
        Assert.Equal(0, KnownDomainDatabase.LoadFile(DbFile).Count);
    }

    [Fact]
    public async Task Add_WritesTheDocumentedFormat()
    {
        // Act
        var result = await CliRunner.RunAsync("db", "add", "x.example", "--level", "2", "--source", "contract 7", "--expires", "2030-01-01", "--file", DbFile);
        var db = KnownDomainDatabase.LoadFile(DbFile);

        // Assert
        Assert.Equal(0, result.ExitCode);
        Assert.True(db.TryGet("x.example", new DateTimeOffset(2029, 1, 1, 0, 0, 0, TimeSpan.Zero), out var entry));
        Assert.Equal(LinkSecurityLevel.ReadSecure, entry!.Level);
        Assert.Equal("contract 7", entry.Source);
        Assert.False(db.TryGet("x.example", new DateTimeOffset(2030, 1, 2, 0, 0, 0, TimeSpan.Zero), out _));
    }

    [Theory]
    [InlineData("db", "add", "not a domain", "--level", "1")]
    [InlineData("db", "add", "x.example", "--level", "7")]
    [InlineData("db", "add", "x.example", "--level", "1", "--mx", "*.*.bad")]
    [InlineData("db", "add", "x.example")]
    public async Task Add_BadInput_Exit2AndNoFile(params string[] args)
    {
        // Act
        var result = await CliRunner.RunAsync([.. args, "--file", DbFile]);

        // Assert
        Assert.Equal(2, result.ExitCode);
        Assert.False(File.Exists(DbFile));
    }

    [Fact]
    public async Task CorruptFile_IsNotOverwritten()
    {
        // Arrange
        await File.WriteAllTextAsync(DbFile, "{ corrupt");

        // Act
        var result = await CliRunner.RunAsync("db", "add", "x.example", "--level", "1", "--file", DbFile);

        // Assert
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("not valid JSON", result.Error);
        Assert.Equal("{ corrupt", await File.ReadAllTextAsync(DbFile));
    }

    [Fact]
    public async Task ImportEff_ImportsEnforceOnly()
    {
        // Arrange
        var policy = Path.Combine(dir, "policy.json");
        await File.WriteAllTextAsync(policy, """
        { "expires": "2099-01-01T00:00:00Z", "policies": {
            "a.example": { "mode": "enforce", "mxs": [".mx.a.example"] },
            "b.example": { "mode": "testing", "mxs": ["mx.b.example"] } } }
        """);

        // Act
        var result = await CliRunner.RunAsync("db", "import-eff", policy, "--file", DbFile);
        var db = KnownDomainDatabase.LoadFile(DbFile);

        // Assert
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Imported 1", result.Out);
        Assert.Contains("skipped 1", result.Out);
        Assert.Equal(1, db.Count);
        Assert.Equal(new[] { "*.mx.a.example" }, db.Entries[0].MxPatterns);
    }

    [Fact]
    public async Task ImportEff_NotAPolicyList_Exit2()
    {
        // Arrange
        var policy = Path.Combine(dir, "policy.json");
        await File.WriteAllTextAsync(policy, "[1,2]");

        // Act
        var result = await CliRunner.RunAsync("db", "import-eff", policy, "--file", DbFile);

        // Assert
        Assert.Equal(2, result.ExitCode);
    }

    [Fact]
    public async Task List_AndExportPostfix_IncludeEmbeddedAndFileEntries()
    {
        // Arrange
        await CliRunner.RunAsync("db", "add", "never.example", "--level", "0", "--file", DbFile);
        await CliRunner.RunAsync("db", "add", "plain.example", "--level", "1", "--file", DbFile);
        var output = Path.Combine(dir, "tls_policy");

        // Act
        var list = await CliRunner.RunAsync("db", "list", "--db", DbFile);
        var export = await CliRunner.RunAsync("db", "export-postfix", "--db", DbFile, "-o", output);
        var lines = await File.ReadAllLinesAsync(output);

        // Assert
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("gmail.com", list.Out);
        Assert.Contains("never.example", list.Out);
        Assert.Equal(0, export.ExitCode);
        Assert.Contains("gmail.com secure match=gmail-smtp-in.l.google.com:.gmail-smtp-in.l.google.com", lines);
        Assert.Contains("plain.example verify", lines);
        Assert.Contains("# never.example: level 0 (never link-secure); no policy", lines);
    }
}
