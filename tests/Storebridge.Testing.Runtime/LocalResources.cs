using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Storebridge.Sidecar.Hosting;

namespace Storebridge.Testing.Runtime;

/// <summary>Inbound retries of <c>pubsub</c> deliveries: a constant interval, a bounded number of times.</summary>
public sealed record PubSubRetry(string Duration, int MaxRetries);

/// <summary>
/// A temporary resources folder and data directory for local runtimes (tools/sidecar) in tests and benches. It holds the
/// components the services expect, the state store <c>statestore</c> (SQLite) and the broker <c>pubsub</c> (in memory),
/// plus optional pub/sub retries and further components. Runtimes started on the same folder share one store and one
/// broker.
/// </summary>
public sealed class LocalResources : IDisposable
{
    /// <param name="name">The temp folder it goes under (<c>storebridge-tests</c>, <c>inventory-bench</c>), so leftovers say whose they are.</param>
    /// <param name="pubsubRetry">A Resiliency policy for <c>pubsub</c> deliveries; without it, the runtime's default.</param>
    /// <param name="extraComponents">More component documents, written after the standard ones.</param>
    public LocalResources(string name, PubSubRetry? pubsubRetry = null, string? extraComponents = null)
    {
        Directory = Path.Combine(Path.GetTempPath(), name, Guid.NewGuid().ToString("n"));
        DataDirectory = Path.Combine(Directory, "data");
        System.IO.Directory.CreateDirectory(DataDirectory);
        File.WriteAllText(Path.Combine(Directory, "components.yaml"), ComponentsYaml(pubsubRetry, extraComponents));
    }

    /// <summary>The resources folder (<c>--resources-path</c>).</summary>
    public string Directory { get; }

    /// <summary>Where the runtimes keep their SQLite files, inside <see cref="Directory"/>.</summary>
    public string DataDirectory { get; }

    /// <summary>
    /// Options for a runtime on these resources that writes no log (benches print their own figures); the level still
    /// decides which log calls the runtime makes at all.
    /// </summary>
    public SidecarOptions RuntimeOptions(string appId, LogLevel logLevel, int? appPort = null) => new()
    {
        AppId = appId,
        AppPort = appPort,
        ResourcesPaths = [Directory],
        DataDir = DataDirectory,
        LogLevel = logLevel,
        ConfigureLogging = logging => logging.ClearProviders(),
    };

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A runtime still closing its database; the temp folder is cleaned by the OS later.
        }
    }

    private static string ComponentsYaml(PubSubRetry? pubsubRetry, string? extraComponents)
    {
        var yaml = new StringBuilder("""
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: statestore
            spec:
              type: state.sqlite
              version: v1
              metadata: []
            ---
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: pubsub
            spec:
              type: pubsub.in-memory
              version: v1
              metadata: []
            """);
        if (pubsubRetry is not null)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"""

                ---
                apiVersion: dapr.io/v1alpha1
                kind: Resiliency
                metadata:
                  name: test-resiliency
                spec:
                  policies:
                    retries:
                      fast:
                        policy: constant
                        duration: {pubsubRetry.Duration}
                        maxRetries: {pubsubRetry.MaxRetries}
                  targets:
                    components:
                      pubsub:
                        inbound:
                          retry: fast
                """);
        }

        if (extraComponents is not null)
        {
            yaml.Append("\n---\n").Append(extraComponents);
        }

        return yaml.ToString();
    }
}
