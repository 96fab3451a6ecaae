using System.Net;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit;

namespace Storebridge.Testing;

/// <summary>What every Storebridge service host must do from day one: start from its Program and answer health probes.</summary>
public abstract class ServiceHostContract<TEntryPoint> where TEntryPoint : class
{
    /// <summary>Settings the service needs to start (connector endpoints); credentials are test values.</summary>
    protected virtual IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>();

    /// <summary>The service on Kestrel, as it runs.</summary>
    protected ServiceHost<TEntryPoint> StartHost() => new ServiceHost<TEntryPoint>(Settings).Start();

    [Fact]
    public async Task Host_starts_and_answers_liveness_without_credentials()
    {
        await using var host = StartHost();
        using var client = host.CreateHttpClient(withApiKey: false);

        var response = await client.GetAsync("/healthz", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Host_reports_not_ready_without_its_sidecar()
    {
        await using var host = StartHost();
        using var client = host.CreateHttpClient(withApiKey: false);

        var response = await client.GetAsync("/readyz", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

}

/// <summary>A service with a gRPC API also serves it over HTTP/2 on its Dapr app port, only to authenticated callers.</summary>
public abstract class GrpcServiceHostContract<TEntryPoint> : ServiceHostContract<TEntryPoint> where TEntryPoint : class
{
    /// <summary>The service's gRPC API.</summary>
    protected abstract ServiceDescriptor GrpcService { get; }

    [Fact]
    public async Task Grpc_api_rejects_a_caller_without_credentials()
    {
        await using var host = StartHost();

        var error = await Assert.ThrowsAsync<RpcException>(() => CallEachMethod(host, apiKey: null));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task Grpc_api_is_served_over_http2_on_the_app_port()
    {
        await using var host = StartHost();

        // An authenticated call reaches the service: any status but Unauthenticated/Unavailable proves routing and
        // auth; methods that later issues have not built yet answer Unimplemented.
        var statuses = await CallEachMethodCollectingStatus(host, ServiceHost<TEntryPoint>.ApiKey);

        Assert.All(statuses, s => Assert.DoesNotContain(s, new[] { StatusCode.Unauthenticated, StatusCode.Unavailable, StatusCode.Internal }));
    }

    private async Task CallEachMethod(ServiceHost<TEntryPoint> host, string? apiKey)
    {
        var statuses = await CallEachMethodCollectingStatus(host, apiKey);
        var failure = statuses.FirstOrDefault(s => s != StatusCode.OK);
        if (failure != StatusCode.OK)
        {
            throw new RpcException(new Status(failure, "first failing method"));
        }
    }

    private async Task<List<StatusCode>> CallEachMethodCollectingStatus(ServiceHost<TEntryPoint> host, string? apiKey)
    {
        using var channel = GrpcChannel.ForAddress(host.AppAddress);
        var headers = new Metadata();
        if (apiKey is not null)
        {
            headers.Add("x-api-key", apiKey);
        }

        var statuses = new List<StatusCode>();
        foreach (var method in GrpcService.Methods)
        {
            // An empty protobuf message is valid for every request type.
            var call = new Method<byte[], byte[]>(
                MethodType.Unary, GrpcService.FullName, method.Name,
                Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));
            try
            {
                await channel.CreateCallInvoker().AsyncUnaryCall(call, null, new CallOptions(headers), []);
                statuses.Add(StatusCode.OK);
            }
            catch (RpcException ex)
            {
                statuses.Add(ex.StatusCode);
            }
        }

        return statuses;
    }
}
