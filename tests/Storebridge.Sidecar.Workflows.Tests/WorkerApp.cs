using Dapr.Workflow;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Storebridge.Sidecar.Workflows.Tests;

/// <summary>An app using the unchanged Dapr.Workflow SDK: the worker plus a <see cref="DaprWorkflowClient"/>.</summary>
internal sealed class WorkerApp : IAsyncDisposable
{
    private readonly IHost _host;

    private WorkerApp(IHost host) => _host = host;

    public DaprWorkflowClient Client => _host.Services.GetRequiredService<DaprWorkflowClient>();

    public static async Task<WorkerApp> StartAsync(int runtimePort, Probe probe)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();

        // The SDK reads DAPR_GRPC_ENDPOINT from configuration before the environment.
        builder.Configuration["DAPR_GRPC_ENDPOINT"] = $"http://127.0.0.1:{runtimePort}";
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        builder.Services.AddSingleton(probe);
        builder.Services.AddDaprWorkflow(TestWorkflows.Register);
        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        return new WorkerApp(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        _host.Dispose();
    }
}
