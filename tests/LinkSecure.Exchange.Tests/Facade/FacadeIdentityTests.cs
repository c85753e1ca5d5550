using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.Exchange.Data.Mime;
using Microsoft.Exchange.Data.Transport;
using Xunit;

namespace LinkSecure.Exchange.Tests.Facade;

/// <summary>The facades carry the identity of Exchange 2013 CU23's SDK assemblies.</summary>
public class FacadeIdentityTests
{
    [Theory]
    [InlineData(typeof(RoutingAddress), "Microsoft.Exchange.Data.Transport")]
    [InlineData(typeof(MimeNode), "Microsoft.Exchange.Data.Common")]
    public void Facade_HasRealNameVersionAndToken(Type typeInFacade, string expectedName)
    {
        // Arrange
        AssemblyName name = typeInFacade.Assembly.GetName();

        // Act
        string token = string.Concat(name.GetPublicKeyToken().Select(b => b.ToString("x2")));

        // Assert
        Assert.Equal(expectedName, name.Name);
        Assert.Equal(new Version(15, 0, 1474, 0), name.Version);
        Assert.Equal("31bf3856ad364e35", token);
    }

    [Fact]
    public void PublicKeyFile_HashesToMicrosoftToken()
    {
        // Arrange
        byte[] key = typeof(RoutingAddress).Assembly.GetName().GetPublicKey();

        // Act
        byte[] hash;
#pragma warning disable CA5350 // A public key token is defined as the tail of the key's SHA-1 hash.
        using (SHA1 sha1 = SHA1.Create())
        {
            hash = sha1.ComputeHash(key);
        }
#pragma warning restore CA5350

        byte[] token = hash.Skip(hash.Length - 8).Reverse().ToArray();

        // Assert
        Assert.Equal(160, key.Length);
        Assert.Equal("31bf3856ad364e35", string.Concat(token.Select(b => b.ToString("x2"))));
    }

    [Fact]
    public void TransportFacade_ReferencesCommonFacadeWithSameIdentity()
    {
        // Arrange
        Assembly transport = typeof(RoutingAddress).Assembly;

        // Act
        AssemblyName common = transport.GetReferencedAssemblies().Single(a => a.Name == "Microsoft.Exchange.Data.Common");

        // Assert
        Assert.Equal(new Version(15, 0, 1474, 0), common.Version);
        Assert.Equal("31bf3856ad364e35", string.Concat(common.GetPublicKeyToken().Select(b => b.ToString("x2"))));
    }
}
