using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

// Usage: Microsoft.ML.NFNet.LoadCheck [--vector-column <name>] [--set-env NAME=VALUE]... <model.zip> <feature column> <row file>...
// Loads the model the way an application does, scores each row file's bytes as one row of the feature column
// (a variable-length byte vector) through Transform and prints one JSON object to stdout: the assemblies loaded before
// and after Model.Load, the type names of the loaded transformers, the slot names of the vector column (default
// "Score"; none when it has no slot names), per row that column's values and the PredictedLabel text, if any, and the
// libtorch thread count that a new thread of the app gets after scoring.
// --set-env sets a variable with Environment.SetEnvironmentVariable before anything else, as an app's Main would.
var vectorColumn = "Score";
while (args.Length >= 2 && args[0] is "--vector-column" or "--set-env")
{
    if (args[0] == "--vector-column")
        vectorColumn = args[1];
    else
        Environment.SetEnvironmentVariable(args[1].Split('=', 2)[0], args[1].Split('=', 2)[1]);
    args = args[2..];
}
if (args.Length < 3)
{
    Console.Error.WriteLine("Usage: Microsoft.ML.NFNet.LoadCheck [--vector-column <name>] [--set-env NAME=VALUE]... <model.zip> <feature column> <row file>...");
    return 2;
}

var mlContext = new MLContext();
var loadedBefore = LoadedAssemblyNames();
var model = mlContext.Model.Load(args[0], out _);
var loadedAfter = LoadedAssemblyNames();

var definition = SchemaDefinition.Create(typeof(Row));
definition[nameof(Row.Bytes)].ColumnName = args[1];
var rows = args.Skip(2).Select(path => new Row { Bytes = File.ReadAllBytes(path) });
var scored = model.Transform(mlContext.Data.LoadFromEnumerable(rows, definition));

var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
if (scored.Schema[vectorColumn].HasSlotNames())
    scored.Schema[vectorColumn].GetSlotNames(ref slotNames);
var hasTextLabel = scored.Schema.GetColumnOrNull("PredictedLabel")?.Type is TextDataViewType;

var report = new Report(
    loadedBefore,
    loadedAfter,
    Transformers(model).Select(t => t.GetType().Name).ToArray(),
    slotNames.DenseValues().Select(s => s.ToString()).ToArray(),
    scored.GetColumn<float[]>(vectorColumn).ToArray(),
    hasTextLabel ? scored.GetColumn<string>("PredictedLabel").ToArray() : null,
    ThreadsOfANewThread());
// Floats are written shortest-round-trip, so the reader gets the exact bits back.
Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions
{
    NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
}));
return 0;

static string[] LoadedAssemblyNames() =>
    AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name!).Order().ToArray();

// Not inlined: TorchSharp must load with the model, not when Main is compiled.
[System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
static int ThreadsOfANewThread()
{
    var threads = 0;
    var thread = new Thread(() => threads = TorchSharp.torch.get_num_threads());
    thread.Start();
    thread.Join();
    return threads;
}

static IEnumerable<ITransformer> Transformers(ITransformer transformer) =>
    transformer is IEnumerable<ITransformer> chain ? chain.SelectMany(Transformers) : [transformer];

internal sealed class Row
{
    public byte[] Bytes { get; set; } = [];
}

internal sealed record Report(
    string[] LoadedBeforeModelLoad,
    string[] LoadedAfterModelLoad,
    string[] TransformerTypes,
    string[] ScoreSlotNames,
    float[][] Scores,
    string[]? PredictedLabels,
    int IntraOpThreads);
