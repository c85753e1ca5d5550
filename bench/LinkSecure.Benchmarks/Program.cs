using BenchmarkDotNet.Running;

namespace LinkSecure.Benchmarks;

/// <summary>Runs the benchmarks chosen on the command line (BenchmarkDotNet switcher).</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    /// <param name="args">BenchmarkDotNet arguments, e.g. <c>--filter *Decision*</c>.</param>
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
