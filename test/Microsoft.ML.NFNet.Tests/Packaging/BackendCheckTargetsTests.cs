using System.Xml.Linq;

namespace Microsoft.ML.NFNet.Tests.Packaging;

/// <summary>
/// The package's build-time backend check (src/Microsoft.ML.NFNet/buildTransitive/Microsoft.ML.NFNet.targets) tells the
/// user which backend packages to add; the versions it names must be the ones this repository builds and tests with.
/// Its behaviour in a real consuming app is checked by eng/package-smoke-test.sh.
/// </summary>
[TestClass]
public class BackendCheckTargetsTests
{
    private static string RepositoryRoot => Path.GetFullPath(Path.Combine(TestPaths.ProjectDirectory, "..", ".."));

    [TestMethod]
    [DataRow("libtorch-cpu-linux-x64")]
    [DataRow("TorchSharp-cpu")]
    [DataRow("TorchSharp-cuda-windows")]
    public void TheWarningNamesTheBackendVersionsThisRepositoryUses(string package)
    {
        var version = CentralVersion(package);
        var warning = WarningText();

        StringAssert.Contains(warning, $"{package} {version}",
            $"the NFNET001 text must name {package} {version} (Directory.Packages.props)");
    }

    [TestMethod]
    public void TheWarningHasItsCodeAndTheOptOut()
    {
        var targets = XDocument.Load(TargetsPath);
        var warning = targets.Descendants("Warning").Single();
        Assert.AreEqual("NFNET001", warning.Attribute("Code")?.Value);
        StringAssert.Contains(warning.Attribute("Text")!.Value, "<NFNetSkipBackendCheck>true</NFNetSkipBackendCheck>");
        var condition = targets.Descendants("Target").Single().Attribute("Condition")!.Value;
        StringAssert.Contains(condition, "'$(NFNetSkipBackendCheck)' != 'true'");
        StringAssert.Contains(condition, "'$(OutputType)' == 'Exe'");
    }

    [TestMethod]
    public void TheLibraryPacksTheTargetsUnderBuildTransitive()
    {
        var project = XDocument.Load(Path.Combine(RepositoryRoot, "src", "Microsoft.ML.NFNet", "Microsoft.ML.NFNet.csproj"));
        var item = project.Descendants("None").SingleOrDefault(n => n.Attribute("Include")?.Value == "buildTransitive/Microsoft.ML.NFNet.targets");
        Assert.IsNotNull(item, "the csproj must pack buildTransitive/Microsoft.ML.NFNet.targets");
        Assert.AreEqual("true", item.Attribute("Pack")?.Value);
        Assert.AreEqual("buildTransitive/", item.Attribute("PackagePath")?.Value);
    }

    private static string TargetsPath =>
        Path.Combine(RepositoryRoot, "src", "Microsoft.ML.NFNet", "buildTransitive", "Microsoft.ML.NFNet.targets");

    private static string WarningText() =>
        XDocument.Load(TargetsPath).Descendants("Warning").Single().Attribute("Text")!.Value;

    private static string CentralVersion(string package)
    {
        var props = XDocument.Load(Path.Combine(RepositoryRoot, "Directory.Packages.props"));
        var entry = props.Descendants("PackageVersion").SingleOrDefault(p => p.Attribute("Include")?.Value == package);
        Assert.IsNotNull(entry, $"{package} is not in Directory.Packages.props");
        return entry.Attribute("Version")!.Value;
    }
}
