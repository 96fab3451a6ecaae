using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Storebridge.Sidecar.Api;
using Storebridge.Sidecar.Hosting;
using Storebridge.Sidecar.PubSub;
using Storebridge.Sidecar.Resilience;
using Storebridge.Sidecar.Storage;
using DaprStub = Dapr.Client.Autogen.Grpc.v1.Dapr;

namespace Storebridge.Sidecar.Invocation;

/// <summary>
/// Service invocation. A call for this runtime's own app goes to the app; a call for another app goes to that
/// app's runtime (found in the shared store), which forwards it to its app — two hops, as with daprd, so each
/// runtime applies its own app token.
/// </summary>
internal sealed partial class Invoker(SidecarRuntime runtime, AppChannel app, ILogger<Invoker> logger) : IDisposable
{
    private static readonly HashSet<string> HopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "Host", "TE", "Trailer", "Content-Length",
    };

    private readonly HttpClient _h2c = new(new SocketsHttpHandler { UseProxy = false, EnableMultipleHttp2Connections = true, AllowAutoRedirect = false })
    {
        Timeout = Timeout.InfiniteTimeSpan,
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    private readonly ConcurrentDictionary<string, GrpcChannel> _runtimeChannels = new(StringComparer.Ordinal);

    public void Dispose()
    {
        _h2c.Dispose();
        foreach (var channel in _runtimeChannels.Values)
        {
            channel.Dispose();
        }
    }

    /// <summary>Strips a <c>.namespace</c> suffix, which has no meaning locally.</summary>
    private static string Normalize(string appId) => appId.Split('.', 2)[0];

    private bool IsSelf(string appId) => Normalize(appId) == runtime.AppId;

    private AppAddress? Resolve(string appId) => runtime.Store.ResolveApp(Normalize(appId));

    // ------------------------------------------------------------------ HTTP /v1.0/invoke

    public async Task InvokeHttpAsync(HttpContext context, string appId, string method)
    {
        Uri target;
        var query = context.Request.QueryString.Value ?? "";
        var self = IsSelf(appId);
        if (self)
        {
            if (runtime.Options.AppPort is null)
            {
                await ApiErrors.WriteAsync(context, 500, "ERR_DIRECT_INVOKE", "app channel not initialized: no app port").ConfigureAwait(false);
                return;
            }

            target = new Uri(app.BaseUri, "/" + method + query);
        }
        else if (Resolve(appId) is { } address)
        {
            target = new Uri($"http://{address.Host}:{address.HttpPort}/v1.0/invoke/{Uri.EscapeDataString(Normalize(appId))}/method/{method}{query}");
        }
        else
        {
            await ApiErrors.WriteAsync(context, 500, "ERR_DIRECT_INVOKE", $"failed to invoke, id: {appId}, err: failed to resolve address for '{appId}'").ConfigureAwait(false);
            return;
        }

        // The Resiliency policies for the app (targets.apps.<id>) apply where the app is called. As in daprd, an answer
        // outside 200-399 is a failure: it counts for the breaker and is retried (the body replayed); when retries run
        // out the app's answer is passed on. Refused connections and calls cut by the timeout are retried too. A call
        // the circuit breaker rejects is not retried.
        var retry = self ? runtime.Resources.Resiliency.Retry(runtime.Resources.Resiliency.Apps.GetValueOrDefault(runtime.AppId)) : null;
        var appPolicy = self ? runtime.Policies.ForApp(runtime.AppId) : null;
        var hasBody = context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0;
        if (retry is not null && hasBody)
        {
            context.Request.EnableBuffering();
        }

        HttpResponseMessage response;
        for (var attempt = 1; ; attempt++)
        {
            using var request = BuildForward(context, target, self, hasBody);
            try
            {
                var client = self ? app.Http : RuntimeHttp;
                response = appPolicy is null
                    ? await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted).ConfigureAwait(false)
                    : await appPolicy.RunAsync(token => client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token), FailedAnswer, null, context.RequestAborted).ConfigureAwait(false);
                if (retry is null || retry.Exhausted(attempt) || !FailedAnswer(response))
                {
                    break;
                }

                response.Dispose();
                await Task.Delay(retry.DelayFor(attempt), runtime.Time, context.RequestAborted).ConfigureAwait(false);
                if (hasBody)
                {
                    context.Request.Body.Position = 0;
                }
            }
            catch (Exception ex) when (retry is not null && !retry.Exhausted(attempt)
                && (ex is PolicyTimeoutException || (ex is HttpRequestException h && h.HttpRequestError == HttpRequestError.ConnectionError)))
            {
                await Task.Delay(retry.DelayFor(attempt), runtime.Time, context.RequestAborted).ConfigureAwait(false);
                if (hasBody)
                {
                    context.Request.Body.Position = 0;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or PolicyTimeoutException or CircuitOpenException)
            {
                LogInvokeFailed(logger, appId, method, ex.Message);
                await ApiErrors.WriteAsync(context, 500, "ERR_DIRECT_INVOKE", $"failed to invoke, id: {appId}, err: {ex.Message}").ConfigureAwait(false);
                return;
            }
        }

        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (!HopHeaders.Contains(name))
                {
                    context.Response.Headers[name] = values.ToArray();
                }
            }

            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private HttpClient RuntimeHttp => app.Http;

    private static bool FailedAnswer(HttpResponseMessage response) => (int)response.StatusCode is < 200 or > 399;

    private HttpRequestMessage BuildForward(HttpContext context, Uri target, bool self, bool hasBody)
    {
        var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), target);
        if (self)
        {
            request.Version = app.HttpVersionForApp;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        if (hasBody)
        {
            request.Content = new StreamContent(new NonClosingStream(context.Request.Body));
        }

        foreach (var (name, values) in context.Request.Headers)
        {
            if (HopHeaders.Contains(name) || name.StartsWith(':'))
            {
                continue;
            }

            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        request.Headers.Remove("traceparent");
        request.Headers.TryAddWithoutValidation("traceparent", TraceContext.ChildOf(context.Request.Headers["traceparent"].FirstOrDefault()));
        if (self)
        {
            app.AddToken(request);
            request.Headers.TryAddWithoutValidation("dapr-callee-app-id", runtime.AppId);
        }

        return request;
    }

    /// <summary>Keeps the incoming body open when a forwarded request is disposed, so a retry can replay it.</summary>
    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            // The request body belongs to ASP.NET Core.
        }
    }

    // ------------------------------------------------------------------ gRPC InvokeService

    public async Task<InvokeResponse> InvokeGrpcAsync(InvokeServiceRequest request, ServerCallContext context)
    {
        var message = request.Message ?? new InvokeRequest();
        if (!IsSelf(request.Id))
        {
            var address = Resolve(request.Id) ?? throw new RpcException(new Status(StatusCode.Unavailable, $"failed to invoke, id: {request.Id}, err: failed to resolve address for '{request.Id}'"));
            var channel = _runtimeChannels.GetOrAdd($"{address.Host}:{address.GrpcPort}", a => GrpcChannel.ForAddress($"http://{a}", new GrpcChannelOptions { HttpClient = _h2c, DisposeHttpClient = false }));
            var headers = new Metadata();
            CopyMetadata(context.RequestHeaders, headers, "dapr-api-token");
            headers.Add("traceparent", TraceContext.ChildOf(context.RequestHeaders.GetValue("traceparent")));
            var forwarded = new InvokeServiceRequest { Id = Normalize(request.Id), Message = message };
            return await new DaprStub.DaprClient(channel).InvokeServiceAsync(forwarded, headers, cancellationToken: context.CancellationToken).ResponseAsync.ConfigureAwait(false);
        }

        if (runtime.Options.AppPort is null)
        {
            throw new RpcException(new Status(StatusCode.Internal, "app channel not initialized: no app port"));
        }

        var traceparent = TraceContext.ChildOf(context.RequestHeaders.GetValue("traceparent"));
        if (runtime.Policies.ForApp(runtime.AppId) is not { } policy)
        {
            return await CallAppAsync(message, traceparent, context.CancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await policy.RunAsync(token => CallAppAsync(message, traceparent, token), null, null, context.CancellationToken).ConfigureAwait(false);
        }
        catch (CircuitOpenException ex)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"failed to invoke, id: {request.Id}, err: {ex.Message}"));
        }
        catch (PolicyTimeoutException ex)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"failed to invoke, id: {request.Id}, err: {ex.Message}"));
        }
    }

    private static bool IsServerError(StatusCode code) =>
        code is StatusCode.Unknown or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Unavailable or StatusCode.DataLoss;

    private async Task<InvokeResponse> CallAppAsync(InvokeRequest message, string traceparent, CancellationToken ct)
    {
        if (runtime.Options.AppProtocol == "grpc")
        {
            var headers = new Metadata { { "traceparent", traceparent } };
            if (runtime.Options.AppApiToken is { Length: > 0 } token)
            {
                headers.Add("dapr-api-token", token);
            }

            return await app.OnInvokeAsync(message, headers, ct).ResponseAsync.ConfigureAwait(false);
        }

        // HTTP app: the gRPC request becomes an HTTP call as daprd makes it.
        var verb = message.HttpExtension?.Verb is { } v && v != HTTPExtension.Types.Verb.None ? v.ToString().ToUpperInvariant() : "POST";
        var query = message.HttpExtension?.Querystring is { Length: > 0 } q ? "?" + q : "";
        using var httpRequest = app.NewRequest(new HttpMethod(verb), "/" + message.Method + query);
        if (message.Data is { } data && !data.Value.IsEmpty)
        {
            httpRequest.Content = new ByteArrayContent(data.Value.ToByteArray());
            if (!string.IsNullOrEmpty(message.ContentType))
            {
                httpRequest.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(message.ContentType);
            }
        }

        httpRequest.Headers.TryAddWithoutValidation("traceparent", traceparent);
        app.AddToken(httpRequest);
        using var response = await app.Http.SendAsync(httpRequest, ct).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new RpcException(new Status(HttpToGrpc(response.StatusCode), $"app returned HTTP {(int)response.StatusCode}"));
        }

        return new InvokeResponse
        {
            Data = new Any { Value = ByteString.CopyFrom(body) },
            ContentType = response.Content.Headers.ContentType?.ToString() ?? "",
        };
    }

    private static StatusCode HttpToGrpc(HttpStatusCode status) => status switch
    {
        HttpStatusCode.BadRequest => StatusCode.InvalidArgument,
        HttpStatusCode.Unauthorized => StatusCode.Unauthenticated,
        HttpStatusCode.Forbidden => StatusCode.PermissionDenied,
        HttpStatusCode.NotFound => StatusCode.NotFound,
        HttpStatusCode.Conflict => StatusCode.Aborted,
        HttpStatusCode.TooManyRequests => StatusCode.ResourceExhausted,
        HttpStatusCode.ServiceUnavailable => StatusCode.Unavailable,
        HttpStatusCode.GatewayTimeout => StatusCode.DeadlineExceeded,
        _ => StatusCode.Unknown,
    };

    private static void CopyMetadata(Metadata from, Metadata to, params string[] keys)
    {
        foreach (var key in keys)
        {
            if (from.GetValue(key) is { } value)
            {
                to.Add(key, value);
            }
        }
    }

    // ------------------------------------------------------------------ gRPC proxying (dapr-app-id)

    /// <summary>
    /// Forwards a gRPC call for an app's own service (metadata <c>dapr-app-id</c>) byte for byte over HTTP/2:
    /// to the app when it is ours, else to the target app's runtime. Streams both ways and copies trailers.
    /// </summary>
    public async Task ProxyGrpcAsync(HttpContext context, string appId)
    {
        Uri target;
        var self = IsSelf(appId);
        if (self)
        {
            if (runtime.Options.AppPort is null)
            {
                GrpcStatus(context, StatusCode.Unavailable, "app channel not initialized: no app port");
                return;
            }

            target = new Uri(app.BaseUri, context.Request.Path.Value);
        }
        else if (Resolve(appId) is { } address)
        {
            target = new Uri($"http://{address.Host}:{address.GrpcPort}{context.Request.Path.Value}");
        }
        else
        {
            GrpcStatus(context, StatusCode.Unavailable, $"failed to proxy request: failed to resolve address for '{appId}'");
            return;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, target)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StreamingRequestContent(context.Request.Body),
        };
        foreach (var (name, values) in context.Request.Headers)
        {
            if (HopHeaders.Contains(name) || name.StartsWith(':'))
            {
                continue;
            }

            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                request.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        request.Headers.Remove("traceparent");
        request.Headers.TryAddWithoutValidation("traceparent", TraceContext.ChildOf(context.Request.Headers["traceparent"].FirstOrDefault()));
        if (self)
        {
            app.AddToken(request);
        }

        HttpResponseMessage response;
        try
        {
            // The app's policies cover the call until the app answers (a stream then runs as long as it runs).
            response = (self ? runtime.Policies.ForApp(runtime.AppId) : null) is { } policy
                ? await policy.RunAsync(token => _h2c.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token), FailedProxyAnswer, null, context.RequestAborted).ConfigureAwait(false)
                : await _h2c.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or CircuitOpenException)
        {
            LogInvokeFailed(logger, appId, context.Request.Path.Value ?? "", ex.Message);
            GrpcStatus(context, StatusCode.Unavailable, $"failed to proxy request to {appId}: {ex.Message}");
            return;
        }
        catch (PolicyTimeoutException ex)
        {
            LogInvokeFailed(logger, appId, context.Request.Path.Value ?? "", ex.Message);
            GrpcStatus(context, StatusCode.DeadlineExceeded, $"failed to proxy request to {appId}: {ex.Message}");
            return;
        }

        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (!HopHeaders.Contains(name))
                {
                    context.Response.Headers[name] = values.ToArray();
                }
            }

            await using (var body = await response.Content.ReadAsStreamAsync(context.RequestAborted).ConfigureAwait(false))
            {
                var buffer = new byte[16 * 1024];
                int read;
                while ((read = await body.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false)) > 0)
                {
                    await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted).ConfigureAwait(false);
                    await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
                }
            }

            if (context.Response.SupportsTrailers())
            {
                foreach (var (name, values) in response.TrailingHeaders)
                {
                    context.Response.AppendTrailer(name, values.ToArray());
                }
            }
        }
    }

    // A server error seen when the app answers: HTTP 5xx, or a trailers-only gRPC status of the server-error kind.
    private static bool FailedProxyAnswer(HttpResponseMessage response) =>
        (int)response.StatusCode >= 500
        || (response.Headers.TryGetValues("grpc-status", out var values) && int.TryParse(values.FirstOrDefault(), out var code) && IsServerError((StatusCode)code));

    /// <summary>Answers a gRPC request with a trailers-only status.</summary>
    public static void GrpcStatus(HttpContext context, StatusCode code, string message)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Invocation of {AppId} {Method} failed: {Problem}")]
    private static partial void LogInvokeFailed(ILogger logger, string appId, string method, string problem);

    /// <summary>Request content that streams the incoming body as it arrives (needed for client/bidi streaming).</summary>
    private sealed class StreamingRequestContent(Stream source) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            await SerializeToStreamAsync(stream, context, CancellationToken.None).ConfigureAwait(false);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
