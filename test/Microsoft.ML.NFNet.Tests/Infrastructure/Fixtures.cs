namespace Microsoft.ML.NFNet.Tests;

/// <summary>Locates the timm reference fixtures in ../shared/fixtures/nfnet relative to the repository root.</summary>
internal static class Fixtures
{
    private static readonly Lazy<string> Root = new(FindRoot);

    public static string Directory => Root.Value;

    public static string PathOf(string fileName) => Path.Combine(Directory, fileName);

    private static string FindRoot()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("NFNET_FIXTURES");
        if (!string.IsNullOrEmpty(fromEnvironment))
            return fromEnvironment;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NFNet.ML.sln")))
            {
                var candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "fixtures", "nfnet"));
                if (System.IO.Directory.Exists(candidate))
                    return candidate;
                throw new DirectoryNotFoundException(
                    $"The timm reference fixtures were not found at {candidate}. Put shared/ next to the repository " +
                    "or set NFNET_FIXTURES to the fixtures folder.");
            }
        }
        throw new DirectoryNotFoundException("Could not find the repository root (NFNet.ML.sln) above " + AppContext.BaseDirectory);
    }
}
