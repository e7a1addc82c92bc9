using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Microsoft.ML.NFNet;

/// <summary>
/// timm's hub <c>config.json</c> (what <c>timm.models.push_to_hf_hub</c> writes next to <c>model.safetensors</c>, and
/// <c>timm.create_model("hf-hub:…")</c> or <c>("local-dir:…")</c> reads): the architecture, class count, label names
/// and <c>pretrained_cfg</c> (the preprocessing). Read for <c>PretrainedWeights</c>, written by <c>ExportTimm</c>.
/// </summary>
/// <param name="Architecture">The network, when the file describes one.</param>
/// <param name="Labels">timm's <c>label_names</c>, in class order.</param>
/// <param name="Preprocessing">The <c>pretrained_cfg</c> values.</param>
internal sealed record TimmHubConfig(NFNetConfig? Architecture, IReadOnlyList<string>? Labels,
    PretrainedPreprocessing Preprocessing)
{
    public const string FileName = "config.json";

    /// <summary>Where this library keeps what timm's fields cannot say (our exact configuration), ignored by timm.</summary>
    public const string OwnSection = "microsoft_ml_nfnet";

    /// <summary>NfCfg's fields for <c>NormFreeNet(NfCfg(**cfg["nf_cfg"]))</c>.</summary>
    public const string NfCfgSection = "nf_cfg";

    /// <summary>The stem's channels when NfCfg's deep-quad stem cannot describe them.</summary>
    public const string StemChannelsField = "nfnet_stem_channels";

    private static readonly string[] TimmNames =
    [
        .. Enumerable.Range(0, 7).Select(k => $"dm_nfnet_f{k}"), .. Enumerable.Range(0, 8).Select(k => $"nfnet_f{k}"),
        "nfnet_l0", .. Enumerable.Range(0, 4).Select(k => $"eca_nfnet_l{k}"),
    ];

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private static readonly JsonSerializerOptions Json = new() { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    /// <summary>timm's name of <paramref name="config"/>'s architecture, or null when timm has no entry point for it
    /// (regularization and recommended sizes aside).</summary>
    public static string? TimmName(NFNetConfig config) => TimmNames.FirstOrDefault(name =>
        NFNetConfig.Variant(name) with
        {
            Name = config.Name, DropRate = config.DropRate, DropPathRate = config.DropPathRate,
            TrainImageSize = config.TrainImageSize, TestImageSize = config.TestImageSize,
        } == config);

    /// <summary>The <c>config.json</c> of a model: the architecture (timm's name, else an NFNet entry point with every
    /// NfCfg field as <c>model_args</c>), classes, label names, and the preprocessing it scores with.</summary>
    /// <exception cref="NotSupportedException">The architecture has no timm counterpart (see <see cref="TimmConfigWriter"/>).</exception>
    public static JsonObject Create(NFNetConfig config, int classCount, int numFeatures, IReadOnlyList<string>? labels,
        ImagePreprocessingOptions preprocessing)
    {
        var (nfCfg, stemChannels) = TimmConfigWriter.Write(config);
        var timmName = TimmName(config);
        var scoringSize = preprocessing.ScoringSize;
        var trainSize = preprocessing.ImageSize ?? scoringSize;
        var crop = preprocessing.ResolvedEvalCropFraction;
        var (meanRed, meanGreen, meanBlue) = preprocessing.ResolvedMean;
        var (stdRed, stdGreen, stdBlue) = preprocessing.ResolvedStd;
        var pool = (scoringSize + 31) / 32;
        var pretrainedCfg = new JsonObject
        {
            ["custom_load"] = false,
            ["input_size"] = Shape(trainSize),
            ["test_input_size"] = Shape(scoringSize),
            ["fixed_input_size"] = false,
            ["interpolation"] = preprocessing.ResolvedInterpolation == ImageInterpolation.Bilinear ? "bilinear" : "bicubic",
            // This library scores at one crop fraction; timm applies crop_pct at input_size, test_crop_pct at test_input_size.
            ["crop_pct"] = crop,
            ["test_crop_pct"] = crop,
            ["crop_mode"] = preprocessing.ResolvedEvalResizeMode == EvalResizeMode.Squash ? "squash" : "center",
            ["mean"] = Numbers(meanRed, meanGreen, meanBlue),
            ["std"] = Numbers(stdRed, stdGreen, stdBlue),
            ["num_classes"] = classCount,
            ["pool_size"] = new JsonArray(pool, pool),
            ["first_conv"] = "stem.conv1",
            ["classifier"] = "head.fc",
        };
        if (labels is not null)
            pretrainedCfg["label_names"] = new JsonArray(labels.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray());
        var root = new JsonObject
        {
            ["architecture"] = timmName ?? (config.GammaInActivation ? "dm_nfnet_f0"
                : config.Attention == NFNetAttention.EfficientChannel ? "eca_nfnet_l0" : "nfnet_f0"),
            ["num_classes"] = classCount,
            ["num_features"] = numFeatures,
            ["global_pool"] = "avg",
        };
        if (labels is not null)
            root["label_names"] = new JsonArray(labels.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray());
        if (timmName is null)
            root["model_args"] = nfCfg.DeepClone();
        root["pretrained_cfg"] = pretrainedCfg;
        root[NfCfgSection] = nfCfg;
        if (stemChannels is not null)
            root[StemChannelsField] = new JsonArray(stemChannels.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray());
        root[OwnSection] = new JsonObject
        {
            ["format"] = 1,
            ["config"] = JsonNode.Parse(config.ToJson()),
            ["preprocessing"] = JsonSerializer.SerializeToNode(preprocessing, Json),
        };
        return root;
    }

    /// <summary>Writes <paramref name="config"/> as indented JSON.</summary>
    public static void Write(JsonObject config, string path) => File.WriteAllText(path, config.ToJsonString(Indented));

    /// <summary>Reads a <c>config.json</c>; throws <see cref="InvalidDataException"/> naming the file and the field.</summary>
    public static TimmHubConfig Read(string path)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidDataException($"'{path}' is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
        try
        {
            var pretrained = root["pretrained_cfg"] as JsonObject ?? root; // timm's legacy single-dict form
            var labels = LabelNames(root["label_names"] ?? pretrained["label_names"]);
            var name = root["architecture"]?.GetValue<string>() ?? pretrained["architecture"]?.GetValue<string>();
            var own = root[OwnSection]?["preprocessing"] is { } saved
                ? ImagePreprocessingOptions.FromJson(saved, Json)
                : null;
            own?.Validate();
            return new TimmHubConfig(ReadArchitecture(root, name), labels,
                own is not null ? PretrainedPreprocessing.Of(own) : ReadPreprocessing(pretrained));
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException or ArgumentException
                                      or NotSupportedException or KeyNotFoundException)
        {
            throw new InvalidDataException($"'{path}' is not a timm model config this library can read: {e.Message}", e);
        }
    }

    // Every source of the architecture ends in NFNetConfig.Validate, which bounds its size before anything is built;
    // an error names the section and field it came from (the caller adds the file).
    private static NFNetConfig? ReadArchitecture(JsonObject root, string? name)
    {
        if (root[OwnSection]?["config"] is { } own)
            return InSection($"{OwnSection}.config", () => NFNetConfig.FromJson(own.ToJsonString()));
        if (root["model_args"] is JsonObject args && args.ContainsKey("depths"))
            return WithStem(InSection("model_args", () => NFNetConfig.FromTimmJson(args.ToJsonString())), root);
        if (name is not null && NFNetConfig.KnownVariants.Contains(name, StringComparer.OrdinalIgnoreCase))
            return NFNetConfig.Variant(name);
        if (root[NfCfgSection] is JsonObject nfCfg)
            return WithStem(InSection(NfCfgSection, () => NFNetConfig.FromTimmJson(nfCfg.ToJsonString())), root);
        return null;
    }

    private static NFNetConfig WithStem(NFNetConfig config, JsonObject root)
    {
        if (root[StemChannelsField] is not JsonArray stem)
            return config;
        return InSection(StemChannelsField, () =>
        {
            var withStem = config with { StemChannels = stem.Select(c => c!.GetValue<int>()).ToArray() };
            withStem.Validate();
            return withStem;
        });
    }

    private static NFNetConfig InSection(string section, Func<NFNetConfig> read)
    {
        try
        {
            return read();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{section}: {e.WithoutParameter()}", e);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NotSupportedException)
        {
            throw new FormatException($"{section}: {e.Message}", e);
        }
    }

    private static PretrainedPreprocessing ReadPreprocessing(JsonObject cfg)
    {
        var train = Size(cfg["input_size"], "input_size");
        var test = Size(cfg["test_input_size"], "test_input_size");
        return new PretrainedPreprocessing(train, test, Double(cfg["crop_pct"]), Double(cfg["test_crop_pct"]) ?? Double(cfg["crop_pct"]),
            cfg["crop_mode"]?.GetValue<string>() switch
            {
                null => null,
                "center" => EvalResizeMode.ShorterSide,
                "squash" => EvalResizeMode.Squash,
                var other => throw new NotSupportedException($"crop_mode '{other}' is not supported (center or squash)"),
            },
            cfg["interpolation"]?.GetValue<string>() switch
            {
                null => null,
                "bicubic" => ImageInterpolation.Bicubic,
                "bilinear" => ImageInterpolation.Bilinear,
                var other => throw new NotSupportedException($"interpolation '{other}' is not supported (bicubic or bilinear)"),
            },
            Triple(cfg["mean"], "mean"), Triple(cfg["std"], "std"));
    }

    private static int? Size(JsonNode? node, string field)
    {
        if (node is not JsonArray { Count: 3 } shape)
            return node is null ? null : throw new FormatException($"{field} must be [3, height, width]");
        var (height, width) = (shape[1]!.GetValue<int>(), shape[2]!.GetValue<int>());
        if (height != width || height < 1)
            throw new NotSupportedException($"{field} is {height}×{width}; this library trains and scores square images");
        return height;
    }

    private static IReadOnlyList<double>? Triple(JsonNode? node, string field) => node switch
    {
        null => null,
        JsonArray { Count: 3 } values => values.Select(v => v!.GetValue<double>()).ToArray(),
        _ => throw new FormatException($"{field} must hold three numbers (red, green, blue)"),
    };

    private static IReadOnlyList<string>? LabelNames(JsonNode? node) => node switch
    {
        null => null,
        JsonArray names => names.Select(n => n!.GetValue<string>()).ToArray(),
        // timm allows {index: name} when there are gaps; only a gap-free one maps to classes.
        JsonObject byIndex => byIndex.OrderBy(kv => int.Parse(kv.Key, CultureInfo.InvariantCulture)).Select(kv => kv.Value!.GetValue<string>()).ToArray(),
        _ => throw new FormatException("label_names must be a list of strings"),
    };

    private static double? Double(JsonNode? node) => node?.GetValue<double>();

    private static JsonArray Shape(int size) => new(3, size, size);

    private static JsonArray Numbers(params double[] values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}
