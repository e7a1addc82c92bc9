using System.CommandLine.Invocation;
using System.Text.RegularExpressions;
using Microsoft.ML.NFNet.Samples.Cli;
using Microsoft.ML.NFNet.Samples.Commands;
using Microsoft.ML.NFNet.Samples.Training;

namespace Microsoft.ML.NFNet.Tests.Samples;

/// <summary>
/// The sample app's command line against the README and docs/command-line.md. Only parses: nothing here trains.
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
            "train", "predict", "evaluate", "transfer-demo" }],
        ["train", new[] { "--data", "--arch", "--epochs", "--image-size", "--batch-size", "--learning-rate",
            "--validation-fraction", "--seed", "--output" }],
        ["predict", new[] { "--model", "--top", "<images>" }],
        ["evaluate", new[] { "--model", "--data", "--output" }],
        ["transfer-demo", new[] { "--per-class", "--modes", "--seeds" }],
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
    [DataRow("evaluate --modle {file} --data {folder}", "--modle", "--model")]
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

            var code = CommandLineRunner.Invoke(result, SampleCommandLine.Name, output, error);

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
        Assert.AreEqual(new TrainingSettings("nfnet_tiny", Epochs: null, ImageSize: null, BatchSize: 32, Seed: 1, LearningRate: null),
            request.Settings);
        Assert.AreEqual("nfnet-output", request.Output);
    }

    [TestMethod]
    public void SampleOptionsOverrideTheDefaults()
    {
        var result = SampleCli.Parse("--epochs", "3", "--image-size=96", "--batch-size", "16", "--learning-rate", "0.05",
            "--arch", "eca_nfnet_l0", "--seed", "7", "--output", "out");
        Assert.AreEqual(0, result.Errors.Count, string.Join(" | ", result.Errors.Select(e => e.Message)));

        var request = ((FashionMnistSampleCommand)result.CommandResult.Command).Bind(result);
        Assert.AreEqual(new TrainingSettings("eca_nfnet_l0", Epochs: 3, ImageSize: 96, BatchSize: 16, Seed: 7, LearningRate: 0.05),
            request.Settings);
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
    public void TrainHelpListsEveryImageFormatTheLibraryReads()
    {
        var (code, output, error) = SampleCli.RunWithoutWork("train", "--help");

        Assert.AreEqual(0, code, error);
        // Help wraps long descriptions, so compare without line breaks and indentation.
        var help = Regex.Replace(output, @"\s+", " ");
        foreach (var extension in ImageDataSource.ImageExtensions)
            StringAssert.Contains(help, extension, $"'train --help' lists {extension}:\n{output}");
    }

    private static string[] Args(string commandLine) => commandLine
        .Replace("{folder}", ExistingFolder).Replace("{file}", ExistingFile)
        .Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
