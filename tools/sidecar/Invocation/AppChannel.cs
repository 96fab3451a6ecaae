using System.Net;
using System.Net.Sockets;
using Dapr.Client.Autogen.Grpc.v1;
using Grpc.Core;
using Google.Protobuf;
using Grpc.Net.Client;
using Storebridge.Sidecar.Hosting;

namespace Storebridge.Sidecar.Invocation;

/// <summary>An app's answer to an event delivery or binding call.</summary>
internal sealed record AppResponse(HttpStatusCode Status, byte[] Body);

/// <summary>The runtime's connection to its own app (HTTP/1.1 for the HTTP channel, HTTP/2 for gRPC).</summary>
internal sealed class AppChannel : IDisposable
{
    private readonly SidecarRuntime _runtime;
    private readonly HttpClient _http;
    private readonly Lazy<GrpcChannel> _grpc;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Uri> _routes = new(StringComparer.Ordinal);

    public AppChannel(SidecarRuntime runtime)
    {
        _runtime = runtime;
        _http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            MaxConnectionsPerServer = 256,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        _grpc = new Lazy<GrpcChannel>(() => GrpcChannel.ForAddress(BaseUri, new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { UseProxy = false, EnableMultipleHttp2Connections = true } }));
    }

    /// <summary>
    /// HTTP version for calls to the app: HTTP/2 prior knowledge for <c>h2c</c> and <c>grpc</c> apps (Kestrel only
    /// speaks h2c on an Http2-only endpoint), HTTP/1.1 otherwise — the same rule as daprd's app channel.
    /// </summary>
    public Version HttpVersionForApp => _runtime.Options.AppProtocol is "h2c" or "grpc" ? HttpVersion.Version20 : HttpVersion.Version11;

    /// <summary>A request to the app with the app channel's HTTP version.</summary>
    public HttpRequestMessage NewRequest(HttpMethod method, string pathAndQuery) =>
        new(method, new Uri(BaseUri, pathAndQuery.StartsWith('/') ? pathAndQuery : "/" + pathAndQuery))
        {
            Version = HttpVersionForApp,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

    public Uri BaseUri => new($"http://{_runtime.Options.AppHost}:{_runtime.Options.AppPort}");

    public HttpClient Http => _http;

    private static readonly Method<InvokeRequest, InvokeResponse> OnInvokeMethod = new(
        MethodType.Unary, "dapr.proto.runtime.v1.AppCallback", "OnInvoke",
        Marshallers.Create(m => m.ToByteArray(), InvokeRequest.Parser.ParseFrom),
        Marshallers.Create(m => m.ToByteArray(), InvokeResponse.Parser.ParseFrom));

    /// <summary>Calls the app's <c>AppCallback/OnInvoke</c> (Dapr.Protos ships no AppCallback client stub).</summary>
    public AsyncUnaryCall<InvokeResponse> OnInvokeAsync(InvokeRequest request, Metadata headers, CancellationToken ct) =>
        _grpc.Value.CreateCallInvoker().AsyncUnaryCall(OnInvokeMethod, null, new CallOptions(headers, cancellationToken: ct), request);

    /// <summary>Waits until the app port accepts connections, as daprd does before loading subscriptions.</summary>
    public async Task WaitForAppAsync(CancellationToken ct)
    {
        while (true)
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(_runtime.Options.AppHost, _runtime.Options.AppPort!.Value, ct).ConfigureAwait(false);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), ct).ConfigureAwait(false);
            }
        }
    }

    public async Task<(HttpStatusCode Status, string Body)> GetSubscriptionsAsync(CancellationToken ct)
    {
        while (true)
        {
            try
            {
                using var request = NewRequest(HttpMethod.Get, "/dapr/subscribe");
                AddToken(request);
                using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
                return (response.StatusCode, await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
            }
            catch (HttpRequestException)
            {
                // The port opened before the app's pipeline did; try again shortly.
                await Task.Delay(TimeSpan.FromMilliseconds(100), ct).ConfigureAwait(false);
            }
        }
    }

    public async Task<AppResponse> PostEventAsync(string route, byte[] body, string contentType, string traceparent, string pubsub, string topic, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _routes.GetOrAdd(route, r => new Uri(BaseUri, r.StartsWith('/') ? r : "/" + r)))
        {
            Version = HttpVersionForApp,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        request.Headers.TryAddWithoutValidation("traceparent", traceparent);
        request.Headers.TryAddWithoutValidation("pubsubname", pubsub);
        request.Headers.TryAddWithoutValidation("topic", topic);
        AddToken(request);
        using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        var answer = response.Content.Headers.ContentLength == 0 ? [] : await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        return new AppResponse(response.StatusCode, answer);
    }

    public void AddToken(HttpRequestMessage request)
    {
        if (request.Headers.Contains("dapr-api-token"))
        {
            request.Headers.Remove("dapr-api-token");
        }

        if (_runtime.Options.AppApiToken is { Length: > 0 } token)
        {
            request.Headers.TryAddWithoutValidation("dapr-api-token", token);
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        if (_grpc.IsValueCreated)
        {
            _grpc.Value.Dispose();
        }
    }
}
