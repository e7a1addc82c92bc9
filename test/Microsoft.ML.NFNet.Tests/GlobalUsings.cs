// The library's layers, as the tests use all of them.
global using Microsoft.ML.NFNet.Modeling;
global using Microsoft.ML.NFNet.Native;
global using Microsoft.ML.NFNet.Optimization;
global using Microsoft.ML.NFNet.Preprocessing;
global using Microsoft.ML.NFNet.Training;
global using Microsoft.ML.NFNet.Weights;
global using Microsoft.ML.NFNet.Tests.Modeling;
global using Microsoft.ML.NFNet.Tests.Preprocessing;
global using Microsoft.ML.NFNet.Tests.Training;
global using Microsoft.ML.NFNet.Tests.Weights;
