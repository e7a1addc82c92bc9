namespace Microsoft.ML.NFNet.Samples.WebApi.LoadTest;

/// <summary>Settings of <c>nfnet-webapi loadtest</c>, given as <c>--name value</c>.</summary>
public sealed class LoadTestOptions
{
    /// <summary>A model zip to serve; null trains a small <c>nfnet_tiny</c> on synthetic images first.</summary>
    public string? Model { get; set; }

    /// <summary>The variant trained here when no model is given (default nfnet_tiny; eca_nfnet_l0 for a mid-size one).</summary>
    public string Architecture { get; set; } = "nfnet_tiny";

    /// <summary>Side of the network input when a model is trained here (default 128, the trainer's default).</summary>
    public int ImageSize { get; set; } = 128;

    /// <summary>An image file to send; null sends a synthetic 224×224 JPEG.</summary>
    public string? Image { get; set; }

    /// <summary>Concurrent clients, each with its own HttpClient and connection (default 4).</summary>
    public int Concurrency { get; set; } = 4;

    /// <summary>Seconds of measurement (default 20).</summary>
    public double Duration { get; set; } = 20;

    /// <summary>Seconds of requests before measuring, not counted (default 3).</summary>
    public double Warmup { get; set; } = 3;

    /// <summary>Checks the values, naming the option that is wrong.</summary>
    public void Validate()
    {
        _ = NFNetConfig.Variant(Architecture);
        if (ImageSize < 32)
            throw new ArgumentOutOfRangeException("--image-size", ImageSize, "must be at least 32");
        if (Concurrency < 1)
            throw new ArgumentOutOfRangeException("--concurrency", Concurrency, "must be at least 1");
        if (!(Duration > 0))
            throw new ArgumentOutOfRangeException("--duration", Duration, "must be a positive number of seconds");
        if (!(Warmup >= 0))
            throw new ArgumentOutOfRangeException("--warmup", Warmup, "must be zero or more seconds");
        if (Image != null && !File.Exists(Image))
            throw new FileNotFoundException($"The image file '{Path.GetFullPath(Image)}' does not exist.", Image);
    }
}
