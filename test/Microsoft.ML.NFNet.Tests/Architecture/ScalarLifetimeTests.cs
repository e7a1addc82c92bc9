using Mono.Cecil;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Architecture;

/// <summary>
/// No call the library makes into TorchSharp may depend on a Scalar that nothing keeps alive (TorchScalars in the
/// library's Native/ folder says why: a training run once read a freed Scalar in <c>y + bias</c>). Checked on the
/// compiled IL by <see cref="ScalarLifetimeCheck"/>.
/// </summary>
[TestClass]
public class ScalarLifetimeTests
{
    [TestMethod]
    public void TheLibraryPassesOnlyScalarsItKeepsAlive()
    {
        var (library, check) = Load(typeof(NFNetModelParameters).Assembly.Location);
        using (library)
        {
            var violations = check.Violations(library);
            Assert.IsEmpty(violations, "TorchSharp calls that depend on a Scalar nothing keeps alive (pass a static readonly " +
                "Scalar from TorchScalars, or `using var s = value.ToScalar();` around the call):\n" + string.Join("\n", violations));
        }
    }

    [TestMethod]
    public void TheCheckKnowsTorchSharpsHiddenScalars()
    {
        // Read in TorchSharp 0.107's source: each of these converts a number, or the alpha 1, to a Scalar inside.
        string[] known =
        [
            "TorchSharp.torch/Tensor TorchSharp.torch/Tensor::add(TorchSharp.torch/Tensor)",
            "TorchSharp.torch/Tensor TorchSharp.torch/Tensor::add(TorchSharp.Scalar)",
            "TorchSharp.torch/Tensor TorchSharp.torch/Tensor::add_(TorchSharp.torch/Tensor)",
            "TorchSharp.torch/Tensor TorchSharp.torch/Tensor::add_(TorchSharp.Scalar)",
            "TorchSharp.torch/Tensor TorchSharp.torch/Tensor::addcdiv(TorchSharp.torch/Tensor,TorchSharp.torch/Tensor)",
            "TorchSharp.torch/Tensor TorchSharp.torch/Tensor::addcdiv_(TorchSharp.torch/Tensor,TorchSharp.torch/Tensor)",
            "TorchSharp.torch/Tensor TorchSharp.torch/Tensor::op_Addition(TorchSharp.torch/Tensor,TorchSharp.torch/Tensor)",
            "TorchSharp.torch/Tensor TorchSharp.torch/Tensor::op_Addition(TorchSharp.torch/Tensor,TorchSharp.Scalar)",
            "TorchSharp.torch/Tensor TorchSharp.torch/Tensor::op_Addition(TorchSharp.torch/Tensor,System.Double)",
            "TorchSharp.torch/Tensor TorchSharp.torch/Tensor::op_Subtraction(TorchSharp.torch/Tensor,System.Double)",
            "TorchSharp.torch/Tensor TorchSharp.torch/Tensor::op_Subtraction(System.Double,TorchSharp.torch/Tensor)",
            "TorchSharp.torch/Tensor TorchSharp.torch/Tensor::op_Multiply(TorchSharp.torch/Tensor,System.Double)",
            "TorchSharp.torch/Tensor TorchSharp.torch/Tensor::op_Multiply(System.Single,TorchSharp.torch/Tensor)",
            "TorchSharp.torch/Tensor TorchSharp.torch/Tensor::op_Division(TorchSharp.torch/Tensor,System.Int32)",
            "TorchSharp.torch/Tensor TorchSharp.torch/Tensor::op_Division(System.Double,TorchSharp.torch/Tensor)",
            "TorchSharp.torch/Tensor TorchSharp.torch/Tensor::softplus(System.Double,System.Double)",
            "TorchSharp.torch/Tensor TorchSharp.torch/Tensor::elu(System.Double)",
            "TorchSharp.torch/Tensor TorchSharp.torch/nn/functional::softsign(TorchSharp.torch/Tensor,System.Boolean)",
            "TorchSharp.torch/Tensor TorchSharp.torch/nn/functional::leaky_relu(TorchSharp.torch/Tensor,System.Double,System.Boolean)",
            "TorchSharp.torch/Tensor TorchSharp.torch/linalg::vector_norm(TorchSharp.torch/Tensor,System.Double,System.Int64[],System.Boolean)",
            "TorchSharp.torch/Tensor TorchSharp.Modules.AdamW::step(System.Func`1<TorchSharp.torch/Tensor>)",
            "TorchSharp.torch/Tensor TorchSharp.Modules.SGD::step(System.Func`1<TorchSharp.torch/Tensor>)",
        ];
        // And these take every Scalar from their caller.
        string[] clean =
        [
            "TorchSharp.torch/Tensor TorchSharp.torch/Tensor::add(TorchSharp.torch/Tensor,TorchSharp.Scalar)",
            "TorchSharp.torch/Tensor TorchSharp.torch/Tensor::sub(TorchSharp.torch/Tensor)",
            "TorchSharp.torch/Tensor TorchSharp.torch/Tensor::mul(TorchSharp.torch/Tensor)",
            "TorchSharp.torch/Tensor TorchSharp.torch/Tensor::mul_(TorchSharp.Scalar)",
            "TorchSharp.torch/Tensor TorchSharp.torch/Tensor::op_Multiply(TorchSharp.torch/Tensor,TorchSharp.torch/Tensor)",
        ];
        var (library, check) = Load(typeof(NFNetModelParameters).Assembly.Location);
        using (library)
        {
            var makers = check.Makers.Select(m => m.FullName).ToHashSet();
            Assert.IsEmpty(known.Where(k => !makers.Contains(k)).ToArray(), "known Scalar makers the check misses");
            Assert.IsEmpty(clean.Where(makers.Contains).ToArray(), "methods wrongly taken for Scalar makers");
        }
    }

    [TestMethod]
    public void TheCheckNamesEveryKindOfHiddenScalarAndItsCaller()
    {
        var (tests, check) = Load(typeof(ScalarLifetimeTests).Assembly.Location);
        using (tests)
        {
            var violations = check.Violations(tests, t => t.FullName.StartsWith(typeof(Offenders).FullName!.Replace('+', '/'), StringComparison.Ordinal));
            string[] expected =
            [
                "Offenders::Sum calls TorchSharp.torch/Tensor TorchSharp.torch/Tensor::op_Addition(TorchSharp.torch/Tensor,TorchSharp.torch/Tensor)",
                "Offenders::Halve converts a Double to a Scalar implicitly",
                "Offenders::Accumulate calls TorchSharp.torch/Tensor TorchSharp.torch/Tensor::add_(TorchSharp.torch/Tensor)",
                "Offenders::Norm calls TorchSharp.torch/Tensor TorchSharp.torch/linalg::vector_norm(",
                "Offenders::Unkept passes on a ToScalar() result without keeping it",
                "Offenders::Optimizer creates a TorchSharp.Modules.AdamW, whose TorchSharp.torch/Tensor TorchSharp.Modules.AdamW::step(",
                "Offenders/LazyAdamW inherits TorchSharp.torch/Tensor TorchSharp.Modules.AdamW::step(",
            ];
            foreach (var violation in expected)
                Assert.IsTrue(violations.Any(v => v.Contains(violation, StringComparison.Ordinal)), $"not found: {violation}\nin:\n{string.Join("\n", violations)}");
            Assert.IsFalse(violations.Any(v => v.Contains("::Kept", StringComparison.Ordinal)), string.Join("\n", violations));
        }
    }

    private static (AssemblyDefinition Assembly, ScalarLifetimeCheck Check) Load(string path)
    {
        var resolver = new DefaultAssemblyResolver();
        resolver.AddSearchDirectory(Path.GetDirectoryName(path)!);
        var assembly = AssemblyDefinition.ReadAssembly(path, new ReaderParameters { AssemblyResolver = resolver });
        // Resolved by the same resolver, so the library's references resolve to these very definitions.
        var torchSharp = resolver.Resolve(assembly.MainModule.AssemblyReferences.Single(r => r.Name == "TorchSharp"));
        return (assembly, ScalarLifetimeCheck.For(torchSharp));
    }

    // Never run: read as IL only.
    private static class Offenders
    {
        public static Tensor Sum(Tensor a, Tensor b) => a + b;

        public static Tensor Halve(Tensor a) => a.mul(0.5);

        public static Tensor Accumulate(Tensor a, Tensor b) => a.add_(b);

        public static Tensor Norm(Tensor a) => linalg.vector_norm(a);

        public static Tensor Unkept(Tensor a) => a.mul(0.5.ToScalar());

        public static Tensor Kept(Tensor a, Tensor b)
        {
            using var half = 0.5.ToScalar();
            return a.mul(half).add(b, half);
        }

        public static AdamW Optimizer(Parameter p) => optim.AdamW(new[] { p });

        public sealed class LazyAdamW(IEnumerable<Parameter> parameters) : AdamW(parameters);
    }
}
