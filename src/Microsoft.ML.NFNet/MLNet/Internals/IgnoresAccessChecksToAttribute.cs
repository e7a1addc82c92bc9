namespace System.Runtime.CompilerServices;

/// <summary>
/// Tells CoreCLR that this assembly may access the non-public types and members of the named assembly. The runtime
/// recognises the attribute by its full name, but the BCL does not ship it, so every assembly that uses it declares it.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
internal sealed class IgnoresAccessChecksToAttribute(string assemblyName) : Attribute
{
    /// <summary>The simple name of the assembly whose internals this assembly uses.</summary>
    public string AssemblyName { get; } = assemblyName;
}
