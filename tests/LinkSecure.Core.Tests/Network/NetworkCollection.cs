using LinkSecure.TestSupport.Network;
using Xunit;

namespace LinkSecure.Core.Tests.Network;

/// <summary>The loopback network servers of <see cref="NetworkFixture"/>, shared by the network tests. xunit only finds
/// collection definitions in the test assembly itself, so this lives here, not next to the fixture.</summary>
[CollectionDefinition(Name)]
public sealed class NetworkCollection : ICollectionFixture<NetworkFixture>
{
    public const string Name = "Loopback network servers";
}
