using Mono.Cecil;

namespace Microsoft.ML.NFNet.Tests.MLNet;

/// <summary>
/// The guard rail for upgrades: the ML.NET internals the library uses are listed in MLNetInternals.expected.txt, so
/// that a change to the list (a new internal used, or an ML.NET upgrade that breaks one) is seen in review.
/// </summary>
[TestClass]
public class InternalsInventoryTests
{
    private const string ExpectedListFile = "MLNet/MLNetInternals.expected.txt";
    private const string UpdateVariable = "NFNET_UPDATE_INTERNALS_LIST";
    private static readonly string[] InternalsAssemblies = ["Microsoft.ML.Core", "Microsoft.ML.Data"];

    [TestMethod]
    public void TheMLNetInternalsUsedAreTheListedOnes()
    {
        var actual = MLNetInternalsUsed(typeof(NFNetModelParameters).Assembly.Location);
        var expectedPath = Path.Combine(TestPaths.ProjectDirectory, ExpectedListFile);

        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllLines(expectedPath, actual);
            return;
        }
        var expected = File.ReadAllLines(expectedPath).Where(line => line.Length > 0).ToArray();
        var added = actual.Except(expected).Select(line => "+ " + line);
        var removed = expected.Except(actual).Select(line => "- " + line);
        var diff = string.Join("\n", added.Concat(removed));
        if (diff.Length > 0)
        {
            Assert.Fail($"The ML.NET internals used by Microsoft.ML.NFNet differ from {ExpectedListFile}:\n{diff}\n" +
                $"If the change is intended, rerun this test with {UpdateVariable}=1 to rewrite the list, and commit it " +
                "(see src/Microsoft.ML.NFNet/MLNet/Internals/README.md).");
        }
    }

    /// <summary>
    /// Every type and member of Microsoft.ML.Core/Data that the assembly's IL references and that is not public in
    /// the real ML.NET assemblies next to the tests (the publicized copies are compile-time only), one per line, sorted.
    /// </summary>
    private static string[] MLNetInternalsUsed(string assemblyPath)
    {
        using var resolver = new DefaultAssemblyResolver();
        resolver.AddSearchDirectory(AppContext.BaseDirectory);
        using var assembly = AssemblyDefinition.ReadAssembly(assemblyPath, new ReaderParameters { AssemblyResolver = resolver });
        var module = assembly.MainModule;

        var types = module.GetTypeReferences().Where(IsFromInternalsAssembly)
            .Select(t => Resolved(t, t.Resolve()))
            .Where(t => !IsVisible(t))
            .Select(t => $"{t.Module.Assembly.Name.Name}: type {t.FullName}");
        var members = module.GetMemberReferences().Where(m => IsFromInternalsAssembly(m.DeclaringType))
            .Select(m => Resolved(m, m.Resolve()))
            .Where(m => !(IsPublic(m) && IsVisible(m.DeclaringType)))
            .Select(m => $"{m.DeclaringType.Module.Assembly.Name.Name}: {Kind(m)} {m.FullName}");
        return types.Concat(members).Distinct().Order(StringComparer.Ordinal).ToArray();
    }

    private static bool IsFromInternalsAssembly(TypeReference type) =>
        type.GetElementType().Scope is AssemblyNameReference scope && InternalsAssemblies.Contains(scope.Name);

    // A reference the real assembly cannot satisfy would fail at run time (TypeLoadException, MissingMethodException).
    private static T Resolved<T>(MemberReference reference, T? definition) where T : class, IMemberDefinition =>
        definition ?? throw new AssertFailedException(
            $"{reference.FullName} is not in the ML.NET assemblies the library runs against: it would fail at run time.");

    private static bool IsVisible(TypeDefinition type) =>
        type.IsNested ? type.IsNestedPublic && IsVisible(type.DeclaringType) : type.IsPublic;

    private static bool IsPublic(IMemberDefinition member) => member switch
    {
        MethodDefinition method => method.IsPublic,
        FieldDefinition field => field.IsPublic,
        _ => throw new NotSupportedException(member.GetType().Name),
    };

    private static string Kind(IMemberDefinition member) => member is MethodDefinition ? "method" : "field";
}
