using Microsoft.ML.NFNet.Benchmarks.Probes;

namespace Microsoft.ML.NFNet.Benchmarks.Memory;

/// <summary><c>memory</c>: peak RSS of one <c>Fit</c> as the data grows (docs/large-data.md, <see cref="MemoryProbe"/>);
/// eng/memory-bench.sh runs it once per path and size, each in its own process, and compares.</summary>
internal sealed class MemoryCommand() : PassThroughCommand("memory",
    "Peak resident memory and images/s of one Fit of nfnet_tiny (1 epoch, 64 px) on generated 256 px JPEGs, through a folder, " +
    "memory or an IDataView (docs/large-data.md); run by eng/memory-bench.sh.", MemoryProbe.Usage, MemoryProbe.Run);
