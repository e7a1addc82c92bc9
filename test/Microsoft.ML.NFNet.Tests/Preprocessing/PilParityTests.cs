using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Tests.Preprocessing;

/// <summary>
/// Evaluation preprocessing against timm's PIL pipeline. The expected 16×16 RGB crops were produced once with Pillow 9.4.0
/// (Debian 12's python3-pil) from the PNGs that <see cref="RgbImage.Noise"/> gives for the same sizes and seeds, by:
/// <code>
/// img = Image.open(path).convert("RGB"); w, h = img.size; s = math.floor(16 / 0.875)
/// img = img.resize((int(s * w / h), s) if w > h else (s, int(s * h / w)), Image.BICUBIC)  # or Image.BILINEAR
/// left, top = int(round((img.size[0] - 16) / 2.0)), int(round((img.size[1] - 16) / 2.0))
/// base64.b64encode(img.crop((left, top, left + 16, top + 16)).tobytes())
/// </code>
/// which is torchvision's Resize(18) + CenterCrop(16), as timm's eval transform does with crop_pct 0.875.
/// </summary>
[TestClass]
public class PilParityTests
{
    private const string DownscaleBicubic =
        "QJBEWHp0fDxsYnqJZF2HT49zaVCcgVOxh9uEeaZPZJdvbLORYXhxYGK6i2xjqIl1hImLlVZ+boTRn39Wlz5/goK9fkWsppyhlr1f" +
        "lml+pIhfg3aWkZ+iY6yAaaFTO3Khk6lWk391mY+3h35ZdX1pnV2zaLWVdruHmojAUYuBgnI4sUdYalGpVD6KmYp7PKiRZoODcr9d" +
        "R2FXe7l6X4qfcl/Op4+Tw1iBgH+RR4tkTXGcZXaGhkCTdmuGiZGwYGuEiYTZYKiaVG2QRbBARX6Aa25Qma5pfY2yNKJlZZ04f4yD" +
        "mEGapHdXYmZ1ZERxf3FVpoFraLKPdVapKmeaX12aTK6fXZ9skYytg8h7hnyPtZQ1gVpzoXqmcUJucaQzsYNfYnhVZUGkhk6cd2yR" +
        "gqWSc7CmUZR7W7WFlmJkxWVlbJxtZYmbkHGNeENnXlCPc1N5c5ucZFePa7VkcXCfin+VsISuc5hcI4F2iV+EjJJ7h4+qXXmsuJpu" +
        "uoVMpHWvppBcTn54V3dowLiGcqyvhmi8gFqaa6zQQZmUen90fLWgp4mCmYGjZ2V3kHCgloV6UD5uu4S3rnaRuo23g8CKyJB9d7aH" +
        "hZ+Ebn2San+MWn1UlZyuxo3CapuVeZq6WZ5rWGp7l0JbsYBvV1VdckSLhJ1rfkVmQnC/omuTgoYfLWx/lEOa0ZNfsYGEwYjHYGpj" +
        "iFiMj5h7cbycUFGfun1wnp15lWKbqKK5xTmKPp1YZz2UknqqyXaruWGViHyWasSUb3CDuMqXnI+GvZmn0GlgoWNKc5GId2x2hnDU" +
        "rohWK6Bxc5ZzhX2sqHjNOms/lKyIXLmamKmTaEewgy9oaZWSbMFTR0d/GVl8ehywY02mTJVxmVVnmk1pWn5zapMtmWaLqIKlTFGy" +
        "c09okHGgcp+wm4SXaXd/iWm1j4tMoYqAd3Z8vZtmqrqewXBTuZJkdH1JkHRdgDyCzI52ZWyKtVt9xZV0nKY6fK9vcM2StZgxnntX" +
        "czdwn21IbrdyT913XniIYoal";

    private const string UpscaleBicubic =
        "+DBM5FFJvXRAcpwoIr4RCLsaBJZBAXtgFZFeM7BPWp89k1QguBgZnBlKZDyYXmTA4YJDn2dua2CGXJB0VsVXRrhMHXFNAEBWDV9u" +
        "LpOJU4yHhkJhpwdIjxpjXVGVV3K1wdk5UYOVFVLSSILKlMKqkKyIRExaCgpJDy+BL3TOT3jeeDOqkgB6gSB8W2WUVXusqNA3TJiN" +
        "HnLKVYLXo5vLqYqndFdfRzU+QE2FR3fsV3j+dUmziyRwiDR0dluWdWG0kn07falfc7mCfouskVPKn1Sxrodesq8yl6p/dJTua4b4" +
        "e32PkHA4n1ZRqzadsyjMdz5SlatPp99bmoyRhyLEmS+yzqNb7vkr0eVznazdhJbfgKVoiacMoXY5wC+l0RPeSDiUaJGQgryRkHmq" +
        "miO/piyitYhSv88kxc1axLCusaethbJJZbQCb5c+jWu1pE3pG0jcKm/gRoLafWLOszq5tjqOi19Mc4MkoZxB4K502bdyh7EuPKsG" +
        "M7FLSrrAZ6LrDl/wHWjmPGvYfF3JvU23wU2SjVxbbXE2lZM/z7Zaxr1UdaEkLo4NK6xJS9ytadPSIIbUPHylYHOJjmmeu2S7yGqv" +
        "unyAp5Jamq9Vi8lbcr1OS38pNVUVVYQ5kdl5q+2bPp6sX4lrgntMm3V7s3a6yITF4J+l3raDp8dwXcxgOK5PNV46SCovf102yr9K" +
        "3eZmbYaHeXRoiW5flHODo4GyvJjF4r3G79G3w8KOgaBdYHtOXEhlaCp4jkldwoUzzaI6oVtejVZ6g1yThGycjoSjqKW51NTf7+Xq" +
        "5LCryWJYsjtPnjqakEDQkj2UnTkrnz8ZnVxBfl2Ca2SucGmggHOHmpCYwMPQ3tnp6qOq61NR4DJLx0KhrFHglTangQ07dwkjUJYw" +
        "P5h+OpCsVWmKeENYkkpao3yJtKCkzJh/4n5I5W9A1Gpuul+VlzeMbQVvUwZnCconB8x5EbelQGt2dRoyjQ4niz1KkG5krpBY0qpA" +
        "4Ko42I49wmlMlzlvXwebORCl";

    private const string DownscaleBilinear =
        "RpBPX3Vzdkh0ZHOIZF+IVod5aVOcfGKrhcmCfKFYaJpwcKuOY3d4Y2WuhXNqoYtzhYeIj1+FdX/DmXtdlkmFiHyygFmtoJ2albRq" +
        "k3J8m4Zih3ORipecZKF/b5xeRXiUjqRgk395k42viYBfeHdzlmWncamae7GMko+tX4WChXRBp05fb1ieXUyIjoR8RaCOZ4aCcLRi" +
        "T21fdrB6YYmecGLBoIuWtWKIg4GRUoZpVHGWaHSHhEeTd2yHhY2lZnGIhoPFZaKZV3KSRaZOTXt9a3hekadrepGoRKJsZZpGgYl8" +
        "k0uSnnJgZWB4ZlFwf3RVnoN5aqePcGCjM22SXWeXVaWbY6NtipCmgLx8hX+Hq5JGhl51nXaVc09tcpNDq31gZHdgak2eglWadHCV" +
        "gp2WcqmmU5N5XqqFkWxqu2pmc5dvZoWTkG6LeUpqY1aGeFx7bZeYZWSKcahscnWiin+WpYKqcphnNYJ6g2mEg5WDiIqjaX2or5Vz" +
        "soBdo3minYRkVoF5YXlur62BdqaqiWyygmKdaqTBSZSPeIF5fKyYo4eJlYKhdWp6lHSZlYCBXEpssoGsrXiUtJCuhbKTvJOBfaqI" +
        "hZ+Lan6RbIKHYH9empmrv5C7bZaQfpizYJp0X2t7lVBkn4JzYVxme1GEgJJuf05vVHe1nmuLfIQ0O2h+llGVyYptrn6HtIe5aHRu" +
        "hV2MipR1dquYWFmXrX92mpZ5kmKSoJaytESLT5JeZEqPk3WmwXaltmWXioKWbbaRb3OGscCWmY6LtpKexWxln21VeImGdW9/iXDC" +
        "o4JgOJtydo12hnymnne+S3VLiKSCYa2akZ6SbUqkgTxyb5CPbq5eT1WALVuAeyinaVChU4xynF1rmldsZnxwdI08kW1+o3yWWl+r" +
        "dVR1i2qYeZyrkYePbXZ+fmiri4Nemod/dnp6tphsqqyUs3NYrpRifIFUj3ZjfkiCtoV5b22Ls2V7vJh3mKJHfq5peMSJqZVCmXxa" +
        "fkVwmHNRcq5sWMt5YH+EZYqd";

    [TestMethod]
    public void DownscalingBicubicMatchesPil() => AssertMatchesPil(RgbImage.Noise(40, 30, seed: 1), ImageInterpolation.Bicubic, DownscaleBicubic);

    [TestMethod]
    public void UpscalingBicubicMatchesPil() => AssertMatchesPil(RgbImage.Noise(9, 7, seed: 2), ImageInterpolation.Bicubic, UpscaleBicubic);

    [TestMethod]
    public void DownscalingBilinearMatchesPil() => AssertMatchesPil(RgbImage.Noise(40, 30, seed: 1), ImageInterpolation.Bilinear, DownscaleBilinear);

    /// <summary>libtorch's uint8 antialiased resize and PIL round differently in rare cases: at most one grey level.</summary>
    private static void AssertMatchesPil(RgbImage input, ImageInterpolation interpolation, string pilBase64)
    {
        using var scope = NewDisposeScope();
        var preprocessor = new ImagePreprocessor(new ImagePreprocessingOptions { ImageSize = 16, Interpolation = interpolation });
        var rgb = ImageDecoder.DecodeRgb(input.EncodePng(), long.MaxValue);
        var ours = preprocessor.Evaluate(rgb, 16).permute(1, 2, 0).contiguous().data<byte>().ToArray();
        var pil = Convert.FromBase64String(pilBase64);

        Assert.HasCount(pil.Length, ours);
        var differences = ours.Zip(pil, (a, b) => Math.Abs(a - b)).ToArray();
        Assert.IsLessThanOrEqualTo(1, differences.Max(), "largest difference from PIL");
        Assert.IsLessThan(0.05, differences.Count(d => d > 0) / (double)differences.Length, "share of values that differ");
    }
}
