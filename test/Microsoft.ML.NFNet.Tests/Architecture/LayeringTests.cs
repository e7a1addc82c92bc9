using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Microsoft.ML.NFNet.Tests.Architecture;

/// <summary>
/// The library is layers, one source folder each (docs/architecture.md); a type may use its own layer and the layers
/// below it, never one above or beside it, and only the ML.NET face may use ML.NET. A type's layer is the folder of its
/// source files (read from the portable PDB), not its namespace: every public type shares one namespace. Checked on
/// the compiled IL, so every kind of use counts: base types, fields, signatures, method bodies, attributes, generic
/// arguments of types and methods.
/// </summary>
[TestClass]
public class LayeringTests
{
    // Lowest first. Siblings (equal rank) may not use each other.
    private static readonly (string Folder, int Rank)[] Layers =
    [
        ("Native", 0),
        ("Modeling", 1),
        ("Preprocessing", 2),
        ("Weights", 3),
        ("Optimization", 3),
        ("Export", 4),
        ("Training", 4),
        ("MLNet", 5),
    ];

    private const string LibraryFolder = "Microsoft.ML.NFNet";

    [TestMethod]
    public void EveryLayerUsesOnlyTheLayersBelowIt()
    {
        var violations = Uses().Where(use => use.To is { } to && to.Layer != use.From.Layer && to.Rank >= use.From.Rank)
            .Select(use => $"{use.From.Layer} → {use.To!.Value.Layer}: {use.Type} uses {use.Used}")
            .Distinct().Order(StringComparer.Ordinal).ToArray();
        Assert.IsEmpty(violations, "Layering violations:\n" + string.Join("\n", violations));
    }

    [TestMethod]
    public void OnlyTheMLNetFaceUsesMLNet()
    {
        var violations = Uses().Where(use => use.From.Layer != "MLNet" && IsMLNet(use.UsedAssembly))
            .Select(use => $"{use.From.Layer}: {use.Type} uses {use.UsedAssembly}: {use.Used}")
            .Distinct().Order(StringComparer.Ordinal).ToArray();
        Assert.IsEmpty(violations, "ML.NET used outside MLNet/:\n" + string.Join("\n", violations));
    }

    [TestMethod]
    public void EveryTypeLivesInOneLayerFolder()
    {
        var (assembly, folders) = Load();
        using (assembly)
        {
            var homeless = assembly.MainModule.GetTypes()
                .Where(type => type.Name != "<Module>" && type.DeclaringType is null && !IsCompilerGenerated(type))
                .Select(type => (type.FullName, Folders: FoldersOf(type, folders)))
                .Where(t => t.Folders.Count != 1 || t.Folders.Single() is not { } folder || Layers.All(l => l.Folder != folder))
                .Select(t => $"{t.FullName}: {(t.Folders.Count == 0 ? "no source file" : string.Join(", ", t.Folders.Select(f => f ?? "outside the project")))}")
                .Order(StringComparer.Ordinal).ToArray();
            Assert.IsEmpty(homeless, "Types outside exactly one layer folder:\n" + string.Join("\n", homeless));
        }
    }

    [TestMethod]
    public void TheCheckSeesRealUses()
    {
        // The check must see the references it exists for, or an empty result would prove nothing.
        var uses = Uses().ToArray();
        Assert.IsTrue(uses.Any(u => u.From.Layer == "Training" && u.To?.Layer == "Modeling"), "the engine builds on the network");
        Assert.IsTrue(uses.Any(u => u.From.Layer == "MLNet" && IsMLNet(u.UsedAssembly)), "the trainer uses ML.NET");
        Assert.IsTrue(uses.Any(u => u.From.Layer == "Modeling" && u.To?.Layer == "Native"), "convs go through the CPU guard");
        Assert.IsTrue(uses.Any(u => u.From.Layer == "Export" && u.To?.Layer == "Weights"), "the ONNX export reads the weights");
    }

    [TestMethod]
    public void TheCheckSeesGenericMethodArguments()
    {
        // A type named only as a generic method's argument (Enumerable.Empty<NFNetModel>()) is a use too.
        using var tests = AssemblyDefinition.ReadAssembly(typeof(LayeringTests).Assembly.Location);
        var probe = tests.MainModule.GetType(typeof(GenericArgumentProbe).FullName!.Replace('+', '/'));
        Assert.IsTrue(Referenced(probe).Any(t => t.FullName == typeof(NFNetModel).FullName), "Enumerable.Empty<NFNetModel>()");
    }

    private static class GenericArgumentProbe
    {
        public static int Count() => Enumerable.Empty<NFNetModel>().Count();
    }

    private static bool IsMLNet(string? assembly) => assembly is not null && assembly.StartsWith("Microsoft.ML", StringComparison.Ordinal);

    private static bool IsCompilerGenerated(TypeDefinition type) =>
        type.Name.StartsWith('<') || type.CustomAttributes.Any(a => a.AttributeType.Name == "CompilerGeneratedAttribute");

    private sealed record Use(string Type, (string Layer, int Rank) From, string Used, string? UsedAssembly, (string Layer, int Rank)? To);

    private static (AssemblyDefinition Assembly, Dictionary<int, HashSet<string?>> Folders) Load()
    {
        var path = typeof(NFNetModelParameters).Assembly.Location;
        return (AssemblyDefinition.ReadAssembly(path), SourceFolders.Of(path, LibraryFolder));
    }

    private static IEnumerable<Use> Uses()
    {
        var (assembly, folders) = Load();
        using (assembly)
        {
            var self = assembly.MainModule;
            foreach (var type in self.GetTypes())
            {
                if (LayerOf(type, folders) is not { } from)
                    continue; // <Module>
                foreach (var used in Referenced(type))
                {
                    var usedAssembly = AssemblyOf(used);
                    var to = usedAssembly == assembly.Name.Name && used.Resolve() is { } definition ? LayerOf(definition, folders) : null;
                    yield return new Use(type.FullName, from, used.FullName, usedAssembly == assembly.Name.Name ? null : usedAssembly, to);
                }
            }
        }
    }

    /// <summary>The folders of a type's own source files, else those of the type it is nested in (a compiler-generated
    /// closure class has its own methods; an enum nested in a class may have none).</summary>
    private static IReadOnlyCollection<string?> FoldersOf(TypeDefinition type, Dictionary<int, HashSet<string?>> folders)
    {
        for (TypeDefinition? current = type; current is not null; current = current.DeclaringType)
        {
            if (folders.TryGetValue(current.MetadataToken.ToInt32(), out var found) && found.Count > 0)
                return found;
        }
        return [];
    }

    private static (string Layer, int Rank)? LayerOf(TypeDefinition type, Dictionary<int, HashSet<string?>> folders)
    {
        var found = FoldersOf(type, folders);
        if (found.Count != 1)
            return null; // reported by EveryTypeLivesInOneLayerFolder
        var folder = found.Single();
        return Layers.Where(l => l.Folder == folder).Select(l => ((string, int)?)(l.Folder, l.Rank)).FirstOrDefault();
    }

    private static string? AssemblyOf(TypeReference type) => type.Scope switch
    {
        AssemblyNameReference reference => reference.Name,
        ModuleDefinition module => module.Assembly.Name.Name,
        _ => null,
    };

    /// <summary>Every type a type's definition and code mention.</summary>
    private static IEnumerable<TypeReference> Referenced(TypeDefinition type)
    {
        var found = new List<TypeReference>();
        void Add(TypeReference? reference)
        {
            switch (reference)
            {
                case null or GenericParameter:
                    return;
                case TypeSpecification specification when specification is GenericInstanceType generic:
                    Add(generic.ElementType);
                    foreach (var argument in generic.GenericArguments)
                        Add(argument);
                    return;
                case TypeSpecification specification:
                    Add(specification.ElementType);
                    return;
                default:
                    found.Add(reference);
                    return;
            }
        }
        void Attributes(ICustomAttributeProvider provider)
        {
            foreach (var attribute in provider.CustomAttributes)
                Add(attribute.AttributeType);
        }

        Add(type.BaseType);
        Attributes(type);
        foreach (var implemented in type.Interfaces)
            Add(implemented.InterfaceType);
        foreach (var field in type.Fields)
        {
            Add(field.FieldType);
            Attributes(field);
        }
        foreach (var property in type.Properties)
            Add(property.PropertyType);
        foreach (var method in type.Methods)
        {
            Add(method.ReturnType);
            Attributes(method);
            foreach (var parameter in method.Parameters)
                Add(parameter.ParameterType);
            if (!method.HasBody)
                continue;
            foreach (var variable in method.Body.Variables)
                Add(variable.VariableType);
            foreach (var instruction in method.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference operandType:
                        Add(operandType);
                        break;
                    case MemberReference member:
                        Add(member.DeclaringType);
                        if (member is GenericInstanceMethod genericCall)
                            foreach (var argument in genericCall.GenericArguments)
                                Add(argument);
                        if (member is MethodReference called)
                        {
                            Add(called.ReturnType);
                            foreach (var parameter in called.Parameters)
                                Add(parameter.ParameterType);
                        }
                        else if (member is FieldReference field)
                        {
                            Add(field.FieldType);
                        }
                        break;
                }
            }
        }
        return found;
    }
}
