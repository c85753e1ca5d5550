// net48 lacks this compiler-support type (init accessors).
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit
    {
    }
}
