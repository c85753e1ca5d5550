using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using LinkSecure.Core.Protocol;
using Xunit;

namespace LinkSecure.Core.Tests.Protocol;

/// <summary>
/// The cases of install-scripts/tests/RequestCases.json, read by the real parser. The transport-rule tests read the same
/// file with their PowerShell port of the parser (install-scripts/tests/RuleEngine.ps1), so both agree on every case.
/// </summary>
public class RequestParserCaseFileTests
{
    [Fact]
    public void CaseFile_EveryCase_ParsesAsWritten()
    {
        // Arrange
        var path = Path.Combine(TestPaths.RepositoryRoot(), "install-scripts", "tests", "RequestCases.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var cases = document.RootElement.GetProperty("cases");
        Assert.True(cases.GetArrayLength() >= 20);

        foreach (var item in cases.EnumerateArray())
        {
            var headers = new List<KeyValuePair<string, string>>();
            foreach (var header in item.GetProperty("headers").EnumerateArray())
            {
                headers.Add(new KeyValuePair<string, string>(header[0].GetString()!, header[1].GetString()!));
            }

            // Act
            var request = RequestParser.Parse(headers);

            // Assert
            var context = item.GetProperty("headers").GetRawText();
            Assert.True(item.GetProperty("level").GetInt32() == (int)request.Level, context + ": level " + request.Level);
            var fallback = LinkSecurityRequest.FormatFallback(request.Fallback);
            Assert.True(item.GetProperty("fallback").GetString() == fallback, context + ": fallback " + fallback);
            Assert.True(item.GetProperty("waived").GetBoolean() == request.IsWaiver, context + ": waived " + request.IsWaiver);
        }
    }
}
