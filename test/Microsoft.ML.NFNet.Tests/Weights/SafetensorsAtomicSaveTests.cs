using TorchSharp;

namespace Microsoft.ML.NFNet.Tests.Weights;

/// <summary>Save replaces the target file whole or not at all, and leaves no temporary files behind.</summary>
[TestClass]
public class SafetensorsAtomicSaveTests : TempFolderTests
{
    [TestMethod]
    public void SaveReplacesAnExistingFileAndLeavesNoTemporaryFiles()
    {
        using var scope = torch.NewDisposeScope();
        var path = folder.File("model.safetensors");
        File.WriteAllText(path, "an older, longer file that is not safetensors at all");

        Safetensors.Save(path, new Dictionary<string, torch.Tensor> { ["w"] = torch.full(3, 2.5f) });

        CollectionAssert.AreEqual(new[] { "model.safetensors" }, folder.FileNames());
        SafetensorsTestFiles.AssertIdentical(torch.full(3, 2.5f), Safetensors.Load(path)["w"]);
    }

    [TestMethod]
    public void AFailedValidationKeepsTheOldFile()
    {
        using var scope = torch.NewDisposeScope();
        var path = folder.File("model.safetensors");
        Safetensors.Save(path, new Dictionary<string, torch.Tensor> { ["w"] = torch.ones(4) });
        var before = File.ReadAllBytes(path);

        Assert.ThrowsExactly<ArgumentException>(() => Safetensors.Save(path, new Dictionary<string, torch.Tensor>
        {
            ["a"] = torch.zeros(1000),
            ["z"] = torch.zeros(2, dtype: torch.ScalarType.ComplexFloat64),
        }));

        CollectionAssert.AreEqual(before, File.ReadAllBytes(path));
        CollectionAssert.AreEqual(new[] { "model.safetensors" }, folder.FileNames());
    }

    [TestMethod]
    public void AFailureWhileWritingDataKeepsTheOldFile()
    {
        using var scope = torch.NewDisposeScope();
        var path = folder.File("model.safetensors");
        Safetensors.Save(path, new Dictionary<string, torch.Tensor> { ["w"] = torch.ones(4) });
        var before = File.ReadAllBytes(path);

        // A sparse tensor passes validation (supported dtype, known size) and only fails when its data is copied,
        // after the header and the tensor sorted before it have been written.
        Assert.Throws<Exception>(() => Safetensors.Save(path, new Dictionary<string, torch.Tensor>
        {
            ["a"] = torch.arange(1000, dtype: torch.ScalarType.Float32),
            ["z"] = torch.eye(3).to_sparse(),
        }));

        CollectionAssert.AreEqual(before, File.ReadAllBytes(path));
        CollectionAssert.AreEqual(new[] { "model.safetensors" }, folder.FileNames());
    }

    [TestMethod]
    public void AFailedRenameLeavesNoTemporaryFile()
    {
        using var scope = torch.NewDisposeScope();
        var occupied = folder.File("occupied");
        Directory.CreateDirectory(occupied);
        File.WriteAllText(Path.Combine(occupied, "inside.txt"), "kept");

        Assert.Throws<Exception>(() => Safetensors.Save(occupied, new Dictionary<string, torch.Tensor> { ["w"] = torch.ones(4) }));

        Assert.IsEmpty(folder.FileNames());
        Assert.AreEqual("kept", File.ReadAllText(Path.Combine(occupied, "inside.txt")));
    }
}
