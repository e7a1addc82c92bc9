namespace Microsoft.ML.NFNet;

/// <summary>
/// The one way every options record of the library reports an invalid setting: an
/// <see cref="ArgumentOutOfRangeException"/> whose parameter name is the setting and whose message names the record,
/// the setting, the rule and the value.
/// </summary>
internal readonly struct OptionCheck(string record)
{
    public void That(bool condition, string setting, object? value, string rule)
    {
        if (!condition)
            throw new ArgumentOutOfRangeException(setting, value, $"{record}.{setting} {rule}.");
    }

    public void AtLeast(long value, long minimum, string setting) =>
        That(value >= minimum, setting, value, $"must be at least {minimum}");

    public void Positive(double value, string setting) =>
        That(double.IsFinite(value) && value > 0, setting, value, "must be a positive finite number");

    public void NonNegative(double value, string setting, string whatZeroMeans = "") =>
        That(double.IsFinite(value) && value >= 0, setting, value,
            "must be zero" + (whatZeroMeans.Length > 0 ? $" ({whatZeroMeans})" : "") + " or a positive finite number");

    public void Probability(double value, string setting) =>
        That(value is >= 0 and <= 1, setting, value, "is a probability and must be in [0, 1]");

    public void Fraction(double value, string setting) =>
        That(value is >= 0 and < 1, setting, value, "must be in [0, 1)");

    public void Defined<TEnum>(TEnum value, string setting) where TEnum : struct, Enum =>
        That(Enum.IsDefined(value), setting, value, $"is not a known {typeof(TEnum).Name} value");

    public void NotNull(object? value, string setting)
    {
        if (value is null)
            throw new ArgumentNullException(setting, $"{record}.{setting} must not be null.");
    }
}
