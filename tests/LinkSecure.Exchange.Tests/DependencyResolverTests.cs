using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Reflection;
using LinkSecure.Exchange.Logging;
using Xunit;

namespace LinkSecure.Exchange.Tests;

/// <summary>
/// The AssemblyResolve handler answers only for the files we ship, only for our version or a lower one with our token,
/// logs a refusal once per name, and never throws.
/// </summary>
public class DependencyResolverTests
{
    private const string NlogToken = "5120e14c03d0593c";
    private static readonly MethodInfo Handler = typeof(DependencyResolver).GetMethod("OnAssemblyResolve", BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly string Bin = AppDomain.CurrentDomain.BaseDirectory;
    private static readonly Version NlogVersion = typeof(NLog.LogFactory).Assembly.GetName().Version!;

    private static Assembly? AskRegistered(string name) => (Assembly?)Handler.Invoke(null, new object?[] { null, new ResolveEventArgs(name) });

    private static string Nlog(string version, string token = NlogToken) => $"NLog, Version={version}, Culture=neutral, PublicKeyToken={token}";

    private static string TempFolder()
    {
        var dir = Path.Combine(Path.GetTempPath(), "linksecure-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Fact]
    public void ShippedNames_OurDependenciesButNoExchangeAssembly()
    {
        // Arrange
        DependencyResolver.Register();

        // Act
        var names = DependencyResolver.ShippedNames();

        // Assert
        Assert.Contains("NLog", names);
        Assert.Contains("MimeKit", names);
        Assert.Contains("System.ValueTuple", names);
        Assert.DoesNotContain(names, n => n.StartsWith("Microsoft.Exchange.", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void RegisteredHandler_LowerVersionOfShippedName_ReturnsOurFile()
    {
        // Arrange
        DependencyResolver.Register();

        // Act
        var assembly = AskRegistered(Nlog("1.2.3.4"));

        // Assert
        Assert.NotNull(assembly);
        Assert.Equal("NLog", assembly!.GetName().Name);
    }

    [Theory]
    [InlineData("Some.Other.Library, Version=1.0.0.0")]
    [InlineData("Microsoft.Exchange.Data.Transport, Version=15.2.1114.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35")]
    [InlineData("this is not, an assembly = name,,,")]
    [InlineData("NLog, Version=99.0.0.0, Culture=neutral, PublicKeyToken=5120e14c03d0593c")]
    public void RegisteredHandler_AnythingElse_NullWithoutThrowing(string name)
    {
        // Arrange
        DependencyResolver.Register();

        // Act
        var assembly = AskRegistered(name);

        // Assert
        Assert.Null(assembly);
    }

    [Theory]
    [InlineData("NLog, Version=6.0.0.0, Culture=neutral, PublicKeyToken=5120e14c03d0593c", "Load")]
    [InlineData("NLog, Version=4.0.0.0, Culture=neutral, PublicKeyToken=5120e14c03d0593c", "Load")]
    [InlineData("NLog", "Load")]
    [InlineData("NLog, Version=6.0.0.1, Culture=neutral, PublicKeyToken=5120e14c03d0593c", "Refused")]
    [InlineData("NLog, Version=6.0.0.0, Culture=neutral, PublicKeyToken=null", "Refused")]
    [InlineData("NLog, Version=6.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089", "Refused")]
    [InlineData("NLog, Version=6.0.0.0, Culture=de, PublicKeyToken=5120e14c03d0593c", "NotOurs")]
    public void Decide_AgainstNlog600_AnswersOnlyForOurVersionOrLowerWithOurToken(string requested, string expectedAnswer)
    {
        // Arrange
        var expected = (DependencyResolver.Answer)Enum.Parse(typeof(DependencyResolver.Answer), expectedAnswer);
        var ours = new AssemblyName(Nlog("6.0.0.0"));

        // Act
        var answer = DependencyResolver.Decide(new AssemblyName(requested), ours, out var why);

        // Assert
        Assert.Equal(expected, answer);
        Assert.Equal(expected == DependencyResolver.Answer.Refused, why.Length > 0);
    }

    [Fact]
    public void Resolve_ExactVersion_ReturnsOurFile()
    {
        // Arrange
        var folder = DependencyResolver.ShippedFolder.Read(Bin, new RecordingEventLog());

        // Act
        var assembly = folder.Resolve(Nlog(NlogVersion.ToString()), requester: null);

        // Assert
        Assert.NotNull(assembly);
        Assert.Equal(Nlog(NlogVersion.ToString()), assembly!.FullName);
    }

    [Fact]
    public void Resolve_HigherVersion_NullAndLoggedOncePerName()
    {
        // Arrange
        var log = new RecordingEventLog();
        var folder = DependencyResolver.ShippedFolder.Read(Bin, log);
        var higher = new Version(NlogVersion.Major + 1, 0, 0, 0).ToString();

        // Act
        var first = folder.Resolve(Nlog(higher), typeof(DependencyResolverTests).Assembly);
        var second = folder.Resolve(Nlog(higher), typeof(DependencyResolverTests).Assembly);
        var third = folder.Resolve(Nlog(NlogVersion.Major + 2 + ".0.0.0"), requester: null);

        // Assert
        Assert.Null(first);
        Assert.Null(second);
        Assert.Null(third);
        var entry = Assert.Single(log.Entries);
        Assert.Equal(AgentEventId.DependencyRefused, entry.Id);
        Assert.Equal(EventLogEntryType.Warning, entry.Type);
        Assert.Contains("version " + higher + ", higher than the agent's " + NlogVersion, entry.Message);
        Assert.Contains("LinkSecure.Exchange.Tests", entry.Message);
    }

    [Fact]
    public void Resolve_OtherToken_NullAndLogged()
    {
        // Arrange
        var log = new RecordingEventLog();
        var folder = DependencyResolver.ShippedFolder.Read(Bin, log);

        // Act
        var assembly = folder.Resolve(Nlog(NlogVersion.ToString(), "b77a5c561934e089"), requester: null);

        // Assert
        Assert.Null(assembly);
        Assert.Contains("public key token b77a5c561934e089, the agent's copy has " + NlogToken, Assert.Single(log.Entries).Message);
    }

    [Fact]
    public void Read_SkipsExchangeSdkNonAssembliesAndMisnamedFiles()
    {
        // Arrange
        var dir = TempFolder();
        var nlog = typeof(NLog.LogFactory).Assembly.Location;
        File.Copy(nlog, Path.Combine(dir, "NLog.dll"));
        File.Copy(nlog, Path.Combine(dir, "Renamed.dll"));
        File.Copy(Path.Combine(Bin, "Microsoft.Exchange.Data.Transport.dll"), Path.Combine(dir, "Microsoft.Exchange.Data.Transport.dll"));
        File.WriteAllText(Path.Combine(dir, "Native.dll"), "not a PE file");

        // Act
        var folder = DependencyResolver.ShippedFolder.Read(dir, new RecordingEventLog());

        // Assert
        Assert.Equal(new[] { "NLog" }, folder.Names);
        Assert.Null(folder.Resolve("Native", requester: null));
        Assert.Null(folder.Resolve("Renamed", requester: null));
    }

    [Fact]
    public void Resolve_FileGoneSinceRead_NullWithoutThrowing()
    {
        // Arrange
        var dir = TempFolder();
        var copy = Path.Combine(dir, "NLog.dll");
        File.Copy(typeof(NLog.LogFactory).Assembly.Location, copy);
        var log = new RecordingEventLog();
        var folder = DependencyResolver.ShippedFolder.Read(dir, log);
        File.Delete(copy);

        // Act
        var assembly = folder.Resolve(Nlog(NlogVersion.ToString()), requester: null);

        // Assert
        Assert.Null(assembly);
        Assert.Empty(log.Entries);
    }

    [Fact]
    public void Resolve_NullName_Null()
    {
        // Arrange
        var folder = DependencyResolver.ShippedFolder.Read(Bin, new RecordingEventLog());

        // Act
        var assembly = folder.Resolve(null, requester: null);

        // Assert
        Assert.Null(assembly);
    }

    private sealed class RecordingEventLog : EventLogWriter
    {
        public List<(AgentEventId Id, EventLogEntryType Type, string Message)> Entries { get; } = new();

        public override void Write(AgentEventId id, EventLogEntryType type, string message) => Entries.Add((id, type, message));
    }
}
