using Microsoft.ML.NFNet.Tests.Weights;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>
/// Issue 20, item 9: a damaged model zip. Where the library opens it (a model zip given as weights to the featurizer
/// or as <c>PretrainedWeights</c>) the top-level message names the file and the damage; where ML.NET opens it
/// (<c>mlContext.Model.Load</c>) these tests pin what users see, as docs/reliability.md describes it.
/// </summary>
[TestClass]
public class CorruptModelZipTests : TempFolderTests
{
    private const string WeightsStream = NFNetModelParameters.WeightsStreamName;

    [TestMethod]
    public void ATruncatedZipAsWeightsIsNamedAsADamagedZip()
    {
        var path = Truncated();

        var error = Assert.ThrowsExactly<InvalidDataException>(() => Featurize(path));

        StringAssert.StartsWith(error.Message, $"Options.Weights: the model zip '{path}' is damaged: the zip file is corrupt or truncated");
        Assert.DoesNotContain("not an ML.NET model", error.Message);
    }

    [TestMethod]
    public void ABitFlipInTheWeightsIsNamedAtTheTopNotNineLevelsDown()
    {
        var path = BitFlipped();

        var error = Assert.ThrowsExactly<InvalidDataException>(() => Featurize(path));

        StringAssert.StartsWith(error.Message, $"Options.Weights: the model zip '{path}' is damaged: The '{WeightsStream}' stream of the model is corrupt or truncated");
        Assert.DoesNotContain("Error during class instantiation", error.Message);
    }

    [TestMethod]
    public void TheTrainersPretrainedWeightsSayTheSame()
    {
        var path = BitFlipped();
        var mlContext = new MLContext(seed: 1);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => mlContext.MulticlassClassification.Trainers
            .NFNet(PretrainedTestFiles.FineTune(path, NFNetTrainableParts.All)).Fit(PretrainedTestFiles.Keyed(mlContext, 2, 1)));

        StringAssert.StartsWith(error.Message, $"PretrainedWeights: the model zip '{path}' is damaged: The '{WeightsStream}' stream");
    }

    [TestMethod]
    public void DamageInAPartMLNetReadsItselfIsNotCalledAForeignZip()
    {
        var path = folder.File("damaged-header.zip");
        File.WriteAllBytes(path, TamperedModels.RewriteEntry(TamperedModels.Zip(), "TransformerChain/Model.key", bytes => new byte[bytes.Length]));

        var error = Assert.ThrowsExactly<InvalidDataException>(() => Featurize(path));

        StringAssert.StartsWith(error.Message, $"Options.Weights: the model zip '{path}' could not be loaded: it is damaged in a part ML.NET reads itself");
    }

    /// <summary>What <c>mlContext.Model.Load</c> itself throws (docs/reliability.md, "Corrupt model files"): ML.NET's
    /// exceptions, which the library does not wrap.</summary>
    [TestMethod]
    public void ModelLoadShowsMLNetsOwnExceptions()
    {
        var truncated = Assert.ThrowsExactly<FormatException>(() => new MLContext().Model.Load(Truncated(), out _));
        Assert.AreEqual("Failed to open a zip archive", truncated.Message, "no file name");
        Assert.IsInstanceOfType<InvalidDataException>(truncated.InnerException);

        var flipped = Assert.ThrowsExactly<InvalidOperationException>(() => new MLContext().Model.Load(BitFlipped(), out _));
        Assert.AreEqual("Error during class instantiation", flipped.Message);
        var chain = TamperedModels.Chain(flipped).ToList();
        Assert.HasCount(7, chain, "three (InvalidOperationException, TargetInvocationException) pairs, then the cause");
        Assert.IsInstanceOfType<FormatException>(chain[^1]);
        StringAssert.StartsWith(chain[^1].Message, $"The '{WeightsStream}' stream of the model is corrupt or truncated: its SHA-256 is");
    }

    private NFNetImageFeaturizerEstimator Featurize(string weights) =>
        new MLContext().Transforms.NFNetFeaturizeImage("Features", "ImageSource", weights);

    private string Truncated()
    {
        var zip = TamperedModels.Zip();
        var path = folder.File("truncated.zip");
        File.WriteAllBytes(path, zip[..(zip.Length / 2)]);
        return path;
    }

    private string BitFlipped()
    {
        var zip = TamperedModels.Zip();
        var weights = ZipLayout.Read(zip).Single(entry => entry.Name.EndsWith("/" + WeightsStream, StringComparison.Ordinal));
        zip[weights.DataStart + weights.CompressedLength / 2] ^= 0x04;
        var path = folder.File("flipped.zip");
        File.WriteAllBytes(path, zip);
        return path;
    }
}
