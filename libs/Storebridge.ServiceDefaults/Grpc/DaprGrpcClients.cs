using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Storebridge.ServiceDefaults.Grpc;

/// <summary>
/// gRPC clients for other Storebridge services, called through the local Dapr sidecar (gRPC proxying): the channel
/// goes to the sidecar's gRPC port and the <c>dapr-app-id</c> header names the target, so Dapr adds discovery,
/// mTLS, retries and tracing.
/// </summary>
public static class DaprGrpcClients
{
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is experimental in 10.x, and the only way to drop the default handler.
    public static IHttpClientBuilder AddDaprGrpcClient<TClient>(this IServiceCollection services, string appId) where TClient : class =>
        services.AddGrpcClient<TClient>((provider, options) => options.Address = SidecarGrpcAddress(provider.GetRequiredService<IConfiguration>()))
            .AddInterceptor(provider => new DaprAppIdInterceptor(appId, provider.GetRequiredService<IConfiguration>()["DAPR_API_TOKEN"]))
            // Dapr's resiliency policies and the calling workflow's retry policy own retries; an HTTP-level handler would
            // retry gRPC calls blindly and cut long ones at its own timeout.
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001

    /// <summary><c>DAPR_GRPC_ENDPOINT</c>, else loopback with <c>DAPR_GRPC_PORT</c> (default 50001), as the Dapr SDK resolves it.</summary>
    public static Uri SidecarGrpcAddress(IConfiguration configuration) =>
        configuration["DAPR_GRPC_ENDPOINT"] is { Length: > 0 } endpoint
            ? new Uri(endpoint)
            : new Uri($"http://127.0.0.1:{configuration["DAPR_GRPC_PORT"] ?? "50001"}");

    private sealed class DaprAppIdInterceptor(string appId, string? apiToken) : Interceptor
    {
        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
            TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
        {
            var headers = context.Options.Headers ?? [];
            headers.Add("dapr-app-id", appId);
            if (!string.IsNullOrEmpty(apiToken))
            {
                headers.Add("dapr-api-token", apiToken);
            }

            return continuation(request, new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithHeaders(headers)));
        }
    }
}
