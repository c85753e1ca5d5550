using System.Threading.Tasks;
using BenchmarkDotNet.Running;
using LinkSecure.Benchmarks.Socketmap;

namespace LinkSecure.Benchmarks;

/// <summary>Runs the benchmarks chosen on the command line (BenchmarkDotNet switcher), or the socketmap comparison.</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    /// <param name="args">BenchmarkDotNet arguments, e.g. <c>--filter *Decision*</c>; or <c>socketmap</c> and its options
    /// (<see cref="SocketmapComparison.RunAsync"/>, run by bench/policy-server-vs-peer.sh).</param>
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "socketmap")
        {
            return await SocketmapComparison.RunAsync(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
