using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.NFNet.Benchmarks.SmallData;

/// <summary>One trained row of the small-data table, as printed and written to results.jsonl.</summary>
internal sealed record SmallDataResult
{
    public required string Row { get; init; }
    public required string Settings { get; init; }
    public required int TrainImages { get; init; }
    public required int TestImages { get; init; }
    public required double Accuracy { get; init; }
    public required double MacroAccuracy { get; init; }
    public double? BaselineAccuracy { get; init; }
    public double? TestTimeAugmentedAccuracy { get; init; }
    public required double TrainingSeconds { get; init; }
    public required double ScoringSeconds { get; init; }
    public required int EpochsCompleted { get; init; }
    public required int SelectedEpoch { get; init; }
    public double? LoadStart { get; init; }
    public double? LoadMean { get; init; }
    public double? LoadEnd { get; init; }
    public required int Cores { get; init; }
    public required string Target { get; init; }
    public required IReadOnlyList<string> AutomaticChoices { get; init; }
    public required string Command { get; init; }
    public required DateTimeOffset Finished { get; init; }

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public string Summary() => string.Create(CultureInfo.InvariantCulture,
        $"{Row} [{Settings}]: accuracy {Accuracy:P2} (macro {MacroAccuracy:P2}; softmax regression " +
        $"{(BaselineAccuracy is { } b ? b.ToString("P2", CultureInfo.InvariantCulture) : "not run")}" +
        $"{(TestTimeAugmentedAccuracy is { } t ? "; test-time averaging " + t.ToString("P2", CultureInfo.InvariantCulture) : "")}), " +
        $"training {TimeSpan.FromSeconds(TrainingSeconds):mm\\:ss}, {EpochsCompleted} epochs (kept {SelectedEpoch}), " +
        $"load {LoadStart:F2} → {LoadEnd:F2} (mean {LoadMean:F2}) on {Cores} cores; target {Target}");
}
