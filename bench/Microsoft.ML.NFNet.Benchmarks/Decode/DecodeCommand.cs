using System.CommandLine;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Microsoft.ML.NFNet.Benchmarks.Decode;

/// <summary>
/// <c>decode</c>: <see cref="DecodeBenchmarks"/> under BenchmarkDotNet, in this process (the libtorch and SkiaSharp
/// natives are already beside it; a generated child project would copy 600 MB again).
/// </summary>
internal sealed class DecodeCommand : System.CommandLine.Command
{
    private readonly Option<bool> quick = new("--quick")
    {
        Description = "BenchmarkDotNet's short run (3 iterations after 3 warm-ups) instead of its default statistics: seconds, not minutes",
    };

    public DecodeCommand() : base("decode",
        "Decode time of a 500×375 image per format and decoder (the library's DecodeRgb and the decoders alone), measured " +
        "by BenchmarkDotNet; writes its reports to BenchmarkDotNet.Artifacts.")
    {
        Options.Add(quick);
        SetAction(result => Run(result.GetValue(quick)));
    }

    private static int Run(bool quick)
    {
        var job = (quick ? Job.ShortRun : Job.Default).WithToolchain(InProcessEmitToolchain.Instance);
        var config = DefaultConfig.Instance.AddJob(job.AsDefault())
            .AddColumn(StatisticColumn.Median, StatisticColumn.Min)
            .WithSummaryStyle(SummaryStyle.Default.WithMaxParameterColumnWidth(48));
        var summary = BenchmarkRunner.Run<DecodeBenchmarks>(config);
        return summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success) ? 1 : 0;
    }
}
