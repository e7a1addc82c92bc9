using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.NFNet.Samples.Cli;
using Microsoft.ML.NFNet.Samples;
using ModelInput = Microsoft.ML.NFNet.Samples.MLModel.ModelInput;

namespace Microsoft.ML.NFNet.Benchmarks.SmallData;

/// <summary>
/// The <c>small-data</c> command: trains nfnet with the default options on each row of the small-data table
/// (Fashion-MNIST subsets, and derived data for robustness), tests it, and prints accuracy, time, the machine's load and
/// the automatic choices, next to softmax regression on the raw pixels of the same images.
/// </summary>
internal sealed class SmallDataBenchCommand : System.CommandLine.Command
{
    private readonly Option<string[]> rows = CliOptions.List("--row",
        "Rows to run, comma-separated: sample (the embedded subset), subset3000, full, robustness (all of: " +
        string.Join(", ", SmallDataRow.RobustnessRows) + ") or one of those",
        ValueParsers.OneOf(SmallDataRow.AllRows.ToDictionary(r => r, r => r, StringComparer.OrdinalIgnoreCase)),
        "name", "sample", "--rows");
    private readonly Option<string> data = CliOptions.Single("--data", "Folder of Fashion-MNIST's IDX files",
        ValueParsers.ExistingFolder, "folder", () => FashionMnistFiles.DefaultFolder);
    private readonly Option<string?> trainFolder = CliOptions.Single<string?>("--train-folder",
        "Your own training images, one sub-folder per class: runs this row (with --test-folder) instead of --row",
        ValueParsers.ExistingFolder, "folder");
    private readonly Option<string?> testFolder = CliOptions.Single<string?>("--test-folder",
        "Your own test images, one sub-folder per class (with --train-folder)", ValueParsers.ExistingFolder, "folder");
    private readonly Option<(string Name, string Value)[]> set = CliOptions.List("--set",
        "Settings for every run, Name=Value (e.g. ImageSize=64, MaxTrainingTime=00:30:00); an explicit setting wins over " +
        "the automatic choice", TrainerOverrides.Parse, "Name=Value", "none");
    private readonly Option<string[]> tries = new("--try")
    {
        Description = "One run per --try, with its own settings separated by ';' (e.g. --try 'ImageSize=32;Epochs=40' " +
                      "--try default) [default: one run with the defaults]",
        HelpName = "settings",
    };
    private readonly Option<bool> skipBaseline = new("--skip-baseline") { Description = "Do not train softmax regression" };
    private readonly Option<bool> testTimeAugmentation = new("--tta")
    {
        Description = "Train with ImagePreprocessingOptions.TestTimeAugmentation (scores average 4 shifted views, and the mirror " +
                      "when trained with flips) and report both that and the single-view accuracy",
    };
    private readonly Option<string> output = CliOptions.Single("--output", "Folder for results.jsonl (appended)",
        text => text, "dir", () => "small-data-results");

    public SmallDataBenchCommand() : base("small-data",
        "Trains with the default options on the small-data rows (Fashion-MNIST subsets; derived gray 8×8 and 14×14, " +
        "two-class, 100-per-class, unbalanced and colour data) and prints test accuracy, training time and load average " +
        "next to softmax regression on the raw pixels.")
    {
        foreach (var option in new Option[] { rows, data, trainFolder, testFolder, set, tries, skipBaseline, testTimeAugmentation, output })
            Options.Add(option);
        Validators.Add(result =>
        {
            if ((result.GetValue(trainFolder) is null) != (result.GetValue(testFolder) is null))
                result.AddError("--train-folder and --test-folder go together: give both (your own data), or neither (--row).");
        });
        SetAction(result => Run(result));
    }

    private int Run(ParseResult result)
    {
        var names = result.GetValue(rows) is { Length: > 0 } given ? given : ["sample"];
        var expanded = names.SelectMany(n => n == "robustness" ? SmallDataRow.RobustnessRows : [n]).Distinct().ToArray();
        var common = result.GetValue(set) ?? [];
        var runs = (result.GetValue(tries) is { Length: > 0 } t ? t : ["default"])
            .Select(text => text == "default" ? [] : text.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(TrainerOverrides.Parse).ToArray())
            .ToArray();
        var folder = result.GetValue(data)!;
        Directory.CreateDirectory(result.GetValue(output)!);
        var resultsFile = Path.Combine(result.GetValue(output)!, "results.jsonl");
        var command = BenchmarkCommandLine.Name + " " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
        var results = new List<SmallDataResult>();
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; load {LoadAverage.Read():F2}");

        var ownTrain = result.GetValue(trainFolder);
        var ownTest = result.GetValue(testFolder);
        var selected = ownTrain is null
            ? expanded.Select(name => (Func<SmallDataRow>)(() => SmallDataRow.Create(name, folder)))
            : [() => SmallDataRow.Folders(ownTrain, ownTest!)];
        foreach (var createRow in selected)
        {
            var row = createRow();
            Console.WriteLine($"== {row.Name}: {row.Description}; {row.Train.Count + (row.Validation?.Count ?? 0):N0} training, " +
                              $"{row.Test.Count:N0} test images; target {row.Target}");
            double? baseline = null;
            if (!result.GetValue(skipBaseline))
            {
                var (accuracy, time) = SoftmaxBaseline.Run([.. row.Train, .. row.Validation ?? []], row.Test, seed: 1);
                baseline = accuracy;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"   softmax regression on the raw pixels: {accuracy:P2} ({time.TotalSeconds:F0} s)"));
            }
            foreach (var settings in runs)
            {
                var all = common.Concat(settings).ToArray();
                var measured = TrainAndTest(row, all, baseline, command, result.GetValue(testTimeAugmentation));
                results.Add(measured);
                Console.WriteLine("   " + measured.Summary());
                Console.WriteLine("RESULT " + measured.ToJson());
                File.AppendAllText(resultsFile, measured.ToJson() + Environment.NewLine);
            }
        }
        Console.WriteLine();
        foreach (var measured in results)
            Console.WriteLine(measured.Summary());
        Console.WriteLine($"Results appended to {Path.GetFullPath(resultsFile)}.");
        return 0;
    }

    private static SmallDataResult TrainAndTest(SmallDataRow row, (string Name, string Value)[] settings, double? baseline, string command,
        bool testTimeAugmentation)
    {
        var label = settings.Length == 0 ? "defaults" : string.Join("; ", settings.Select(s => $"{s.Name}={s.Value}"));
        var mlContext = new MLContext(seed: 1);
        var trainView = mlContext.Data.LoadFromEnumerable(row.Train);
        var labelToKey = mlContext.Transforms.Conversion.MapValueToKey("Label", "Label");
        var keys = labelToKey.Fit(trainView);
        var options = new NFNetImageClassificationTrainer.Options
        {
            LabelColumnName = "Label",
            FeatureColumnName = nameof(ModelInput.ImageSource),
            Training = new NFNetTrainingOptions
            {
                Seed = 1,
                MetricsCallback = m =>
                {
                    if (m.IsEpochEnd)
                        Console.WriteLine("   " + m);
                },
            },
        };
        if (row.Validation is { } validation)
        {
            options.ValidationSet = keys.Transform(mlContext.Data.LoadFromEnumerable(validation));
            options.ValidationSetFraction = 0;
        }
        options = TrainerOverrides.Apply(options, settings);
        if (testTimeAugmentation)
            options.Training = options.Training with
            {
                Preprocessing = options.Training.Preprocessing with { TestTimeAugmentation = true },
            };
        if (options.Architecture is { } architecture)
            Console.WriteLine($"   Architecture = {architecture.Name} {string.Join('-', architecture.Depths)} × {architecture.WidthFactor}");

        var clock = Stopwatch.StartNew();
        NFNetPredictionTransformer trained;
        double? loadStart, loadMean, loadEnd;
        using (var load = new LoadAverage())
        {
            trained = mlContext.MulticlassClassification.Trainers.NFNet(options).Fit(keys.Transform(trainView));
            loadStart = load.Start;
            load.Dispose();
            (loadMean, loadEnd) = (load.Mean, load.End);
        }
        var trainingTime = clock.Elapsed;
        var parameters = trained.Model;
        clock.Restart();
        var probabilities = parameters.PredictProbabilities(row.Test.Select(r => (ReadOnlyMemory<byte>)r.ImageSource).ToArray(), batchSize: 256);
        var scoringTime = clock.Elapsed;
        var labels = parameters.Labels ?? throw new InvalidOperationException("The model has no class names.");
        var predicted = probabilities.Select(p => labels[Array.IndexOf(p, p.Max())]).ToArray();
        var correct = row.Test.Select((r, i) => r.Label == predicted[i]).ToArray();
        var perClass = PerClass(row.Test, correct);
        var accuracy = correct.Count(c => c) / (double)correct.Length;
        double? ttaAccuracy = null;
        if (testTimeAugmentation)
        {
            // The model scores with the library's averaging (it was trained with TestTimeAugmentation = true); the single
            // view comes from the same network and preprocessing without it.
            ttaAccuracy = accuracy;
            probabilities = SingleView(parameters, row.Test);
            predicted = probabilities.Select(p => labels[Array.IndexOf(p, p.Max())]).ToArray();
            correct = row.Test.Select((r, i) => r.Label == predicted[i]).ToArray();
            perClass = PerClass(row.Test, correct);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"   test-time augmentation (ImagePreprocessingOptions.TestTimeAugmentation): {ttaAccuracy:P2}; single view " +
                $"{correct.Count(c => c) / (double)correct.Length:P2}"));
        }
        var summary = parameters.Training;
        var result = new SmallDataResult
        {
            Row = row.Name,
            Settings = label,
            TrainImages = row.Train.Count + (row.Validation?.Count ?? 0),
            TestImages = row.Test.Count,
            Accuracy = correct.Count(c => c) / (double)correct.Length,
            MacroAccuracy = perClass.Average(),
            BaselineAccuracy = baseline,
            TestTimeAugmentedAccuracy = ttaAccuracy,
            TrainingSeconds = trainingTime.TotalSeconds,
            ScoringSeconds = scoringTime.TotalSeconds,
            EpochsCompleted = summary?.EpochsCompleted ?? 0,
            SelectedEpoch = summary?.SelectedEpoch ?? 0,
            LoadStart = loadStart,
            LoadMean = loadMean,
            LoadEnd = loadEnd,
            Cores = Environment.ProcessorCount,
            Target = row.Target,
            AutomaticChoices = summary?.AutomaticChoices ?? [],
            Command = command,
            Finished = DateTimeOffset.Now,
        };
        parameters.Model.Dispose();
        return result;
    }

    private static double[] PerClass(IReadOnlyList<ModelInput> test, bool[] correct) => test
        .Select((r, i) => (r.Label, Correct: correct[i])).GroupBy(x => x.Label)
        .Select(g => g.Count(x => x.Correct) / (double)g.Count()).ToArray();

    /// <summary>Class probabilities from the network and the model's preprocessing, one view per image.</summary>
    private static float[][] SingleView(NFNetModelParameters parameters, IReadOnlyList<ModelInput> test)
    {
        var batcher = new ImageBatcher(parameters.Preprocessing with { TestTimeAugmentation = false });
        var result = new List<float[]>();
        using var _ = TorchSharp.torch.no_grad();
        foreach (var chunk in test.Chunk(256))
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            var batch = batcher.CreateEvaluationBatch(chunk.Select(r => (ReadOnlyMemory<byte>)r.ImageSource).ToArray());
            var p = TorchSharp.torch.nn.functional.softmax(parameters.Model.call(batch), dim: 1);
            var values = p.data<float>().ToArray();
            for (var i = 0; i < chunk.Length; i++)
                result.Add(values.AsSpan(i * parameters.ClassCount, parameters.ClassCount).ToArray());
        }
        return result.ToArray();
    }
}
