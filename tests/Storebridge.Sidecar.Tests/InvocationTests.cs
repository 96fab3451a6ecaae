using System.Net;
using System.Text;
using Dapr.Client;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Storebridge.Sidecar.Hosting;
using Storebridge.Testing;

namespace Storebridge.Sidecar.Tests;

public sealed class InvocationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Storebridge services expose their HTTP endpoints and their own gRPC API on one h2c app port.
    private static Task<TestApp> StartInventoryAppAsync(HttpProtocols protocols = HttpProtocols.Http2) => TestApp.StartAsync((a, _) =>
    {
        a.MapGet("/items/{id}", (string id, HttpRequest r) =>
            Results.Json(new { id, q = r.Query["q"].ToString(), custom = r.Headers["X-Custom"].ToString(), token = r.Headers["dapr-api-token"].ToString(), trace = r.Headers["traceparent"].ToString() }));
        a.MapMethods("/items/{id}", ["PUT", "DELETE", "PATCH"], (string id, HttpRequest r) => Results.Text($"{r.Method}:{id}"));
        a.MapPost("/reserve", async (HttpRequest r) =>
        {
            using var reader = new StreamReader(r.Body);
            var body = await reader.ReadToEndAsync();
            return Results.Text("reserved:" + body, "text/plain", statusCode: 201);
        });
        a.MapGrpcService<EchoService>();
    }, s => s.AddGrpc(), protocols: protocols);

    [Fact]
    public async Task Http_invocation_reaches_another_app_with_verb_path_query_headers_and_status()
    {
        using var res = new TempResources();
        await using var inventoryApp = await StartInventoryAppAsync();
        await using var inventory = await SidecarHost.StartAsync(res.Options("inventory", inventoryApp.Port, appApiToken: "app-secret", appProtocol: "h2c"), Ct);
        await using var orders = await SidecarHost.StartAsync(res.Options("orders"), Ct);
        using var http = Clients.Http(orders);

        using var get = new HttpRequestMessage(HttpMethod.Get, "/v1.0/invoke/inventory/method/items/sku-1?q=warehouse-2");
        get.Headers.Add("X-Custom", "yes");
        var getResponse = await http.SendAsync(get, Ct);
        Assert.Equal(HttpStatusCode.OK, getResponse.StatusCode);
        var body = Clients.Json(await getResponse.Content.ReadAsStringAsync(Ct));
        Assert.Equal("sku-1", body.GetProperty("id").GetString());
        Assert.Equal("warehouse-2", body.GetProperty("q").GetString());
        Assert.Equal("yes", body.GetProperty("custom").GetString());
        Assert.Equal("app-secret", body.GetProperty("token").GetString());
        Assert.Matches("^00-[0-9a-f]{32}-", body.GetProperty("trace").GetString());

        var post = await http.PostAsync("/v1.0/invoke/inventory/method/reserve", new StringContent("3 units", Encoding.UTF8, "text/plain"), Ct);
        Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        Assert.Equal("reserved:3 units", await post.Content.ReadAsStringAsync(Ct));

        foreach (var verb in new[] { "PUT", "DELETE", "PATCH" })
        {
            var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(verb), "/v1.0/invoke/inventory/method/items/9"), Ct);
            Assert.Equal($"{verb}:9", await response.Content.ReadAsStringAsync(Ct));
        }

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/v1.0/invoke/inventory/method/nothing-here", Ct)).StatusCode);
        var unknown = await http.GetAsync("/v1.0/invoke/nobody/method/x", Ct);
        Assert.Equal(HttpStatusCode.InternalServerError, unknown.StatusCode);
        Assert.Contains("ERR_DIRECT_INVOKE", await unknown.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invocation_retries_a_refused_connection_with_the_apps_resiliency_policy()
    {
        using var res = new TempResources();
        res.Write("resiliency.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Resiliency
            metadata:
              name: invoke
            spec:
              policies:
                retries:
                  patient:
                    policy: constant
                    duration: 100ms
                    maxRetries: 100
              targets:
                apps:
                  inventory:
                    retry: patient
            """);
        var port = ReservedPort.Next();
        await using var inventory = await SidecarHost.StartAsync(res.Options("inventory", port, appProtocol: "h2c"), Ct);
        await using var orders = await SidecarHost.StartAsync(res.Options("orders"), Ct);
        using var http = Clients.Http(orders);

        var call = http.PostAsync("/v1.0/invoke/inventory/method/reserve", new StringContent("2 units", Encoding.UTF8, "text/plain"), Ct);
        await Task.Delay(400, Ct);
        Assert.False(call.IsCompleted);
        await using var app = await TestApp.StartAsync((a, _) => a.MapPost("/reserve", async (HttpRequest r) =>
        {
            using var reader = new StreamReader(r.Body);
            return Results.Text("reserved:" + await reader.ReadToEndAsync());
        }), port: port, protocols: HttpProtocols.Http2);

        var response = await call;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("reserved:2 units", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task DaprClient_InvokeMethodAsync_goes_through_the_http_api()
    {
        using var res = new TempResources();
        await using var inventoryApp = await StartInventoryAppAsync();
        await using var inventory = await SidecarHost.StartAsync(res.Options("inventory", inventoryApp.Port, appProtocol: "h2c"), Ct);
        await using var orders = await SidecarHost.StartAsync(res.Options("orders"), Ct);
        using var dapr = Clients.Dapr(orders);

        // Obsolete in the SDK but still served by daprd; the runtime must keep it working.
#pragma warning disable CS0618
        var item = await dapr.InvokeMethodAsync<Item>(HttpMethod.Get, "inventory", "items/sku-7", Ct);
#pragma warning restore CS0618

        Assert.Equal("sku-7", item.Id);
    }

    [Fact]
    public async Task Grpc_call_with_dapr_app_id_is_proxied_to_the_target_apps_own_service()
    {
        using var res = new TempResources();
        await using var inventoryApp = await StartInventoryAppAsync();
        await using var inventory = await SidecarHost.StartAsync(res.Options("inventory", inventoryApp.Port, appApiToken: "app-secret", appProtocol: "h2c"), Ct);
        await using var orders = await SidecarHost.StartAsync(res.Options("orders"), Ct);

        var invoker = DaprClient.CreateInvocationInvoker("inventory", orders.GrpcEndpoint);
        var reply = await invoker.AsyncUnaryCall(EchoService.SayMethod, null, new CallOptions(cancellationToken: Ct), new StringValue { Value = "hi" });
        Assert.Equal("echo:hi:app-secret", reply.Value);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await invoker.AsyncUnaryCall(EchoService.SayMethod, null, new CallOptions(cancellationToken: Ct), new StringValue { Value = "fail" }));
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);

        using var stream = invoker.AsyncServerStreamingCall(EchoService.CountMethod, null, new CallOptions(cancellationToken: Ct), new StringValue { Value = "3" });
        var items = new List<string>();
        while (await stream.ResponseStream.MoveNext(Ct))
        {
            items.Add(stream.ResponseStream.Current.Value);
        }

        Assert.Equal(["1", "2", "3"], items);
    }

    [Fact]
    public async Task Grpc_InvokeService_reaches_the_target_apps_AppCallback()
    {
        using var res = new TempResources();
        await using var catalogApp = await TestApp.StartAsync((a, _) => a.MapGrpcService<AppCallbackService>(), s => s.AddGrpc(), protocols: HttpProtocols.Http2);
        var catalogOptions = res.Options("catalog", catalogApp.Port);
        await using var catalog = await SidecarHost.StartAsync(new SidecarOptions
        {
            AppId = catalogOptions.AppId,
            AppPort = catalogOptions.AppPort,
            AppProtocol = "grpc",
            ResourcesPaths = catalogOptions.ResourcesPaths,
            DataDir = catalogOptions.DataDir,
            ConfigureLogging = catalogOptions.ConfigureLogging,
        }, Ct);
        await using var orders = await SidecarHost.StartAsync(res.Options("orders"), Ct);
        using var dapr = Clients.Dapr(orders);

#pragma warning disable CS0618 // obsolete in the SDK, still part of the Dapr API
        var reply = await dapr.InvokeMethodGrpcAsync<StringValue, StringValue>("catalog", "quote", new StringValue { Value = "sku-1" }, Ct);
#pragma warning restore CS0618

        Assert.Equal("quote:sku-1", reply.Value);
    }

    // The fact that decides how apps expose gRPC and HTTP on one port: a cleartext Http1AndHttp2 endpoint only
    // speaks HTTP/1.1 (prior-knowledge HTTP/2 is refused with HTTP_1_1_REQUIRED); an Http2 endpoint speaks h2c.
    [Fact]
    public async Task Kestrel_Http1AndHttp2_cleartext_endpoint_refuses_h2c_so_apps_use_an_Http2_port()
    {
        await using var mixed = await StartInventoryAppAsync(HttpProtocols.Http1AndHttp2);
        await using var h2only = await StartInventoryAppAsync(HttpProtocols.Http2);
        using var client = new HttpClient();

        var h1 = await client.SendAsync(Request(mixed.Port, HttpVersion.Version11), Ct);
        Assert.Equal(HttpVersion.Version11, h1.Version);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(Request(mixed.Port, HttpVersion.Version20), Ct));
        // Refused with HTTP_1_1_REQUIRED, or the handshake is dropped, depending on timing.
        Assert.Matches("HTTP_1_1_REQUIRED|HTTP/2", refused.Message);

        var h2 = await client.SendAsync(Request(h2only.Port, HttpVersion.Version20), Ct);
        Assert.Equal(HttpVersion.Version20, h2.Version);
        Assert.Equal(HttpStatusCode.OK, h2.StatusCode);

        static HttpRequestMessage Request(int port, Version version) =>
            new(HttpMethod.Get, $"http://127.0.0.1:{port}/items/a") { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
    }

    [Fact]
    public async Task H2c_app_receives_events_and_http_invocations_over_http2()
    {
        using var res = new TempResources();
        await using var app = await TestApp.StartAsync((a, _) =>
        {
            a.MapPost("/h2-events", (HttpRequest r) => Results.Text(r.Protocol)).WithTopic("pubsub", "h2");
            a.MapGet("/proto", (HttpRequest r) => Results.Text(r.Protocol));
        }, protocols: HttpProtocols.Http2);
        await using var host = await SidecarHost.StartAsync(res.Options("inventory", app.Port, appProtocol: "h2c"), Ct);
        await host.AppReady.WaitAsync(Ct);
        using var http = Clients.Http(host);
        using var dapr = Clients.Dapr(host);

        await dapr.PublishEventAsync("pubsub", "h2", new Item("x"), Ct);

        Assert.Equal("HTTP/2", await http.GetStringAsync("/v1.0/invoke/inventory/method/proto", Ct));
        await Wait.Until(() => app.On("/h2-events").Any() && host.PendingDeliveries == 0, "delivered over h2c");
    }

    private sealed record Item(string Id);
}
