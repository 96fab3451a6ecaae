using Microsoft.Extensions.Hosting;

namespace Storebridge.Sidecar.Workflows.Engine;

/// <summary>Starts the engine's timer and lease loops with the host and ends worker streams when it stops.</summary>
internal sealed class WorkflowEngineHostedService(WorkflowEngine engine) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        engine.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => engine.StopAsync();
}
