using Microsoft.Extensions.Logging;
using Storebridge.Sidecar.Config;
using Storebridge.Sidecar.Resilience;
using Storebridge.Sidecar.Secrets;
using Storebridge.Sidecar.Storage;

namespace Storebridge.Sidecar.Hosting;

/// <summary>Per-runtime shared state: options, loaded resources, store, readiness.</summary>
internal sealed partial class SidecarRuntime
{
    private readonly Dictionary<string, ComponentSpec> _stateStores = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ComponentSpec> _pubsubs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ISecretStore> _secretStores = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _appReady = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SidecarRuntime(SidecarOptions options, LoadedResources resources, SqliteStore store, ILogger<SidecarRuntime> logger)
    {
        Options = options;
        Resources = resources;
        Store = store;
        Policies = new ResiliencyPolicies(resources.Resiliency, options.TimeProvider);
        foreach (var component in resources.Components)
        {
            if (component.Type.StartsWith("state.", StringComparison.Ordinal))
            {
                _stateStores[component.Name] = component;
                LogMapped(logger, component.Name, component.Type, "state", store.Path);
            }
            else if (component.Type.StartsWith("pubsub.", StringComparison.Ordinal))
            {
                _pubsubs[component.Name] = component;
                LogMapped(logger, component.Name, component.Type, "pub/sub", store.Path);
            }
            else if (component.Type.StartsWith("secretstores.", StringComparison.Ordinal))
            {
                try
                {
                    _secretStores[component.Name] = SecretStoreFactory.Create(component);
                }
                catch (SidecarConfigException ex) when (component.IgnoreErrors)
                {
                    LogIgnored(logger, component.Name, ex.Message);
                }
            }
            else if (component.Type == "bindings.cron")
            {
                var schedule = component.Meta("schedule") ?? throw new SidecarConfigException(component.File, "spec.metadata.schedule", "missing");
                CronBindings.Add((component, Bindings.CronSchedule.Parse(schedule, component.File)));
            }
            else
            {
                throw new SidecarConfigException(component.File, "spec.type", $"component type '{component.Type}' is not supported by the local runtime (supported: state.*, pubsub.*, secretstores.local.file, secretstores.local.env, bindings.cron)");
            }
        }
    }

    public SidecarOptions Options { get; }

    public string AppId => Options.AppId;

    public LoadedResources Resources { get; }

    public SqliteStore Store { get; }

    /// <summary>Timeouts and circuit breakers of the <c>Resiliency</c> targets (retries are read where they apply).</summary>
    public ResiliencyPolicies Policies { get; }

    public TimeProvider Time => Options.TimeProvider;

    public List<(ComponentSpec Component, Bindings.CronSchedule Schedule)> CronBindings { get; } = [];

    public IEnumerable<ComponentSpec> Components => Resources.Components;

    /// <summary>Subscriptions in force (set once the app's <c>/dapr/subscribe</c> has been read).</summary>
    public IReadOnlyList<(SubscriptionSpec Spec, bool Declarative)> Subscriptions { get; set; } = [];

    /// <summary>Extended metadata set through <c>PUT /v1.0/metadata/{key}</c>.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, string> ExtendedMetadata { get; } = new(StringComparer.Ordinal);

    /// <summary>Completes when the app channel is up and subscriptions are registered (at once without an app port).</summary>
    public Task AppReady => _appReady.Task;

    public void MarkAppReady() => _appReady.TrySetResult();

    public int HttpPort { get; set; }

    public int GrpcPort { get; set; }

    public bool HasStateStore(string name) => _stateStores.ContainsKey(name);

    public bool HasPubSub(string name) => _pubsubs.ContainsKey(name);

    public ComponentSpec? PubSub(string name) => _pubsubs.GetValueOrDefault(name);

    public ISecretStore? SecretStore(string name) => _secretStores.GetValueOrDefault(name);

    /// <summary>
    /// Writes state through the store's outbound resiliency policy (timeout, circuit breaker). An ETag conflict is an
    /// answer of the store, not a failure. Reads are not wrapped: WAL readers never wait for a lock.
    /// </summary>
    public Task WriteStateAsync(string store, IReadOnlyList<StateWrite> writes, CancellationToken ct) =>
        Policies.ForOutbound(store) is { } policy
            // Off the caller's thread: SQLite waits for a lock synchronously, and the timeout must be able to give up on it.
            ? policy.RunAsync(token => Task.Run(() => Store.WriteStateAsync(writes, Time.GetUtcNow(), token), token), ex => ex is not ETagMismatchException, ct)
            : Store.WriteStateAsync(writes, Time.GetUtcNow(), ct);

    /// <summary>The live value of an app-relative <paramref name="key"/> (expired values are absent).</summary>
    public StateEntry? ReadState(string key) => Store.GetState(StateKey(key), Time.GetUtcNow());

    /// <summary>The Dapr key scheme: <c>appid||key</c>.</summary>
    public string StateKey(string key) => $"{AppId}||{key}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Component '{Name}' failed to initialise and is skipped (spec.ignoreErrors): {Problem}")]
    private static partial void LogIgnored(ILogger logger, string name, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Component '{Name}' of type {Type} is served by the local {Kind} store in {Path}")]
    private static partial void LogMapped(ILogger logger, string name, string type, string kind, string path);
}
