namespace Microsoft.ML.NFNet;

/// <summary>Chooses the parameters of an <see cref="NFNetModel"/> that adaptive gradient clipping acts on.</summary>
internal static class AgcClippingSet
{
    /// <summary>
    /// Every parameter of <paramref name="model"/> except the final classifier's (weight and bias for
    /// <see cref="AgcConvention.Timm"/>, weight only for <see cref="AgcConvention.DeepMind"/>), in registration order.
    /// The classifier is found by identity (<see cref="NFNetModel.Classifier"/>), not by name or position.
    /// </summary>
    /// <remarks>Parameters are tensors of the model as it is now: build the set after moving the model to its device
    /// and after <see cref="NFNetModel.ResetClassifier"/>, both of which replace parameters.</remarks>
    public static IReadOnlyList<AgcParameter> Of(NFNetModel model, AgcConvention convention = AgcConvention.Timm)
    {
        ArgumentNullException.ThrowIfNull(model);
        var classifier = model.Classifier;
        var excluded = new HashSet<IntPtr> { classifier.weight.Handle };
        if (convention == AgcConvention.Timm && classifier.bias is not null)
            excluded.Add(classifier.bias.Handle);
        var singleUnits = convention == AgcConvention.DeepMind
            ? model.modules().OfType<ScaledStdConv2d>().Select(conv => conv.get_parameter("gain")!.Handle).ToHashSet()
            : [];

        var all = model.named_parameters().ToList();
        var clipped = all
            .Where(np => !excluded.Contains(np.parameter.Handle))
            .Select(np => new AgcParameter(np.parameter, singleUnits.Contains(np.parameter.Handle), np.name))
            .ToList();
        // An exclusion that matches nothing would silently clip the classifier (nfnets-pytorch's ignore_agc does).
        if (clipped.Count != all.Count - excluded.Count)
            throw new InvalidOperationException(
                $"The classifier's parameters were not found among the model's {all.Count} parameters; AGC would clip the classifier.");
        return clipped;
    }
}
