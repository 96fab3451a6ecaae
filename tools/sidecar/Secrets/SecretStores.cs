using System.Collections;
using System.Text.Json;
using Storebridge.Sidecar.Config;

namespace Storebridge.Sidecar.Secrets;

/// <summary>A secret store: each secret is a map (local stores hold one value under the secret's own name).</summary>
internal interface ISecretStore
{
    IReadOnlyDictionary<string, string>? Get(string name);

    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> GetAll();
}

internal static class SecretStoreFactory
{
    public static ISecretStore Create(ComponentSpec component) => component.Type switch
    {
        "secretstores.local.file" => LocalFileSecretStore.Load(component),
        "secretstores.local.env" => new LocalEnvSecretStore(component.Meta("prefix")),
        _ => throw new SidecarConfigException(component.File, "spec.type", $"secret store type '{component.Type}' is not supported (use secretstores.local.file or secretstores.local.env)"),
    };
}

/// <summary><c>secretstores.local.file</c>: a JSON file, nested objects flattened with <c>nestedSeparator</c>.</summary>
internal sealed class LocalFileSecretStore(Dictionary<string, string> values, Dictionary<string, Dictionary<string, string>>? multi) : ISecretStore
{
    public static LocalFileSecretStore Load(ComponentSpec component)
    {
        var fileName = component.Meta("secretsFile");
        if (string.IsNullOrWhiteSpace(fileName))
        {
            throw new SidecarConfigException(component.File, "spec.metadata.secretsFile", "missing");
        }

        // daprd resolves the path against its working directory; the component's folder is tried as well.
        var path = File.Exists(fileName) ? fileName : Path.Combine(Path.GetDirectoryName(component.File) ?? ".", fileName);
        if (!File.Exists(path))
        {
            throw new SidecarConfigException(component.File, "spec.metadata.secretsFile", $"file '{fileName}' not found");
        }

        var separator = component.Meta("nestedSeparator") is { Length: > 0 } s ? s : ":";
        var multiValued = bool.TryParse(component.Meta("multiValued"), out var mv) && mv;
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            root = doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new SidecarConfigException(path, "(json)", $"malformed secrets file: {ex.Message}");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new SidecarConfigException(path, "(json)", "expected a JSON object at the top level");
        }

        var flat = new Dictionary<string, string>(StringComparer.Ordinal);
        Flatten(root, null, separator, flat);
        Dictionary<string, Dictionary<string, string>>? grouped = null;
        if (multiValued)
        {
            grouped = new(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                var inner = new Dictionary<string, string>(StringComparer.Ordinal);
                if (property.Value.ValueKind == JsonValueKind.Object)
                {
                    Flatten(property.Value, null, separator, inner);
                }
                else
                {
                    inner[property.Name] = ScalarText(property.Value);
                }

                grouped[property.Name] = inner;
            }
        }

        return new LocalFileSecretStore(flat, grouped);
    }

    public IReadOnlyDictionary<string, string>? Get(string name)
    {
        if (multi is not null)
        {
            return multi.TryGetValue(name, out var group) ? group : null;
        }

        return values.TryGetValue(name, out var value) ? new Dictionary<string, string> { [name] = value } : null;
    }

    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> GetAll() =>
        multi is not null
            ? multi.ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<string, string>)kv.Value)
            : values.ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<string, string>)new Dictionary<string, string> { [kv.Key] = kv.Value });

    private static void Flatten(JsonElement element, string? prefix, string separator, Dictionary<string, string> into)
    {
        foreach (var property in element.EnumerateObject())
        {
            var key = prefix is null ? property.Name : prefix + separator + property.Name;
            if (property.Value.ValueKind == JsonValueKind.Object)
            {
                Flatten(property.Value, key, separator, into);
            }
            else
            {
                into[key] = ScalarText(property.Value);
            }
        }
    }

    private static string ScalarText(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
}

/// <summary><c>secretstores.local.env</c>: environment variables of the runtime process.</summary>
internal sealed class LocalEnvSecretStore(string? prefix) : ISecretStore
{
    public IReadOnlyDictionary<string, string>? Get(string name)
    {
        var value = Environment.GetEnvironmentVariable((prefix ?? "") + name);
        return value is null ? null : new Dictionary<string, string> { [name] = value };
    }

    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> GetAll()
    {
        var all = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            var key = (string)entry.Key;
            if (prefix is null || key.StartsWith(prefix, StringComparison.Ordinal))
            {
                var name = prefix is null ? key : key[prefix.Length..];
                all[name] = new Dictionary<string, string> { [name] = (string?)entry.Value ?? "" };
            }
        }

        return all;
    }
}
