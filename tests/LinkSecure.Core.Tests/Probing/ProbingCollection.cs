using LinkSecure.TestSupport.Probing;
using Xunit;

namespace LinkSecure.Core.Tests.Probing;

/// <summary>The test CA and private Postfix instance of <see cref="ProbingFixture"/>, shared by the probe tests. xunit
/// only finds collection definitions in the test assembly itself, so this lives here, not next to the fixture.</summary>
[CollectionDefinition(Name)]
public sealed class ProbingCollection : ICollectionFixture<ProbingFixture>
{
    public const string Name = "SMTP probe servers";
}
