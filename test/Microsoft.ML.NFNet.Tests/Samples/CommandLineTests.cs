using System.CommandLine.Invocation;
using System.Text.RegularExpressions;
using Microsoft.ML.NFNet.Samples.Benchmarks;
using Microsoft.ML.NFNet.Samples.Cli;
using Microsoft.ML.NFNet.Samples.Commands;
using Microsoft.ML.NFNet.Samples.Training;

namespace Microsoft.ML.NFNet.Tests.Samples;

/// <summary>
/// The sample app's command line against the README ("The sample app", "Benchmarks") and the side-by-side tool's
/// interface (shared/tools/anchor/side-by-side.py). Only parses: nothing here trains or benchmarks.
/// </summary>
[TestClass]
public class CommandLineTests
{
    private static readonly string ExistingFolder = AppContext.BaseDirectory;
    private static readonly string ExistingFile = typeof(CommandLineTests).Assembly.Location;

    // Every command and option the README documents, and the help text listed before this parser.
    public static IEnumerable<object[]> DocumentedOptions =>
    [
        ["", new[] { "--epochs", "--image-size", "--batch-size", "--learning-rate", "--arch", "--seed", "--output",
            "train", "predict", "evaluate", "bench", "bench-scoring" }],
        ["train", new[] { "--data", "--arch", "--epochs", "--image-size", "--batch-size", "--learning-rate",
            "--validation-fraction", "--seed", "--output" }],
        ["predict", new[] { "--model", "--top", "<images>" }],
        ["evaluate", new[] { "--model", "--data", "--output" }],
        ["bench", new[] { "--variants", "--variant", "--modes", "--mode", "--batch", "--size", "--runs", "--warmup",
            "--threads", "--precision", "--engine", "--no-freeze", "--model", "--result-line", "--data", "--data-image-size",
            "--output" }],
        ["bench-scoring", new[] { "--figures", "--images", "--batch", "--rounds", "--threads" }],
    ];

    [TestMethod]
    [DynamicData(nameof(DocumentedOptions))]
    public void HelpOfEachCommandListsItsOptions(string command, string[] expected)
    {
        var (code, output, error) = SampleCli.RunWithoutWork([.. Args(command), "--help"]);

        Assert.AreEqual(0, code, error);
        StringAssert.Contains(output, $"Usage:\n  nfnet-samples {command}".TrimEnd().Replace("\n", Environment.NewLine));
        foreach (var name in expected)
            Assert.IsTrue(Regex.IsMatch(output, $@"(?<![\w-]){Regex.Escape(name)}(?![\w-])"), $"'{command} --help' lists {name}:\n{output}");
    }

    [TestMethod]
    [DataRow("train --data {folder} --epoch 3", "--epoch", "--epochs")]
    [DataRow("trian --data {folder}", "trian", "train")]
    [DataRow("bench --warmups 3", "--warmups", "--warmup")]
    public void TypoGetsASuggestionAndFails(string commandLine, string typo, string suggestion)
    {
        var (code, output, error) = SampleCli.RunWithoutWork(Args(commandLine));

        Assert.AreNotEqual(0, code);
        Assert.AreEqual("", output, "errors and suggestions go to stderr");
        StringAssert.Contains(error, $"'{typo}' was not matched. Did you mean one of the following?");
        Assert.IsTrue(Regex.IsMatch(error, $@"^{Regex.Escape(suggestion)}\r?$", RegexOptions.Multiline), error);
        StringAssert.Contains(error, "--help' for the options.");
    }

    [TestMethod]
    [DataRow("--epochs abc", "--epochs")]
    [DataRow("--epochs 0", "--epochs")]
    [DataRow("--image-size 16", "--image-size")]
    [DataRow("--arch nfnet_f99", "--arch")]
    [DataRow("--learning-rate 0", "--learning-rate")]
    [DataRow("--learning-rate 0,1", "--learning-rate")]
    [DataRow("train --data {folder} --validation-fraction 1", "--validation-fraction")]
    [DataRow("train --data /no/such/folder", "--data")]
    [DataRow("train --data {folder} --batch-size -4", "--batch-size")]
    [DataRow("predict --model /no/such/model.zip {file}", "--model")]
    [DataRow("predict --model {file} --top 0 {file}", "--top")]
    [DataRow("predict --model {file} /no/such/image.png", "/no/such/image.png")]
    [DataRow("evaluate --model {file} --data /no/such/folder", "--data")]
    [DataRow("bench --mode inferr", "--mode")]
    [DataRow("bench --variant F9", "--variant")]
    [DataRow("bench --precision fp16", "--precision")]
    [DataRow("bench --runs 0", "--runs")]
    [DataRow("bench --batch 8", "--batch")]
    [DataRow("small-data-bench --train-folder {folder}", "--test-folder")]
    [DataRow("small-data-bench --test-folder {folder}", "--train-folder")]
    public void BadValueIsRejectedByTheParserWithTheOptionName(string commandLine, string option)
    {
        var result = SampleCli.Parse(Args(commandLine));
        Assert.AreEqual(1, result.Errors.Count, string.Join(" | ", result.Errors.Select(e => e.Message)));
        StringAssert.Contains(result.Errors[0].Message, option);

        var (code, output, error) = SampleCli.RunWithoutWork(Args(commandLine));
        Assert.AreEqual(1, code);
        Assert.AreEqual("", output);
        StringAssert.Contains(error, result.Errors[0].Message);
    }

    [TestMethod]
    [DataRow("train", "Option '--data' is required.")]
    [DataRow("evaluate --data {folder}", "Option '--model' is required.")]
    [DataRow("predict --model {file}", "Required argument 'images' missing for command: 'predict'.")]
    public void MissingRequiredOptionIsNamed(string commandLine, string message)
    {
        var (code, _, error) = SampleCli.RunWithoutWork(Args(commandLine));

        Assert.AreEqual(1, code);
        StringAssert.Contains(error, message);
        StringAssert.Contains(error, $"Run 'nfnet-samples {commandLine.Split(' ')[0]} --help' for the options.");
    }

    [TestMethod]
    public void DatasetWithOneClassPrintsOneErrorLineAndExitCode1()
    {
        // Runs `train` for real, but it stops while reading the folder: a classifier needs two classes.
        var root = Directory.CreateTempSubdirectory("nfnet-cli-");
        try
        {
            var classFolder = Directory.CreateDirectory(Path.Combine(root.FullName, "data", "only-class"));
            File.WriteAllBytes(Path.Combine(classFolder.FullName, "a.png"), MLNet.TestImages.Encode(0, seed: 1, png: true));
            var result = SampleCli.Parse("train", "--data", classFolder.Parent!.FullName, "--output", Path.Combine(root.FullName, "out"));
            Assert.AreEqual(0, result.Errors.Count, string.Join(" | ", result.Errors.Select(e => e.Message)));
            using var output = new StringWriter();
            using var error = new StringWriter();

            var code = SampleCommandLine.Invoke(result, output, error);

            Assert.AreEqual(1, code);
            var lines = error.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
            Assert.AreEqual(1, lines.Length, error.ToString());
            StringAssert.StartsWith(lines[0], "Error: ");
            StringAssert.Contains(lines[0], "class folder");
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void NoArgumentsRunsTheFashionMnistSampleWithTheReadmeSettings()
    {
        var result = SampleCli.Parse();
        Assert.AreEqual(0, result.Errors.Count);
        Assert.IsNotInstanceOfType<ParseErrorAction>(result.Action);
        Assert.IsInstanceOfType<FashionMnistSampleCommand>(result.CommandResult.Command);

        var request = ((FashionMnistSampleCommand)result.CommandResult.Command).Bind(result);
        // README: nfnet_tiny with the trainer's automatic settings (epochs, size, crops, rate), written to ./nfnet-output.
        Assert.AreEqual(new TrainingSettings("nfnet_tiny", Epochs: null, ImageSize: null, BatchSize: 32, Seed: 1, LearningRate: null,
            CropScaleMin: null), request.Settings);
        Assert.AreEqual("nfnet-output", request.Output);
    }

    [TestMethod]
    public void SampleOptionsOverrideTheDefaults()
    {
        var result = SampleCli.Parse("--epochs", "3", "--image-size=96", "--batch-size", "16", "--learning-rate", "0.05",
            "--arch", "eca_nfnet_l0", "--seed", "7", "--output", "out");
        Assert.AreEqual(0, result.Errors.Count, string.Join(" | ", result.Errors.Select(e => e.Message)));

        var request = ((FashionMnistSampleCommand)result.CommandResult.Command).Bind(result);
        Assert.AreEqual(new TrainingSettings("eca_nfnet_l0", Epochs: 3, ImageSize: 96, BatchSize: 16, Seed: 7, LearningRate: 0.05,
            CropScaleMin: null), request.Settings);
        Assert.AreEqual("out", request.Output);
    }

    [TestMethod]
    public void TrainDefaultsAreTheDocumentedOnes()
    {
        var result = SampleCli.Parse("train", "--data", ExistingFolder);
        Assert.AreEqual(0, result.Errors.Count, string.Join(" | ", result.Errors.Select(e => e.Message)));

        var request = ((TrainCommand)result.CommandResult.Command).Bind(result);
        // Null = the trainer's automatic choice from the data.
        Assert.AreEqual(new TrainCommand.Request(ExistingFolder,
            new TrainingSettings("nfnet_tiny", Epochs: null, ImageSize: null, BatchSize: 32, Seed: 1, LearningRate: null),
            ValidationFraction: 0.2, Output: "nfnet-output"), request);
    }

    [TestMethod]
    public void PredictTakesImagesBeforeOrAfterTheOptions()
    {
        var result = SampleCli.Parse("predict", ExistingFile, "--model", ExistingFile, ExistingFolder, "--top", "5");
        Assert.AreEqual(0, result.Errors.Count, string.Join(" | ", result.Errors.Select(e => e.Message)));

        var request = ((PredictCommand)result.CommandResult.Command).Bind(result);
        Assert.AreEqual(ExistingFile, request.Model);
        Assert.AreEqual(5, request.Top);
        CollectionAssert.AreEqual(new[] { ExistingFile, ExistingFolder }, request.Images.ToArray());
    }

    [TestMethod]
    public void BenchIssue11FormParsesToOneFigure()
    {
        var settings = Bench("bench --variant F0 --mode infer --batch 1 --size 256 --runs 10 --warmup 3 --precision bf16 --result-line");

        CollectionAssert.AreEqual(new[] { new BenchFigure("F0", BenchMode.Infer, 1, 256) }, settings.Figures().ToArray());
        Assert.AreEqual(10, settings.Runs);
        Assert.AreEqual(3, settings.Warmup);
        Assert.AreEqual(NFNetPrecision.BFloat16, settings.Precision);
        Assert.IsTrue(settings.ResultLine);
        Assert.AreEqual(2, settings.Threads, "the side-by-side protocol's 2 threads are the default");
    }

    // side-by-side.py formats --ours with these placeholders: infer figures at 10 runs / 3 warm-ups, train at 4 / 2.
    [TestMethod]
    [DataRow("F0", "infer", "1", "256", "10", "3")]
    [DataRow("eca_nfnet_l0", "infer", "8", "192", "10", "3")]
    [DataRow("F0", "train", "8", "192", "4", "2")]
    public void SideBySideTemplateParsesToTheFigureItAsksFor(string variant, string mode, string batch, string size,
        string runs, string warmup)
    {
        var expectedMode = mode == "infer" ? BenchMode.Infer : BenchMode.Train;
        const string template = "bench --variant {variant} --mode {mode} --batch {batch} --size {size} --runs {runs} " +
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
        var settings = Bench($"bench --variant eca_nfnet_l0 --mode {mode} --batch {batch} --size {size} --engine onnxruntime " +
                             "--no-freeze --result-line");

        var expectedMode = BenchSettings.ModeNames[mode];
        CollectionAssert.AreEqual(new[] { new BenchFigure("eca_nfnet_l0", expectedMode, batch, size) }, settings.Figures().ToArray());
        Assert.AreEqual(mode, BenchSettings.NameOf(expectedMode), "the RESULT line's mode is the CLI name");
        Assert.AreEqual(BenchEngine.OnnxRuntime, settings.Engine);
        Assert.IsFalse(settings.Freeze);
        Assert.IsNull(settings.ModelPath);
    }

    [TestMethod]
    public void BenchScoresFrozenOnTorchSharpByDefault()
    {
        var settings = Bench("bench --variant F0 --mode infer --batch 1 --size 256");
        Assert.AreEqual(BenchEngine.TorchSharp, settings.Engine);
        Assert.IsTrue(settings.Freeze, "as NFNetModelParameters scores");
    }

    [TestMethod]
    public void BenchWithoutOptionsMeasuresTheReadmeTable()
    {
        var settings = Bench("bench");

        // README "Benchmarks": eca_nfnet_l0 and F0; inference at 1/256 and 8/192; a training step at 8/192; the data
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
    [DataRow("bench --variants F0,eca_nfnet_l0 --modes inference,train")]
    [DataRow("bench --variants F0 --variants eca_nfnet_l0 --modes inference --modes train")]
    [DataRow("bench --variant F0 eca_nfnet_l0 --mode infer train")]
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
        var settings = Bench($"bench --modes data --data {ExistingFolder} --data-image-size 128");

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

        // side-by-side.py: `line.startswith('RESULT ')`, then `json.loads(line[7:])`.
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

    private static BenchSettings Bench(string commandLine)
    {
        var result = SampleCli.Parse(Args(commandLine));
        Assert.AreEqual(0, result.Errors.Count, string.Join(" | ", result.Errors.Select(e => e.Message)));
        return ((BenchCommand)result.CommandResult.Command).Bind(result);
    }

    private static string[] Args(string commandLine) => commandLine
        .Replace("{folder}", ExistingFolder).Replace("{file}", ExistingFile)
        .Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
