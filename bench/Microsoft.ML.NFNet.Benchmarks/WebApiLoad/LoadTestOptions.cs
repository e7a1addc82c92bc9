namespace Microsoft.ML.NFNet.Benchmarks.WebApiLoad;

/// <summary>Settings of <c>webapi-load</c>.</summary>
/// <param name="Model">A model zip to serve; null trains a small <c>nfnet_tiny</c> on synthetic images first.</param>
/// <param name="Architecture">The variant trained here when no model is given (nfnet_tiny; eca_nfnet_l0 for a mid-size one).</param>
/// <param name="ImageSize">Side of the network input when a model is trained here (128, the trainer's default).</param>
/// <param name="Image">An image file to send; null sends a synthetic 224×224 JPEG.</param>
/// <param name="Concurrency">Concurrent clients, each with its own HttpClient and connection.</param>
/// <param name="Duration">Seconds of measurement.</param>
/// <param name="Warmup">Seconds of requests before measuring, not counted.</param>
/// <param name="Bombs">Pixel bombs sent at once in the middle of normal traffic (0: none).</param>
/// <param name="BombSide">Side of each pixel bomb in pixels.</param>
/// <param name="Settle">Seconds of normal traffic after the last bomb's answer, before the server's memory is read again.</param>
public sealed record LoadTestOptions(string? Model = null, string Architecture = "nfnet_tiny", int ImageSize = 128, string? Image = null, int Concurrency = 4,
    double Duration = 20, double Warmup = 3, int Bombs = 0, int BombSide = 7_900, double Settle = 5);
