using System.Text.RegularExpressions;
using Microsoft.ML.NFNet.Benchmarks;
using Microsoft.ML.NFNet.Benchmarks.Memory;
using Microsoft.ML.NFNet.Benchmarks.Speed;
using Microsoft.ML.NFNet.Benchmarks.Transfer;
using Microsoft.ML.NFNet.Samples.Cli;
using Microsoft.ML.NFNet.Samples.Transfer;

namespace Microsoft.ML.NFNet.Tests.Benchmarks;

/// <summary>
/// The benchmark app's command line against docs/benchmarks.md and the side-by-side tool's interface
/// (bench/peer/side_by_side.py, run by eng/side-by-side.sh). Only parses: nothing here benchmarks.
/// </summary>
[TestClass]
public class CommandLineTests
{
    private static readonly string ExistingFolder = AppContext.BaseDirectory;

    // Every command and the options the docs name.
    public static IEnumerable<object[]> DocumentedOptions =>
    [
        ["", new[] { "speed", "scoring", "small-data", "transfer", "webapi-load", "decode", "probe", "reliability", "memory",
            "timm-export", "scalar-race" }],
        ["speed", new[] { "--variants", "--variant", "--modes", "--mode", "--batch", "--size", "--runs", "--warmup",
            "--threads", "--precision", "--engine", "--no-freeze", "--model", "--result-line", "--data", "--data-image-size",
            "--output" }],
        ["scoring", new[] { "--figures", "--images", "--batch", "--rounds", "--threads" }],
        ["small-data", new[] { "--row", "--data", "--train-folder", "--test-folder", "--set", "--try", "--skip-baseline", "--tta", "--output" }],
        ["transfer", new[] { "--per-class", "--modes", "--fashion-mnist", "--pretrained", "--learning-rate", "--epochs",
            "--backbone-factor", "--warmup-epochs", "--crop-scale-min", "--flip", "--clipping", "--no-augmentation", "--tune", "--seeds", "--threads", "--verbose",
            "--remake-pretrained", "--pretrain-epochs", "--pretrain-quarter-turns", "--pretrain-crop-scale-min", "--pretrain-flip" }],
        ["webapi-load", new[] { "--model", "--image-size", "--image", "--concurrency", "--duration", "--warmup" }],
        ["decode", new[] { "--quick" }],
    ];

    [TestMethod]
    [DynamicData(nameof(DocumentedOptions))]
    public void HelpOfEachCommandListsItsOptions(string command, string[] expected)
    {
        var (code, output, error) = BenchCli.RunWithoutWork([.. BenchCli.Args(command), "--help"]);

        Assert.AreEqual(0, code, error);
        StringAssert.Contains(output, $"Usage:\n  Microsoft.ML.NFNet.Benchmarks {command}".TrimEnd().Replace("\n", Environment.NewLine));
        foreach (var name in expected)
            Assert.IsTrue(Regex.IsMatch(output, $@"(?<![\w-]){Regex.Escape(name)}(?![\w-])"), $"'{command} --help' lists {name}:\n{output}");
    }

    [TestMethod]
    [DataRow("speed --warmups 3", "--warmups", "--warmup")]
    [DataRow("sped --runs 3", "sped", "speed")]
    public void TypoGetsASuggestionAndFails(string commandLine, string typo, string suggestion)
    {
        var (code, output, error) = BenchCli.RunWithoutWork(BenchCli.Args(commandLine));

        Assert.AreNotEqual(0, code);
        Assert.AreEqual("", output, "errors and suggestions go to stderr");
        StringAssert.Contains(error, $"'{typo}' was not matched. Did you mean one of the following?");
        Assert.IsTrue(Regex.IsMatch(error, $@"^{Regex.Escape(suggestion)}\r?$", RegexOptions.Multiline), error);
        StringAssert.Contains(error, "--help' for the options.");
    }

    [TestMethod]
    [DataRow("speed --mode inferr", "--mode")]
    [DataRow("speed --variant F9", "--variant")]
    [DataRow("speed --precision fp16", "--precision")]
    [DataRow("speed --runs 0", "--runs")]
    [DataRow("speed --batch 8", "--batch")]
    [DataRow("scoring --figures F0", "--figures")]
    [DataRow("small-data --train-folder {folder}", "--test-folder")]
    [DataRow("small-data --test-folder {folder}", "--train-folder")]
    [DataRow("small-data --set Epochs=many", "--set")]
    [DataRow("transfer --per-class 200", "--per-class")]
    [DataRow("transfer --modes everything", "--modes")]
    public void BadValueIsRejectedByTheParserWithTheOptionName(string commandLine, string option)
    {
        var result = BenchCli.Parse(BenchCli.Args(commandLine));
        Assert.AreEqual(1, result.Errors.Count, string.Join(" | ", result.Errors.Select(e => e.Message)));
        StringAssert.Contains(result.Errors[0].Message, option);

        var (code, output, error) = BenchCli.RunWithoutWork(BenchCli.Args(commandLine));
        Assert.AreEqual(1, code);
        Assert.AreEqual("", output);
        StringAssert.Contains(error, result.Errors[0].Message);
    }

    [TestMethod]
    [DataRow("engine")]
    [DataRow("generate {folder}")]
    [DataRow("generate {folder} many")]
    [DataRow("mlnet {folder} lots")]
    [DataRow("train {folder}")]
    public void MemoryModeWithWrongArgumentsFailsBeforeAnyWork(string words)
    {
        Assert.AreEqual(1, MemoryProbe.Run(BenchCli.Args(words)));
    }

    [TestMethod]
    public void TransferDefaultsAreAutomaticOnTheEmbeddedImages()
    {
        var result = BenchCli.Parse("transfer");
        Assert.IsEmpty(result.Errors);
        var request = ((TransferBenchCommand)result.CommandResult.Command).Bind(result);

        CollectionAssert.AreEqual(new[] { 10, 25, 100 }, request.PerClass);
        CollectionAssert.AreEqual(Enum.GetValues<TransferMode>(), request.Modes);
        Assert.AreEqual("automatic", request.Overrides.ToString());
        Assert.IsNull(request.FashionMnist);
        Assert.IsNull(request.Remake);
        Assert.AreEqual(new PretrainingRecipe(8, 0.1, 0.35, QuarterTurns: false), request.Recipe);
    }

    [TestMethod]
    public void PretrainingRecipeOptionsAreParsed()
    {
        var result = BenchCli.Parse("transfer", "--remake-pretrained", "out", "--pretrain-epochs", "3", "--pretrain-quarter-turns",
            "--pretrain-crop-scale-min", "0.2", "--pretrain-label-smoothing", "0", "--pretrain-flip", "0");
        var request = ((TransferBenchCommand)result.CommandResult.Command).Bind(result);

        Assert.AreEqual(new PretrainingRecipe(3, 0, 0.2, QuarterTurns: true, HorizontalFlipProbability: 0), request.Recipe);
        Assert.AreEqual("3 epochs at 32 px, label smoothing 0, crops ≥ 20 %, mirrored with probability 0, every quarter turn a label of its own", request.Recipe.ToString());
    }

    [TestMethod]
    public void TransferOverridesAreParsed()
    {
        var result = BenchCli.Parse("transfer", "--per-class", "10,25", "--modes", "full,head", "--learning-rate", "0.1",
            "--no-augmentation", "--threads", "1");
        var request = ((TransferBenchCommand)result.CommandResult.Command).Bind(result);

        CollectionAssert.AreEqual(new[] { TransferMode.Full, TransferMode.Head }, request.Modes);
        Assert.AreEqual("lr 0.1, no augmentation", request.Overrides.ToString());
        Assert.AreEqual(1, request.Threads);
    }

    [TestMethod]
    public void TransferTakesAnotherClassSplitAndRejectsOneThatLeavesTooFewNewClasses()
    {
        var result = BenchCli.Parse("transfer", "--pretrain-classes", "0,1,2,5,7");
        var request = ((TransferBenchCommand)result.CommandResult.Command).Bind(result);

        CollectionAssert.AreEquivalent(new[] { "T-shirt_top", "Trouser", "Pullover", "Sandal", "Sneaker" }, request.Classes.Pretraining.ToArray());
        CollectionAssert.AreEquivalent(new[] { 3, 4, 6, 8, 9 }, request.Classes.NewLabels.ToArray());
        Assert.IsFalse(request.Classes.IsShipped);
        Assert.IsTrue(((TransferBenchCommand)BenchCli.Parse("transfer").CommandResult.Command).Bind(BenchCli.Parse("transfer")).Classes.IsShipped);

        foreach (var labels in new[] { "0,0,1", "0,1,2,3,4,5,6,7,8" })
        {
            var bad = BenchCli.Parse("transfer", "--pretrain-classes", labels);
            var error = Assert.ThrowsExactly<UsageException>(() => ((TransferBenchCommand)bad.CommandResult.Command).Bind(bad));
            StringAssert.Contains(error.Message, "--pretrain-classes");
        }
    }

    [TestMethod]
    [DataRow("transfer --pretrain-classes 0,0", "distinct labels")]
    [DataRow("transfer --pretrain-classes 0,1,2", "give --fashion-mnist and --pretrained")]
    [DataRow("transfer --remake-pretrained {folder}", "--remake-pretrained needs --fashion-mnist")]
    public void TransferOptionsThatDoNotGoTogetherPrintOneErrorLineBeforeAnyWork(string commandLine, string message)
    {
        // These parse cleanly: the command itself finds the conflict, before it reads any image.
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = BenchmarkCommandLine.Invoke(BenchCli.Parse(BenchCli.Args(commandLine)), output, error);

        Assert.AreEqual(1, code);
        Assert.AreEqual("", output.ToString());
        var lines = error.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(1, lines, error.ToString());
        StringAssert.StartsWith(lines[0], "Error: ");
        StringAssert.Contains(lines[0], message);
    }

    [TestMethod]
    public void TransferOverridesReachTheTrainerOptionsAndKeepTheBackboneFactorForPretrainedModes()
    {
        var overrides = new TransferOverrides(LearningRate: 0.1, Epochs: 7, BackboneFactor: 0.5, WarmupEpochs: 0, CropScaleMin: 0.35,
            NoAugmentation: true);
        var pretrained = new NFNetTrainingOptions();
        var scratch = new NFNetTrainingOptions();

        overrides.Apply(pretrained, fromScratch: false);
        overrides.Apply(scratch, fromScratch: true);

        Assert.AreEqual((0.1, 0.0, 7), (pretrained.Optimizer.LearningRate, pretrained.Optimizer.WarmupEpochs, pretrained.Epochs));
        Assert.AreEqual((0.35, false, 0.0), (pretrained.Preprocessing.CropScaleMin, pretrained.Preprocessing.RandomResizedCrop,
            pretrained.Preprocessing.HorizontalFlipProbability));
        Assert.AreEqual(0.5, pretrained.BackboneLearningRateFactor);
        Assert.IsNull(scratch.BackboneLearningRateFactor, "a network trained from scratch has no pretrained backbone");
    }

    [TestMethod]
    public void BenchIssue11FormParsesToOneFigure()
    {
        var settings = Bench("speed --variant F0 --mode infer --batch 1 --size 256 --runs 10 --warmup 3 --precision bf16 --result-line");

        CollectionAssert.AreEqual(new[] { new BenchFigure("F0", BenchMode.Infer, 1, 256) }, settings.Figures().ToArray());
        Assert.AreEqual(10, settings.Runs);
        Assert.AreEqual(3, settings.Warmup);
        Assert.AreEqual(NFNetPrecision.BFloat16, settings.Precision);
        Assert.IsTrue(settings.ResultLine);
        Assert.AreEqual(2, settings.Threads, "the side-by-side protocol's 2 threads are the default");
    }

    // side_by_side.py formats --ours with these placeholders: infer figures at 10 runs / 3 warm-ups, train at 4 / 2.
    [TestMethod]
    [DataRow("F0", "infer", "1", "256", "10", "3")]
    [DataRow("eca_nfnet_l0", "infer", "8", "192", "10", "3")]
    [DataRow("F0", "train", "8", "192", "4", "2")]
    public void SideBySideTemplateParsesToTheFigureItAsksFor(string variant, string mode, string batch, string size,
        string runs, string warmup)
    {
        var expectedMode = mode == "infer" ? BenchMode.Infer : BenchMode.Train;
        const string template = "speed --variant {variant} --mode {mode} --batch {batch} --size {size} --runs {runs} " +
                                "--warmup {warmup} --result-line";
        var settings = Bench(template.Replace("{variant}", variant).Replace("{mode}", mode).Replace("{batch}", batch)
            .Replace("{size}", size).Replace("{runs}", runs).Replace("{warmup}", warmup));

        CollectionAssert.AreEqual(new[] { new BenchFigure(variant, expectedMode, int.Parse(batch), int.Parse(size)) },
            settings.Figures().ToArray());
        Assert.AreEqual(int.Parse(runs), settings.Runs);
        Assert.AreEqual(int.Parse(warmup), settings.Warmup);
        Assert.AreEqual(NFNetPrecision.Float32, settings.Precision);
        Assert.IsTrue(settings.ResultLine);
    }

    [TestMethod]
    [DataRow("transform", 8, 224)]
    [DataRow("first-prediction", 1, 224)]
    [DataRow("bf16-agreement", 32, 64)]
    public void BenchMlNetFiguresParseToOneFigureWithTheirEngine(string mode, int batch, int size)
    {
        var settings = Bench($"speed --variant eca_nfnet_l0 --mode {mode} --batch {batch} --size {size} --engine onnxruntime " +
                             "--no-freeze --result-line");

        var expectedMode = SpeedSettings.ModeNames[mode];
        CollectionAssert.AreEqual(new[] { new BenchFigure("eca_nfnet_l0", expectedMode, batch, size) }, settings.Figures().ToArray());
        Assert.AreEqual(mode, SpeedSettings.NameOf(expectedMode), "the RESULT line's mode is the CLI name");
        Assert.AreEqual(BenchEngine.OnnxRuntime, settings.Engine);
        Assert.IsFalse(settings.Freeze);
        Assert.IsNull(settings.ModelPath);
    }

    [TestMethod]
    public void BenchScoresFrozenOnTorchSharpByDefault()
    {
        var settings = Bench("speed --variant F0 --mode infer --batch 1 --size 256");
        Assert.AreEqual(BenchEngine.TorchSharp, settings.Engine);
        Assert.IsTrue(settings.Freeze, "as NFNetModelParameters scores");
    }

    [TestMethod]
    public void BenchWithoutOptionsMeasuresTheReadmeTable()
    {
        var settings = Bench("speed");

        // docs/performance.md: eca_nfnet_l0 and F0; inference at 1/256 and 8/192; a training step at 8/192; the data
        // pipeline; median of 10 runs, 2 threads.
        var expected = new[] { "eca_nfnet_l0", "F0" }.SelectMany(v => new[]
        {
            new BenchFigure(v, BenchMode.Infer, 1, 256), new BenchFigure(v, BenchMode.Infer, 8, 192),
            new BenchFigure(v, BenchMode.Train, 8, 192),
        }).ToArray();
        CollectionAssert.AreEqual(expected, settings.Figures().ToArray());
        CollectionAssert.Contains(settings.Modes.ToArray(), BenchMode.Data);
        Assert.AreEqual((10, 2, 2), (settings.Runs, settings.Warmup, settings.Threads));
        Assert.AreEqual(NFNetPrecision.Float32, settings.Precision);
        Assert.IsFalse(settings.ResultLine);
        Assert.AreEqual("bench-results", settings.Output);
        Assert.AreEqual(Path.Combine(AppContext.BaseDirectory, "Data", "FashionMnist"), settings.DataFolder);
    }

    [TestMethod]
    [DataRow("speed --variants F0,eca_nfnet_l0 --modes inference,train")]
    [DataRow("speed --variants F0 --variants eca_nfnet_l0 --modes inference --modes train")]
    [DataRow("speed --variant F0 eca_nfnet_l0 --mode infer train")]
    public void BenchListsStillTakeSeveralVariantsAndModes(string commandLine)
    {
        var settings = Bench(commandLine);

        CollectionAssert.AreEqual(new[] { "F0", "eca_nfnet_l0" }, settings.Variants.ToArray());
        CollectionAssert.AreEqual(new[] { BenchMode.Infer, BenchMode.Train }, settings.Modes.ToArray());
        Assert.AreEqual(6, settings.Figures().Count());
    }

    [TestMethod]
    public void BenchDataModeTakesAFolder()
    {
        var settings = Bench($"speed --modes data --data {ExistingFolder} --data-image-size 128");

        Assert.AreEqual(0, settings.Figures().Count(), "no network figures in data mode");
        Assert.AreEqual(ExistingFolder, settings.DataFolder);
        Assert.AreEqual(128, settings.DataImageSize);
    }

    [TestMethod]
    [DataRow("infer")]
    [DataRow("train")]
    public void ResultLineIsOneJsonLineWithTheSideBySideKeys(string modeName)
    {
        var mode = modeName == "infer" ? BenchMode.Infer : BenchMode.Train;
        var row = new BenchmarkResult("F0", "inference", "cpu", Batch: 8, Resolution: 192, Runs: 10, MedianMs: 751.25,
            MinMs: 702.5, ImagesPerSecond: 10.65, PeakRssMiB: 1608.4, Notes: "n/a") { Precision = "bf16" };

        var line = ResultLine.Format(row, mode, warmup: 3, threads: 2);

        // side_by_side.py: the first line that starts with 'RESULT ', the rest parsed as JSON.
        Assert.IsTrue(line.StartsWith("RESULT ", StringComparison.Ordinal), line);
        Assert.IsFalse(line.Contains('\n') || line.Contains('\r'), "one line");
        using var json = System.Text.Json.JsonDocument.Parse(line[7..]);
        var figure = json.RootElement;
        Assert.AreEqual("F0", figure.GetProperty("variant").GetString());
        Assert.AreEqual(modeName, figure.GetProperty("mode").GetString());
        Assert.AreEqual(8, figure.GetProperty("batch").GetInt32());
        Assert.AreEqual(192, figure.GetProperty("size").GetInt32());
        Assert.AreEqual("bf16", figure.GetProperty("precision").GetString());
        Assert.AreEqual(751.25, figure.GetProperty("median_ms").GetDouble());
        Assert.AreEqual(702.5, figure.GetProperty("min_ms").GetDouble());
        Assert.AreEqual(10, figure.GetProperty("runs").GetInt32());
        Assert.AreEqual(3, figure.GetProperty("warmup").GetInt32());
        Assert.AreEqual(1608.4, figure.GetProperty("peak_rss_mib").GetDouble());
    }

    private static SpeedSettings Bench(string commandLine)
    {
        var result = BenchCli.Parse(BenchCli.Args(commandLine));
        Assert.AreEqual(0, result.Errors.Count, string.Join(" | ", result.Errors.Select(e => e.Message)));
        return ((SpeedCommand)result.CommandResult.Command).Bind(result);
    }
}
