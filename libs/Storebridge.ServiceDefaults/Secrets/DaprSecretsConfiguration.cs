using Dapr.Client;
using Microsoft.Extensions.Configuration;

namespace Storebridge.ServiceDefaults.Secrets;

/// <summary>
/// Loads a service's secrets from the Dapr secret store into configuration at start, so options such as
/// <c>Storebridge:Auth:ApiKeys</c> or a store's consumer secret are bound like any setting but never live in a file.
/// Secret names use <c>--</c> for the configuration separator: <c>Storebridge--Auth--ApiKeys--console</c>.
/// </summary>
public static class DaprSecretsConfiguration
{
    /// <summary>Configuration key naming the Dapr secret store to load; nothing is loaded when it is empty.</summary>
    public const string StoreKey = "Storebridge:Secrets:Store";

    /// <summary>Maps a secret name onto a configuration key.</summary>
    public static string ToConfigurationKey(string secretName) =>
        secretName.Replace("--", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);

    /// <summary>Flattens a bulk secret answer (secret → key → value) into configuration keys.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> Flatten(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> secrets)
    {
        foreach (var (secretName, values) in secrets)
        {
            foreach (var (key, value) in values)
            {
                // A single-valued secret (the common case for file and Kubernetes stores) is keyed by its own name.
                var name = values.Count == 1 || key == secretName ? secretName : $"{secretName}--{key}";
                yield return new(ToConfigurationKey(name), value);
            }
        }
    }

    internal static async Task LoadAsync(IConfigurationManager configuration, TimeSpan sidecarWait, CancellationToken cancellationToken)
    {
        var store = configuration[StoreKey];
        if (string.IsNullOrWhiteSpace(store))
        {
            return;
        }

        using var client = new DaprClientBuilder().Build();
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            wait.CancelAfter(sidecarWait);
            await client.WaitForSidecarAsync(wait.Token);
        }

        var secrets = await client.GetBulkSecretAsync(store, cancellationToken: cancellationToken);
        var readOnly = secrets.ToDictionary(
            s => s.Key,
            s => (IReadOnlyDictionary<string, string>)s.Value,
            StringComparer.Ordinal);
        configuration.AddInMemoryCollection(Flatten(readOnly));
    }
}
