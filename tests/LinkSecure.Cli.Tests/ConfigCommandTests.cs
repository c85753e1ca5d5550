using System.IO;
using System.Threading.Tasks;
using Xunit;

namespace LinkSecure.Cli.Tests;

[Collection("console")]
public class ConfigCommandTests
{
    [Fact]
    public async Task Validate_ValidFile_Exit0()
    {
        // Act
        var result = await CliRunner.RunAsync("config", "validate", CliRunner.RepositoryFile("samples", "sample-config.json"));

        // Assert
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("valid", result.Out);
    }

    [Fact]
    public async Task Validate_InvalidFile_Exit1WithEveryErrorAndPath()
    {
        // Arrange
        var path = Path.GetTempFileName();
        await File.WriteAllTextAsync(path, """{ "defer": { "retryMinutes": 0 }, "routing": { "mode": "x" }, "typo": 1 }""");
        try
        {
            // Act
            var result = await CliRunner.RunAsync("config", "validate", path);

            // Assert
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("3 error(s)", result.Out);
            Assert.Contains("$.defer.retryMinutes", result.Out);
            Assert.Contains("$.routing.mode", result.Out);
            Assert.Contains("$.typo", result.Out);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Validate_MissingFile_Exit2()
    {
        // Act
        var result = await CliRunner.RunAsync("config", "validate", "/nonexistent/LinkSecure.config.json");

        // Assert
        Assert.Equal(2, result.ExitCode);
    }
}
