// The library's layers, as the tests use all of them.
global using Microsoft.ML.NFNet.Tests.Modeling;
global using Microsoft.ML.NFNet.Tests.Preprocessing;
global using Microsoft.ML.NFNet.Tests.Training;
global using Microsoft.ML.NFNet.Tests.Weights;
