using Mono.Cecil;

// Usage: Publicizer <input.dll> <output.dll>
// Writes a copy of <input.dll> in which every type, method and field is public. The copy keeps the assembly identity,
// so code compiled against it references the original assembly; it is for compile-time use only.
if (args.Length != 2)
{
    Console.Error.WriteLine("Usage: Publicizer <input.dll> <output.dll>");
    return 2;
}

// Writing resolves a few types in sibling assemblies (Microsoft.ML.Data needs Microsoft.ML.Core), which sit next to the input.
using var resolver = new DefaultAssemblyResolver();
resolver.AddSearchDirectory(Path.GetDirectoryName(Path.GetFullPath(args[0]))!);
using (var assembly = AssemblyDefinition.ReadAssembly(args[0], new ReaderParameters { AssemblyResolver = resolver }))
{
    foreach (var type in assembly.MainModule.GetTypes())
        MakePublic(type);
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(args[1]))!);
    assembly.Write(args[1]);
}
return 0;

static void MakePublic(TypeDefinition type)
{
    if (type.IsNested)
        type.IsNestedPublic = true;
    else
        type.IsPublic = true;

    foreach (var method in type.Methods)
        method.IsPublic = true;

    // A field-like event's backing field has the event's name; a public field beside the public event would make
    // every use of the event ambiguous (CS0229), so it stays private.
    foreach (var field in type.Fields)
    {
        if (!type.Events.Any(e => e.Name == field.Name))
            field.IsPublic = true;
    }
}
