using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Storebridge.Sidecar.Workflows.Engine;
using Storebridge.Sidecar.Workflows.Grpc;

namespace Storebridge.Sidecar.Workflows;

/// <summary>Wires the durable workflow backend (Dapr's <c>TaskHubSidecarService</c>) into an ASP.NET Core gRPC host.</summary>
public static class WorkflowBackendExtensions
{
    /// <summary>Registers the workflow engine, its SQLite store and the gRPC service.</summary>
    public static IServiceCollection AddWorkflowBackend(this IServiceCollection services, Action<WorkflowBackendOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        var options = new WorkflowBackendOptions();
        configure(options);
        options.Validate();

        // Workflow histories and activity payloads can outgrow gRPC's 4 MB default; the SDK client lifts its limit too.
        services.AddGrpc().AddServiceOptions<TaskHubSidecarGrpcService>(o =>
        {
            o.MaxReceiveMessageSize = null;
            o.MaxSendMessageSize = null;
        });
        services.AddSingleton(options);
        services.AddSingleton(sp => new WorkflowEngine(options, sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<IWorkflowInstanceInspector>(sp => sp.GetRequiredService<WorkflowEngine>());
        services.AddHostedService(sp => new WorkflowEngineHostedService(sp.GetRequiredService<WorkflowEngine>()));
        services.AddScoped<TaskHubSidecarGrpcService>();
        return services;
    }

    /// <summary>Maps the <c>TaskHubSidecarService</c> gRPC endpoints that the Dapr Workflow SDK worker and client call.</summary>
    public static IEndpointRouteBuilder MapWorkflowBackend(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGrpcService<TaskHubSidecarGrpcService>();
        return endpoints;
    }
}
