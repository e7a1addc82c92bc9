namespace Microsoft.ML.NFNet.Tests;

/// <summary>Paths in the source tree, found from the test assembly's output folder.</summary>
internal static class TestPaths
{
    private const string ProjectFileName = "Microsoft.ML.NFNet.Tests.csproj";
    private static readonly Lazy<string> ProjectDir = new(FindProjectDirectory);

    /// <summary>The test project's folder (test/Microsoft.ML.NFNet.Tests).</summary>
    public static string ProjectDirectory => ProjectDir.Value;

    /// <summary>
    /// Where a sibling test-side project's build output sits for this build: the same bin/&lt;configuration&gt;/&lt;tfm&gt;
    /// path below that project's folder as the test assembly's below this one.
    /// </summary>
    public static string SiblingOutputDirectory(string projectName)
    {
        var relativeOutput = Path.GetRelativePath(ProjectDirectory, AppContext.BaseDirectory);
        return Path.GetFullPath(Path.Combine(ProjectDirectory, "..", projectName, relativeOutput));
    }

    private static string FindProjectDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, ProjectFileName)))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException($"Could not find {ProjectFileName} above {AppContext.BaseDirectory}.");
    }
}
