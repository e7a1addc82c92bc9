namespace Microsoft.ML.NFNet.Tests.Architecture;

/// <summary>
/// The public surface is small and in one place: every public type a user needs in <c>Microsoft.ML.NFNet</c> (nested
/// Options classes included), the catalog extensions where ML.NET's own are (<c>Microsoft.ML</c>). The symbols
/// themselves are fenced by the API analyzer (src/Microsoft.ML.NFNet/PublicAPI.*.txt).
/// </summary>
[TestClass]
public class PublicSurfaceTests
{
    private const int MaximumPublicTypes = 40;

    private static readonly Type[] Exported = typeof(NFNetModel).Assembly.GetExportedTypes();

    [TestMethod]
    public void AtMostFortyPublicTypesInOneNamespace()
    {
        var ours = Exported.Where(t => t.Namespace == "Microsoft.ML.NFNet").Select(t => t.FullName!).Order(StringComparer.Ordinal).ToArray();
        Assert.IsLessThanOrEqualTo(MaximumPublicTypes, ours.Length, $"{ours.Length} public types:\n{string.Join("\n", ours)}");
        Assert.IsGreaterThan(20, ours.Length, "the count sees the types (NFNetModel, the trainer, its options, ...)");
    }

    [TestMethod]
    public void OnlyTheCatalogExtensionsLiveElsewhere()
    {
        var elsewhere = Exported.Where(t => t.Namespace != "Microsoft.ML.NFNet").Select(t => t.FullName!).Order(StringComparer.Ordinal);
        CollectionAssert.AreEqual(new[] { "Microsoft.ML.NFNetCatalog", "Microsoft.ML.NFNetTransformsCatalog" }, elsewhere.ToArray());
    }
}
