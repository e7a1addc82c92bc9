namespace Microsoft.ML.NFNet.Samples.WebApi.LoadTest;

/// <summary>Settings of <c>nfnet-webapi loadtest</c>, given as <c>--name value</c>.</summary>
public sealed class LoadTestOptions
{
    /// <summary>A model zip to serve; null trains a small <c>nfnet_tiny</c> on synthetic images first.</summary>
    public string? Model { get; set; }

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

    /// <summary>Pixel bombs sent at once in the middle of the normal traffic (default 0: none). With bombs the server runs
    /// as its own process, and its resident memory before, at the peak of and after the burst is printed.</summary>
    public int Bombs { get; set; }

    /// <summary>Side of the square pixel bomb, a black PNG (default 7,900: 62.4 megapixels in 182 KB).</summary>
    public int BombSide { get; set; } = 7_900;

    /// <summary>Seconds of normal traffic after the last bomb's answer before the memory is read again (default 5).</summary>
    public double Settle { get; set; } = 5;

    /// <summary>Checks the values, naming the option that is wrong.</summary>
    public void Validate()
    {
        if (ImageSize < 32)
            throw new ArgumentOutOfRangeException("--image-size", ImageSize, "must be at least 32");
        if (Concurrency < 1)
            throw new ArgumentOutOfRangeException("--concurrency", Concurrency, "must be at least 1");
        if (!(Duration > 0))
            throw new ArgumentOutOfRangeException("--duration", Duration, "must be a positive number of seconds");
        if (!(Warmup >= 0))
            throw new ArgumentOutOfRangeException("--warmup", Warmup, "must be zero or more seconds");
        if (Bombs < 0)
            throw new ArgumentOutOfRangeException("--bombs", Bombs, "must be zero or more");
        if (BombSide is < 1 or > 65_535)
            throw new ArgumentOutOfRangeException("--bomb-side", BombSide, "must be from 1 to 65,535 pixels");
        if (!(Settle >= 0))
            throw new ArgumentOutOfRangeException("--settle", Settle, "must be zero or more seconds");
        if (Image != null && !File.Exists(Image))
            throw new FileNotFoundException($"The image file '{Path.GetFullPath(Image)}' does not exist.", Image);
    }
}
