using System;
using System.IO;

namespace LinkSecure.Core.Tests;

/// <summary>Locates test data copied next to the test assembly.</summary>
internal static class TestPaths
{
    public static string TestData(params string[] parts)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData");
        foreach (var part in parts)
        {
            path = Path.Combine(path, part);
        }

        return path;
    }

    /// <summary>Finds the repository root (the folder holding ExchangeLinkSecure.sln).</summary>
    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ExchangeLinkSecure.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Repository root not found.");
    }
}
