using System;
using System.Reflection;
using Xunit;

namespace LinkSecure.Exchange.Tests;

/// <summary>The AssemblyResolve handler answers only for the files we ship, whatever version is asked for, and never throws.</summary>
public class DependencyResolverTests
{
    private static readonly MethodInfo Resolve = typeof(DependencyResolver).GetMethod("OnAssemblyResolve", BindingFlags.NonPublic | BindingFlags.Static)!;

    private static Assembly? Ask(string name) => (Assembly?)Resolve.Invoke(null, new object?[] { null, new ResolveEventArgs(name) });

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
        Assert.DoesNotContain(names, n => n.StartsWith("Microsoft.Exchange.", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Resolve_ShippedNameWithOtherVersion_ReturnsOurFile()
    {
        // Arrange
        DependencyResolver.Register();

        // Act
        var assembly = Ask("NLog, Version=1.2.3.4, Culture=neutral, PublicKeyToken=5120e14c03d0593c");

        // Assert
        Assert.NotNull(assembly);
        Assert.Equal("NLog", assembly!.GetName().Name);
    }

    [Theory]
    [InlineData("Some.Other.Library, Version=1.0.0.0")]
    [InlineData("Microsoft.Exchange.Data.Transport, Version=15.2.1114.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35")]
    [InlineData("this is not, an assembly = name,,,")]
    public void Resolve_AnythingElse_NullWithoutThrowing(string name)
    {
        // Arrange
        DependencyResolver.Register();

        // Act
        var assembly = Ask(name);

        // Assert
        Assert.Null(assembly);
    }
}
