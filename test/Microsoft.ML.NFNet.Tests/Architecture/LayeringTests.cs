using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Microsoft.ML.NFNet.Tests.Architecture;

/// <summary>
/// The library is layers (README, "How the library is built"); a type may use its own layer and the layers below it,
/// never one above or beside it, and only the ML.NET face may use ML.NET. Checked on the compiled IL, so every kind
/// of use counts: base types, fields, signatures, method bodies, attributes, generic arguments.
/// </summary>
[TestClass]
public class LayeringTests
{
    // Lowest first. Siblings (equal rank) may not use each other.
    private static readonly (string Namespace, string Layer, int Rank)[] Layers =
    [
        ("Microsoft.ML.NFNet.Native", "Native", 0),
        ("Microsoft.ML.NFNet.Modeling", "Modeling", 1),
        ("Microsoft.ML.NFNet.Preprocessing", "Preprocessing", 2),
        ("Microsoft.ML.NFNet.Weights", "Weights", 3),
        ("Microsoft.ML.NFNet.Optimization", "Optimization", 3),
        ("Microsoft.ML.NFNet.Export", "Export", 4),
        ("Microsoft.ML.NFNet.Training", "Training", 4),
        ("Microsoft.ML.NFNet.MLNet", "MLNet", 5),
        ("Microsoft.ML.NFNet", "MLNet", 5),
        ("Microsoft.ML", "MLNet", 5), // the catalog extensions live where ML.NET's own do
    ];

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
    public void TheCheckSeesRealUses()
    {
        // The check must see the references it exists for, or an empty result would prove nothing.
        var uses = Uses().ToArray();
        Assert.IsTrue(uses.Any(u => u.From.Layer == "Training" && u.To?.Layer == "Modeling"), "the engine builds on the network");
        Assert.IsTrue(uses.Any(u => u.From.Layer == "MLNet" && IsMLNet(u.UsedAssembly)), "the trainer uses ML.NET");
        Assert.IsTrue(uses.Any(u => u.From.Layer == "Modeling" && u.To?.Layer == "Native"), "convs go through the CPU guard");
    }

    private static bool IsMLNet(string? assembly) => assembly is not null && assembly.StartsWith("Microsoft.ML", StringComparison.Ordinal);

    private sealed record Use(string Type, (string Layer, int Rank) From, string Used, string? UsedAssembly, (string Layer, int Rank)? To);

    private static IEnumerable<Use> Uses()
    {
        using var assembly = AssemblyDefinition.ReadAssembly(typeof(NFNetModelParameters).Assembly.Location);
        var self = assembly.Name.Name;
        foreach (var type in assembly.MainModule.GetTypes())
        {
            if (LayerOf(OuterMost(type).Namespace) is not { } from)
                continue; // <Module>, compiler-generated helpers, the IgnoresAccessChecksTo attribute in System.*
            foreach (var used in Referenced(type))
            {
                var usedAssembly = AssemblyOf(used);
                var to = usedAssembly == self ? LayerOf(OuterMost(used).Namespace) : null;
                yield return new Use(type.FullName, from, used.FullName, usedAssembly == self ? null : usedAssembly, to);
            }
        }
    }

    private static (string Layer, int Rank)? LayerOf(string ns)
    {
        // The longest namespace prefix wins, so Microsoft.ML.NFNet.Training is not taken for Microsoft.ML.NFNet.
        foreach (var layer in Layers.OrderByDescending(l => l.Namespace.Length))
        {
            if (ns == layer.Namespace || ns.StartsWith(layer.Namespace + ".", StringComparison.Ordinal))
                return (layer.Layer, layer.Rank);
        }
        return null;
    }

    private static TypeReference OuterMost(TypeReference type)
    {
        while (type.DeclaringType is not null)
            type = type.DeclaringType;
        return type;
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
