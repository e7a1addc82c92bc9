using System.Reflection;

namespace Microsoft.ML.NFNet.Tests.Modeling;

/// <summary>
/// <see cref="NFNetConfig"/> compares its list fields by content, so its equality, hash, text and JSON are written by
/// hand; changing each settable property in turn proves that none of them was left out, including properties added later.
/// </summary>
[TestClass]
public class NFNetConfigEqualityTests
{
    public static IEnumerable<object[]> SettableProperties() =>
        typeof(NFNetConfig).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is not null)
            .Select(p => new object[] { p.Name });

    [TestMethod]
    [DynamicData(nameof(SettableProperties))]
    public void EveryPropertyTakesPartInEqualityTextAndJson(string name)
    {
        var original = NFNetConfig.Variant("nfnet_tiny");
        var property = typeof(NFNetConfig).GetProperty(name)!;
        var changed = Clone(original);
        property.SetValue(changed, Different(property.GetValue(original)!));

        Assert.AreNotEqual(original, changed, $"{name} must take part in Equals");
        Assert.AreNotEqual(original.ToString(), changed.ToString(), $"{name} must appear in ToString");
        Assert.AreEqual(Describe(property.GetValue(changed)), Describe(property.GetValue(NFNetConfig.FromJson(changed.ToJson()))),
            $"{name} must survive the JSON round trip");
    }

    [TestMethod]
    public void EqualConfigsHaveEqualHashesAndCopiesAreEqual()
    {
        var original = NFNetConfig.Variant("eca_nfnet_l0");
        var copy = original with { Depths = original.Depths.ToArray(), Channels = original.Channels.ToArray() };
        Assert.AreEqual(original, copy, "lists are compared by content");
        Assert.AreEqual(original.GetHashCode(), copy.GetHashCode());
    }

    private static NFNetConfig Clone(NFNetConfig config) =>
        (NFNetConfig)typeof(NFNetConfig).GetMethod("<Clone>$")!.Invoke(config, null)!;

    private static object Different(object value) => value switch
    {
        int i => i + 1,
        double d => d * 1.5 + 0.01,
        bool b => !b,
        string s => s + "-changed",
        Enum e => NextValue(e),
        IReadOnlyList<int> list => list.Select((v, i) => i == 0 ? v + 8 : v).ToArray(),
        _ => throw new AssertFailedException($"Add a way to change a {value.GetType().Name} to this test."),
    };

    private static object NextValue(Enum value)
    {
        var values = Enum.GetValues(value.GetType()).Cast<object>().ToArray();
        return values[(Array.IndexOf(values, value) + 1) % values.Length];
    }

    private static string Describe(object? value) =>
        value is IEnumerable<int> list ? string.Join(",", list) : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!;
}
