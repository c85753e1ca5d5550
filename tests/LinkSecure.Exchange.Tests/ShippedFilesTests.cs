using System;
using System.IO;
using System.Linq;
using System.Reflection;
using LinkSecure.Core.Configuration;
using LinkSecure.Exchange.Logging;
using Xunit;

namespace LinkSecure.Exchange.Tests;

/// <summary>The configuration template, the NLog configuration and the System.ValueTuple facade that ship beside the agent.</summary>
public class ShippedFilesTests
{
    private static string Shipped(string name) => Path.Combine(AppDomain.CurrentDomain.BaseDirectory, name);

    [Fact]
    public void ValueTupleFacade_HasTheVersionSystemTextJsonReferences()
    {
        // Arrange: .NET Framework 4.8 unifies System.ValueTuple requests only up to its own 4.0.2.0 (docs/building.md).
        var requested = typeof(System.Text.Json.JsonSerializer).Assembly.GetReferencedAssemblies().Single(r => r.Name == "System.ValueTuple");

        // Act
        var shipped = AssemblyName.GetAssemblyName(Shipped("System.ValueTuple.dll"));

        // Assert
        Assert.Equal(requested.Version, shipped.Version);
        Assert.Equal(requested.GetPublicKeyToken(), shipped.GetPublicKeyToken());
    }

    [Fact]
    public void ValueTupleFacade_ForwardsToTheFrameworksTypes()
    {
        // Arrange: the net47 facade defines no ValueTuple of its own, so the agent and the host share one type.
        var facade = Assembly.LoadFrom(Shipped("System.ValueTuple.dll"));

        // Act
        var forwarded = facade.GetType("System.ValueTuple`2", throwOnError: true)!;

        // Assert
        Assert.Same(typeof(ValueTuple<int, int>).GetGenericTypeDefinition(), forwarded);
        Assert.Equal(typeof(object).Assembly, forwarded.Assembly);
    }

    [Fact]
    public void ConfigurationTemplate_IsValidAndEqualsTheDefaults()
    {
        // Act
        var settings = LinkSecureSettings.LoadFile(Shipped("LinkSecure.config.json"));

        // Assert
        var defaults = LinkSecureSettings.Default;
        Assert.Equal(defaults.EnforceForAllMail, settings.EnforceForAllMail);
        Assert.Equal(defaults.Routing.Mode, settings.Routing.Mode);
        Assert.Equal(defaults.Routing.DomainValidationDomain, settings.Routing.DomainValidationDomain);
        Assert.Equal(defaults.Routing.CertificateValidationDomain, settings.Routing.CertificateValidationDomain);
        Assert.Equal(defaults.Routing.EncryptionOnlyDomain, settings.Routing.EncryptionOnlyDomain);
        Assert.Equal(defaults.Defer.RetryAfter, settings.Defer.RetryAfter);
        Assert.Equal(defaults.Defer.MaxDefer, settings.Defer.MaxDefer);
        Assert.Equal(defaults.Agent.LookupBudget, settings.Agent.LookupBudget);
    }

    [Fact]
    public void NlogConfiguration_HasNoUnknownSetting()
    {
        // Arrange: the agent loads it leniently; here every unknown attribute or target type is an error.
        using var factory = new NLog.LogFactory { ThrowConfigExceptions = true, ThrowExceptions = true };

        // Act
        var error = Record.Exception(() => new NLog.Config.XmlLoggingConfiguration(Shipped(AgentLog.ConfigFileName), factory));

        // Assert
        Assert.Null(error);
    }

    [Fact]
    public void NlogConfiguration_LoadsAndEnablesDecisionLines()
    {
        // Arrange
        var dir = Path.Combine(Path.GetTempPath(), "linksecure-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.Copy(Shipped(AgentLog.ConfigFileName), Path.Combine(dir, AgentLog.ConfigFileName));

        // Act
        using var log = AgentLog.Create(dir, new EventLogWriter());

        // Assert
        Assert.NotNull(log.Factory?.Configuration);
        Assert.True(log.DecisionsEnabled);
        Assert.NotNull(log.Factory!.Configuration.FindTargetByName("decisions"));
    }
}
