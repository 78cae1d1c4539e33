namespace Wharf.Manifests;

/// <summary>How a manifest points at another piece of content; stored with each reference.</summary>
public enum ReferenceKind
{
    Config = 1,
    Layer = 2,
    Manifest = 3,
    Subject = 4,
}
