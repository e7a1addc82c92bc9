using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Microsoft.ML.NFNet.Tests.Architecture;

/// <summary>
/// Finds, in compiled IL, the TorchSharp calls that depend on a Scalar nothing keeps alive. A TorchSharp Scalar owns a
/// native c10::Scalar and frees it in its finalizer; one made implicitly (a number converted at a call, or made inside
/// TorchSharp, like the alpha of 1 behind <c>tensor + tensor</c>) is unreachable once its handle is passed to libtorch,
/// so a collection on another thread can free it while libtorch reads it.
/// </summary>
/// <remarks>
/// The methods that make Scalars inside are read from TorchSharp's own IL: every method whose body converts a number
/// to a Scalar (<c>op_Implicit</c>, <c>ToScalar</c>), and every method that calls one of them, transitively. A method
/// that makes and disposes its Scalar properly counts too (it cannot be told apart in IL); none of the library's calls
/// is such a method today.
/// </remarks>
internal sealed class ScalarLifetimeCheck
{
    private readonly HashSet<MethodDefinition> makers;

    private ScalarLifetimeCheck(HashSet<MethodDefinition> makers) => this.makers = makers;

    /// <summary>The methods of <paramref name="torchSharp"/> that make Scalars inside (directly or through callees).</summary>
    public IReadOnlySet<MethodDefinition> Makers => makers;

    /// <summary>Reads the Scalar-making methods of <paramref name="torchSharp"/>.</summary>
    public static ScalarLifetimeCheck For(AssemblyDefinition torchSharp)
    {
        var module = torchSharp.MainModule;
        var callers = new Dictionary<MethodDefinition, List<MethodDefinition>>();
        var found = new HashSet<MethodDefinition>();
        foreach (var method in module.GetTypes().SelectMany(t => t.Methods).Where(m => m.HasBody))
        {
            foreach (var called in method.Body.Instructions.Select(i => i.Operand).OfType<MethodReference>())
            {
                if (MakesScalar(called))
                    found.Add(method);
                if (InModule(called, module) is { } callee)
                {
                    if (!callers.TryGetValue(callee, out var list))
                        callers[callee] = list = [];
                    list.Add(method);
                }
            }
        }
        var pending = new Queue<MethodDefinition>(found);
        while (pending.TryDequeue(out var maker))
        {
            foreach (var caller in callers.GetValueOrDefault(maker) ?? [])
                if (found.Add(caller))
                    pending.Enqueue(caller);
        }
        return new ScalarLifetimeCheck(found);
    }

    /// <summary>
    /// One line per offending call in the types of <paramref name="assembly"/> that <paramref name="include"/> accepts,
    /// naming the calling method: implicit conversions to Scalar, <c>ToScalar()</c> results passed on without being
    /// kept in a variable or field (<c>using var s = x.ToScalar();</c>), calls of TorchSharp methods that make Scalars
    /// inside, and TorchSharp objects created or derived from whose virtual methods (an optimizer's <c>step</c>) make
    /// Scalars inside and are not overridden.
    /// </summary>
    public IReadOnlyList<string> Violations(AssemblyDefinition assembly, Func<TypeDefinition, bool>? include = null)
    {
        var found = new List<string>();
        foreach (var type in assembly.MainModule.GetTypes().Where(t => include?.Invoke(t) ?? true))
        {
            foreach (var inherited in UnoverriddenMakers(type))
                found.Add($"{type.FullName} inherits {inherited.FullName}, which makes Scalars inside");
            foreach (var method in type.Methods.Where(m => m.HasBody))
            {
                var caller = $"{type.FullName}::{method.Name}";
                foreach (var instruction in method.Body.Instructions)
                {
                    if (instruction.Operand is not MethodReference called || !IsTorchSharp(called.DeclaringType))
                        continue;
                    if (called.DeclaringType.FullName == "TorchSharp.Scalar" && called.Name == "op_Implicit")
                        found.Add($"{caller} converts a {called.Parameters[0].ParameterType.Name} to a Scalar implicitly");
                    else if (called.Name == "ToScalar" && !IsStored(instruction.Next))
                        found.Add($"{caller} passes on a ToScalar() result without keeping it in a variable or field");
                    else if (Resolve(called) is { } definition && makers.Contains(definition))
                        found.Add($"{caller} calls {definition.FullName}, which makes Scalars inside");

                    var created = instruction.OpCode == OpCodes.Newobj ? called.DeclaringType : called.ReturnType;
                    if (IsTorchSharp(created) && Resolve(created) is { } createdType)
                        foreach (var inherited in UnoverriddenMakers(createdType))
                            found.Add($"{caller} creates a {createdType.FullName}, whose {inherited.FullName} makes Scalars inside");
                }
            }
        }
        return found.Distinct().Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The Scalar-making virtual methods that <paramref name="type"/> inherits from TorchSharp types and that
    /// nothing between them and <paramref name="type"/> overrides.</summary>
    private IEnumerable<MethodDefinition> UnoverriddenMakers(TypeDefinition type)
    {
        var chain = new List<TypeDefinition>();
        for (var current = type; current is not null; current = current.BaseType is { } b ? Resolve(b) : null)
            chain.Add(current);
        for (var i = 0; i < chain.Count; i++)
        {
            if (!IsTorchSharp(chain[i]))
                continue;
            foreach (var virtualMethod in chain[i].Methods.Where(m => m.IsVirtual && makers.Contains(m)))
            {
                var overridden = chain.Take(i).Any(derived => derived.Methods.Any(m => m.IsVirtual && !m.IsNewSlot && SameSignature(m, virtualMethod)));
                if (!overridden)
                    yield return virtualMethod;
            }
        }
    }

    private static bool SameSignature(MethodDefinition a, MethodDefinition b) =>
        a.Name == b.Name && a.Parameters.Count == b.Parameters.Count &&
        a.Parameters.Zip(b.Parameters).All(p => p.First.ParameterType.FullName == p.Second.ParameterType.FullName);

    private static bool MakesScalar(MethodReference called) =>
        (called.DeclaringType.FullName == "TorchSharp.Scalar" && called.Name == "op_Implicit") || called.Name == "ToScalar";

    // A stored ToScalar() result is one the code owns: `using var s = x.ToScalar();` or a static readonly field.
    private static bool IsStored(Instruction? next) =>
        next is not null && (next.OpCode.Code is Code.Stloc or Code.Stloc_S or Code.Stloc_0 or Code.Stloc_1 or Code.Stloc_2
            or Code.Stloc_3 or Code.Stsfld or Code.Stfld);

    private static bool IsTorchSharp(TypeReference type) =>
        type.Scope switch
        {
            AssemblyNameReference reference => reference.Name == "TorchSharp",
            ModuleDefinition module => module.Assembly.Name.Name == "TorchSharp",
            _ => false,
        };

    private static MethodDefinition? InModule(MethodReference called, ModuleDefinition module) =>
        called.DeclaringType.Scope == module ? Resolve(called) : null;

    private static MethodDefinition? Resolve(MethodReference method)
    {
        try
        {
            return method.Resolve();
        }
        catch (AssemblyResolutionException)
        {
            return null;
        }
    }

    private static TypeDefinition? Resolve(TypeReference type)
    {
        try
        {
            return type.Resolve();
        }
        catch (AssemblyResolutionException)
        {
            return null;
        }
    }
}
