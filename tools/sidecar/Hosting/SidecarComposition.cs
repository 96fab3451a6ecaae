using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Storebridge.Sidecar.Api;
using Storebridge.Sidecar.Bindings;
using Storebridge.Sidecar.Invocation;
using Storebridge.Sidecar.PubSub;
using Storebridge.Sidecar.Storage;
using Storebridge.Sidecar.Workflows;

namespace Storebridge.Sidecar.Hosting;

/// <summary>
/// The one place that composes the runtime's gRPC and HTTP surface on Kestrel (HTTP/2 cleartext on the gRPC port):
/// the Dapr API, the HTTP API and the durable workflow backend (tools/sidecar-workflows).
/// </summary>
internal static class SidecarComposition
{
    /// <summary>gRPC services served locally; calls for any other service with <c>dapr-app-id</c> are proxied.</summary>
    public static readonly HashSet<string> LocalGrpcServices = new(StringComparer.Ordinal)
    {
        DaprGrpcService.ServiceName,
        "TaskHubSidecarService",
        "grpc.health.v1.Health",
    };

    public static void AddSidecarServices(IServiceCollection services, SidecarRuntime runtime)
    {
        services.AddSingleton(runtime);
        services.AddSingleton(runtime.Store);
        services.AddSingleton<AppChannel>();
        services.AddSingleton<Publisher>();
        services.AddSingleton<Invoker>();
        services.AddSingleton<DaprGrpcService>();
        services.AddGrpc(o => o.MaxReceiveMessageSize = 64 * 1024 * 1024);
        services.AddHostedService<DeliveryService>();
        services.AddHostedService<CronBindingService>();
        // Deletes expired state rows; reads already treat them as absent, so its timing never matters.
        services.AddHostedService<StateExpiryService>();
        // Workflows live next to the state store, in their own file so their commits never queue behind state writes;
        // rows are scoped by app id, so every runtime of a multi-app run shares it.
        services.AddWorkflowBackend(workflows =>
        {
            workflows.DatabasePath = Path.Combine(runtime.Options.DataDir, "workflows.db");
            workflows.AppId = runtime.AppId;
            workflows.TimeProvider = runtime.Time;
            workflows.MaxConcurrentWorkflowInvocations = runtime.Resources.Workflow.MaxConcurrentWorkflowInvocations;
            workflows.MaxConcurrentActivityInvocations = runtime.Resources.Workflow.MaxConcurrentActivityInvocations;
        });
    }

    public static void UseSidecarMiddleware(IApplicationBuilder app, SidecarRuntime runtime)
    {
        app.Use(async (context, next) =>
        {
            if (!TokenAccepted(context, runtime))
            {
                if (IsGrpc(context))
                {
                    Invoker.GrpcStatus(context, Grpc.Core.StatusCode.Unauthenticated, "authentication error: api token mismatch");
                }
                else
                {
                    await ApiErrors.WriteAsync(context, 401, "ERR_API_TOKEN", "invalid api token").ConfigureAwait(false);
                }

                return;
            }

            if (IsGrpc(context) && context.Request.Headers["dapr-app-id"].FirstOrDefault() is { Length: > 0 } appId
                && !LocalGrpcServices.Contains(ServiceOf(context.Request.Path)))
            {
                await context.RequestServices.GetRequiredService<Invoker>().ProxyGrpcAsync(context, appId).ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        });
    }

    public static void MapSidecarEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<DaprGrpcService>();
        HttpApi.Map(endpoints);
        endpoints.MapWorkflowBackend();
    }

    private static bool IsGrpc(HttpContext context) =>
        context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;

    private static string ServiceOf(PathString path)
    {
        var value = path.Value ?? "";
        var slash = value.IndexOf('/', 1);
        return slash > 1 ? value[1..slash] : value.TrimStart('/');
    }

    // daprd exempts the health endpoints so probes work without the token.
    private static bool TokenAccepted(HttpContext context, SidecarRuntime runtime)
    {
        if (runtime.Options.ApiToken is not { Length: > 0 } expected)
        {
            return true;
        }

        var path = context.Request.Path.Value ?? "";
        if (path is "/v1.0/healthz" or "/v1.0/healthz/outbound")
        {
            return true;
        }

        var given = context.Request.Headers["dapr-api-token"].FirstOrDefault();
        return given is not null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(given), System.Text.Encoding.UTF8.GetBytes(expected));
    }
}
