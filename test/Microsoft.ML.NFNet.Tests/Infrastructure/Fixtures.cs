namespace Microsoft.ML.NFNet.Tests;

/// <summary>
/// Locates the timm reference fixtures in <c>test/fixtures/timm</c> of this repository (provenance in its README), or
/// in the folder <c>NFNET_FIXTURES</c> names.
/// </summary>
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
        var candidate = Path.GetFullPath(Path.Combine(TestPaths.ProjectDirectory, "..", "fixtures", "timm"));
        if (System.IO.Directory.Exists(candidate))
            return candidate;
        throw new DirectoryNotFoundException(
            $"The timm reference fixtures were not found at {candidate}: the repository checkout is incomplete.");
    }
}
