using Dapr.Client;
using Storebridge.Sidecar.Hosting;
using Storebridge.Testing.Runtime;

namespace Storebridge.Testing;

/// <summary>
/// A service and its own local Dapr runtime, wired as <c>dapr run</c> would: the service reaches the runtime through
/// <c>DAPR_*_ENDPOINT</c>, the runtime reaches the service on its app port with the app token. Several apps started
/// with the same <see cref="TestResources"/> share one store and one broker.
/// </summary>
public sealed class DaprApp<TEntryPoint> : IAsyncDisposable where TEntryPoint : class
{
    private DaprApp(ServiceHost<TEntryPoint> service, SidecarHost sidecar, DaprClient dapr)
    {
        Service = service;
        Sidecar = sidecar;
        Dapr = dapr;
    }

    public ServiceHost<TEntryPoint> Service { get; }

    public SidecarHost Sidecar { get; }

    /// <summary>A Dapr client on this app's runtime: it sees the app's own state (keys are prefixed by app id).</summary>
    public DaprClient Dapr { get; }

    /// <param name="configFile">A Dapr Configuration for the runtime (<c>--config</c>), e.g. <see cref="RepositoryConfig"/>.</param>
    public static async Task<DaprApp<TEntryPoint>> StartAsync(
        string appId, TestResources resources, IDictionary<string, string?>? settings = null, string? configFile = null)
    {
        var httpPort = ReservedPort.Next();
        var grpcPort = ReservedPort.Next();
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["APP_ID"] = appId,
            ["DAPR_HTTP_ENDPOINT"] = $"http://127.0.0.1:{httpPort}",
            ["DAPR_GRPC_ENDPOINT"] = $"http://127.0.0.1:{grpcPort}",
        };
        var service = new ServiceHost<TEntryPoint>(all);
        var sidecar = await SidecarHost.StartAsync(new SidecarOptions
        {
            AppId = appId,
            // The app port speaks HTTP/2 only, as on a cluster with app-protocol h2c (docs/decisions/0003).
            AppPort = service.AppAddress.Port,
            AppProtocol = "h2c",
            HttpPort = httpPort,
            GrpcPort = grpcPort,
            ResourcesPaths = [resources.Directory],
            DataDir = resources.DataDirectory,
            AppApiToken = ServiceHost<TEntryPoint>.AppToken,
            ConfigFile = configFile,
        });
        service.Start();
        await sidecar.AppReady.WaitAsync(TimeSpan.FromSeconds(30));
        var dapr = new DaprClientBuilder().UseHttpEndpoint(sidecar.HttpEndpoint).UseGrpcEndpoint(sidecar.GrpcEndpoint).Build();
        return new DaprApp<TEntryPoint>(service, sidecar, dapr);
    }


    private int _disposed;

    /// <summary>Stops the service and its runtime; a test may stop an app early, so a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        Dapr.Dispose();
        await Service.DisposeAsync();
        await Sidecar.DisposeAsync();
    }
}

/// <summary>The repository's Dapr Configuration files (config/local), copied next to the test assembly.</summary>
public static class RepositoryConfig
{
    /// <summary>The orders sidecar's Configuration (<c>config/local/orders.yaml</c>), as <c>make run</c> uses it.</summary>
    public static string Orders => Path.Combine(AppContext.BaseDirectory, "config", "local", "orders.yaml");
}

/// <summary>
/// A temporary resources folder (state store, pub/sub, fast retries) and data directory for a test's runtimes.
/// </summary>
public sealed class TestResources : IDisposable
{
    private readonly LocalResources _resources;

    public TestResources(string pubsubRetryDuration = "50ms", int pubsubMaxRetries = 20) =>
        _resources = new LocalResources("storebridge-tests", new PubSubRetry(pubsubRetryDuration, pubsubMaxRetries));

    public string Directory => _resources.Directory;

    public string DataDirectory => _resources.DataDirectory;

    public void Dispose() => _resources.Dispose();
}
