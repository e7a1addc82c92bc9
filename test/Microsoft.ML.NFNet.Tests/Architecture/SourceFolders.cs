using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;

namespace Microsoft.ML.NFNet.Tests.Architecture;

/// <summary>
/// The source folder of every type of an assembly, read from its portable PDB: the documents of the type's method
/// bodies, or, for a type without any (an enum, an interface), the documents the compiler records for it
/// (the TypeDefinitionDocuments debug information). Paths are taken below the project's folder, found by its name (a
/// deterministic CI build maps the checkout to <c>/_/</c>); a file the build generated (under
/// <c>obj/&lt;configuration&gt;/&lt;framework&gt;/</c>) counts as in the folder below that.
/// </summary>
internal static class SourceFolders
{
    private static readonly Guid TypeDefinitionDocuments = new("932E74BC-DBA9-4478-8D46-0F32A7BAB3D3");

    /// <summary>Metadata token of each type → the first folder below the project folder <paramref name="projectFolder"/>
    /// of each of its source files ("" for a file at the project root, null for a file outside it).</summary>
    public static Dictionary<int, HashSet<string?>> Of(string assemblyPath, string projectFolder)
    {
        var pdbPath = Path.ChangeExtension(assemblyPath, ".pdb");
        using var pdbStream = File.OpenRead(pdbPath);
        using var provider = MetadataReaderProvider.FromPortablePdbStream(pdbStream);
        var pdb = provider.GetMetadataReader();
        using var peStream = File.OpenRead(assemblyPath);
        using var pe = new System.Reflection.PortableExecutable.PEReader(peStream);
        var metadata = pe.GetMetadataReader();

        var folders = new Dictionary<int, HashSet<string?>>();
        void Add(TypeDefinitionHandle type, DocumentHandle document)
        {
            var name = pdb.GetString(pdb.GetDocument(document).Name);
            if (name.EndsWith(".g.cs", StringComparison.Ordinal))
                return; // a source generator's half of a partial type (the [GeneratedRegex] code): the other half has the folder
            var token = MetadataTokens.GetToken(type);
            if (!folders.TryGetValue(token, out var set))
                folders[token] = set = [];
            set.Add(FolderOf(name, projectFolder));
        }

        foreach (var typeHandle in metadata.TypeDefinitions)
        {
            foreach (var methodHandle in metadata.GetTypeDefinition(typeHandle).GetMethods())
            {
                var debug = pdb.GetMethodDebugInformation(methodHandle.ToDebugInformationHandle());
                if (!debug.Document.IsNil)
                    Add(typeHandle, debug.Document);
                else if (!debug.SequencePointsBlob.IsNil)
                    foreach (var point in debug.GetSequencePoints())
                        Add(typeHandle, point.Document);
            }
        }
        foreach (var handle in pdb.CustomDebugInformation)
        {
            var information = pdb.GetCustomDebugInformation(handle);
            if (pdb.GetGuid(information.Kind) != TypeDefinitionDocuments || information.Parent.Kind != HandleKind.TypeDefinition)
                continue;
            var blob = pdb.GetBlobReader(information.Value);
            while (blob.RemainingBytes > 0)
                Add((TypeDefinitionHandle)information.Parent, MetadataTokens.DocumentHandle(blob.ReadCompressedInteger()));
        }
        return folders;
    }

    private static string? FolderOf(string document, string projectFolder)
    {
        var path = document.Replace('\\', '/');
        var marker = "/" + projectFolder + "/";
        var at = path.LastIndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
            return null;
        var parts = path[(at + marker.Length)..].Split('/');
        // obj/<configuration>/<framework>/<folder>/...: a file generated from a source of that folder (the ONNX schema).
        if (parts.Length > 4 && parts[0] == "obj")
            parts = parts[3..];
        return parts.Length > 1 ? parts[0] : "";
    }
}
