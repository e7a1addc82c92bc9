using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// An exponential moving average of a model's parameters with the TF1-style warm-up of the NFNet recipe:
/// ema ← ema·d + p·(1 − d), d = min(decay, (1 + n)/(10 + n)) at the n-th update (n from 0). The average starts from
/// the parameters at construction. Evaluate with it by swapping it into the model (<see cref="SwapIn"/>) or copying it
/// into another model of the same architecture (<see cref="CopyTo"/>).
/// </summary>
/// <remarks>The average covers parameters only (NFNets have no buffers) and lives on the parameters' device. While it
/// is swapped in, it can be neither updated, copied nor saved.</remarks>
internal sealed class ExponentialMovingAverage : IDisposable
{
    private const string FormatTag = "Microsoft.ML.NFNet.ExponentialMovingAverage/1";

    private readonly nn.Module model;
    private readonly (string Name, Parameter Parameter, Tensor Average)[] tracked;
    private bool swappedIn;

    /// <param name="model">The model whose parameters to average.</param>
    /// <param name="decay">The decay once warmed up (the recipe uses 0.99999), in (0, 1).</param>
    /// <param name="parameterNames">The parameters to average (by name); null averages all of them. Frozen parameters
    /// never change, so fine-tuning averages only the trained ones.</param>
    public ExponentialMovingAverage(nn.Module model, double decay, IReadOnlySet<string>? parameterNames = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(decay > 0 && decay < 1))
            throw new ArgumentOutOfRangeException(nameof(decay), decay, "The EMA decay must lie strictly between 0 and 1 (the recipe uses 0.99999).");
        this.model = model;
        Decay = decay;
        using var _ = no_grad();
        tracked = model.named_parameters()
            .Where(np => parameterNames is null || parameterNames.Contains(np.name))
            .Select(np => (np.name, np.parameter, np.parameter.detach().clone().DetachFromDisposeScope()))
            .ToArray();
    }

    /// <summary>The decay once warmed up.</summary>
    public double Decay { get; }

    /// <summary>Updates made so far.</summary>
    public long Updates { get; private set; }

    /// <summary>The averaged tensors by parameter name (live: they change with each update).</summary>
    public IReadOnlyDictionary<string, Tensor> Averages => tracked.ToDictionary(t => t.Name, t => t.Average);

    /// <summary>The decay used by update number <paramref name="update"/> (from 0): min(decay, (1 + n)/(10 + n)).</summary>
    public static double DecayAt(double decay, long update) => Math.Min(decay, (1.0 + update) / (10.0 + update));

    /// <summary>Moves the average towards the model's current parameters; call after each optimizer step.</summary>
    public void Update()
    {
        ThrowIfSwappedIn();
        var d = DecayAt(Decay, Updates);
        using var decay = d.ToScalar();
        using var step = (1 - d).ToScalar();
        using (no_grad())
        {
            foreach (var (_, parameter, average) in tracked)
                average.mul_(decay).add_(parameter, alpha: step);
        }
        Updates++;
    }

    /// <summary>Puts the average into the model's parameters and the parameters into the average, until the returned
    /// object is disposed (which swaps back). For evaluation: <c>using (ema.SwapIn()) { ... }</c>.</summary>
    public IDisposable SwapIn()
    {
        ThrowIfSwappedIn();
        Swap();
        swappedIn = true;
        return new SwapBack(this);
    }

    /// <summary>Copies the average into the parameters of <paramref name="target"/> (same parameter names and shapes).</summary>
    public void CopyTo(nn.Module target)
    {
        ArgumentNullException.ThrowIfNull(target);
        ThrowIfSwappedIn();
        var parameters = target.named_parameters().ToDictionary(np => np.name, np => np.parameter);
        using (no_grad())
        {
            foreach (var (name, _, average) in tracked)
            {
                if (!parameters.TryGetValue(name, out var parameter) || !parameter.shape.SequenceEqual(average.shape))
                    throw new ArgumentException($"The target model has no parameter '{name}' of shape [{string.Join(", ", average.shape)}].", nameof(target));
                parameter.copy_(average);
            }
        }
    }

    /// <summary>Writes the decay, the update count and the averages.</summary>
    public void Save(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ThrowIfSwappedIn();
        writer.Write(FormatTag);
        writer.Write(Decay);
        writer.Write(Updates);
        writer.Write(tracked.Length);
        foreach (var (name, _, average) in tracked)
        {
            writer.Write(name);
            average.Save(writer);
        }
    }

    /// <summary>Reads what <see cref="Save"/> wrote for a model with the same parameters. The decay is checked, not
    /// restored: it is part of the configuration.</summary>
    /// <exception cref="InvalidDataException">The data is not an EMA of this model with this decay.</exception>
    public void Load(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ThrowIfSwappedIn();
        if (reader.ReadString() != FormatTag)
            throw new InvalidDataException("The data is not a saved exponential moving average.");
        var decay = reader.ReadDouble();
        if (decay != Decay)
            throw new InvalidDataException($"The saved EMA has decay {decay}, this one {Decay}.");
        var updates = reader.ReadInt64();
        var count = reader.ReadInt32();
        if (count != tracked.Length)
            throw new InvalidDataException($"The saved EMA has {count} tensors, the model {tracked.Length} parameters.");
        foreach (var (name, _, average) in tracked)
        {
            var savedName = reader.ReadString();
            if (savedName != name)
                throw new InvalidDataException($"The saved EMA has '{savedName}' where the model has '{name}'.");
            average.Load(reader);
        }
        Updates = updates;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (_, _, average) in tracked)
            average.Dispose();
    }

    private void Swap()
    {
        using (no_grad())
        {
            foreach (var (_, parameter, average) in tracked)
            {
                using var saved = parameter.detach().clone();
                parameter.copy_(average);
                average.copy_(saved);
            }
        }
    }

    // While swapped in, the average holds the model's own parameters.
    private void ThrowIfSwappedIn()
    {
        if (swappedIn)
            throw new InvalidOperationException("The average is swapped into the model; dispose the object SwapIn returned first.");
    }

    private sealed class SwapBack(ExponentialMovingAverage ema) : IDisposable
    {
        private bool swappedBack;

        public void Dispose()
        {
            if (swappedBack)
                return;
            swappedBack = true;
            ema.Swap();
            ema.swappedIn = false;
        }
    }
}
