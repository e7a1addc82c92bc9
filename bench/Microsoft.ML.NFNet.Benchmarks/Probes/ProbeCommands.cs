using System.CommandLine;

namespace Microsoft.ML.NFNet.Benchmarks.Probes;

/// <summary>A command that hands its words to a probe's own argument reader (the probes take positional arguments).</summary>
internal abstract class PassThroughCommand : System.CommandLine.Command
{
    private readonly Argument<string[]> words = new("arguments") { Arity = ArgumentArity.ZeroOrMore };

    protected PassThroughCommand(string name, string description, string usage, Func<string[], int> run) : base(name, description)
    {
        words.Description = usage;
        Arguments.Add(words);
        SetAction(result => run(result.GetValue(words) ?? []));
    }
}

/// <summary><c>probe</c>: the CPU-time probes behind docs/performance.md (<see cref="PerfProbes"/>); eng/profile.sh
/// samples the <c>run</c> mode with perf.</summary>
internal sealed class ProbeCommand() : PassThroughCommand("probe",
    "CPU time per pass of the network's levers, two arms alternating in one process (docs/performance.md, 'Levers measured').",
    "run VARIANT BATCH SIZE ITERS [infer|train] [fp32|bf16] [frozen] | freeze|precision VARIANT BATCH SIZE ITERS | stem BATCH SIZE ITERS | " +
    "pool BATCH CHANNELS SIZE ITERS | save VARIANT SIZE ZIP | load ZIP | curve fp32|bf16 SEED EPOCHS SIZE", PerfProbes.Run);

/// <summary><c>reliability</c>: the before/after figures of docs/reliability.md (<see cref="ReliabilityProbes"/>).</summary>
internal sealed class ReliabilityCommand() : PassThroughCommand("reliability",
    "Peak memory and time of scoring a thin image, and what a bit flipped in a saved model's weights does (docs/reliability.md).",
    "thin [unlimited] [WxH@size ...] | bitflip [trials]", ReliabilityProbes.Run);

/// <summary><c>timm-export</c>: ExportTimm folders and reference outputs for eng/verify-timm-export.py
/// (<see cref="TimmExportCheck"/>), run by eng/verify-timm-export.sh.</summary>
internal sealed class TimmExportCommand() : PassThroughCommand("timm-export",
    "Writes ExportTimm folders with this library's logits and features for a fixed input, which eng/verify-timm-export.py " +
    "compares with timm's.", "OUTPUT_FOLDER (default timm-export-check)", TimmExportCheck.Run);

/// <summary><c>scalar-race</c>: TorchSharp's implicit Scalars freed mid-call under forced collections, against the
/// library's rooted ones (<see cref="ScalarRaceProbe"/>).</summary>
internal sealed class ScalarRaceCommand() : PassThroughCommand("scalar-race",
    "Adds CPU tensors in a loop while another thread forces garbage collections and finalizers: TorchSharp's a + b " +
    "(implicit alpha Scalar) against the library's rooted Scalar; counts native errors and wrong sums.",
    "implicit|rooted [SECONDS (default 20)] [ELEMENTS (default 64)]", ScalarRaceProbe.Run);
