using System.Net;
using System.Text;
using System.Text.Json;
using Dapr;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Storebridge.Sidecar.Hosting;

namespace Storebridge.Sidecar.Tests;

public sealed class PubSubTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Published_event_reaches_a_Dapr_AspNetCore_subscriber_in_another_app_as_a_CloudEvent()
    {
        using var res = new TempResources();
        var handled = new System.Collections.Concurrent.ConcurrentQueue<Order>();
        await using var app = await TestApp.StartAsync((a, _) =>
            a.MapPost("/events/order", (Order order) => { handled.Enqueue(order); return Results.Ok(); }).WithTopic("pubsub", "orders.accepted"));
        await using var finance = await SidecarHost.StartAsync(res.Options("finance", app.Port), Ct);
        await finance.AppReady.WaitAsync(Ct);
        await using var orders = await SidecarHost.StartAsync(res.Options("orders"), Ct);
        using var dapr = Clients.Dapr(orders);

        await dapr.PublishEventAsync("pubsub", "orders.accepted", new Order("o-1", 12), Ct);

        await Wait.Until(() => !handled.IsEmpty, "order delivered");
        Assert.Equal(new Order("o-1", 12), Assert.Single(handled));
        var wire = Assert.Single(app.On("/events/order"));
        Assert.StartsWith("application/cloudevents+json", wire.ContentType, StringComparison.Ordinal);
        var ce = Clients.Json(wire.Body);
        Assert.Equal("1.0", ce.GetProperty("specversion").GetString());
        Assert.Equal("orders", ce.GetProperty("source").GetString());
        Assert.Equal("orders.accepted", ce.GetProperty("topic").GetString());
        Assert.Equal("pubsub", ce.GetProperty("pubsubname").GetString());
        Assert.Equal("application/json", ce.GetProperty("datacontenttype").GetString());
        Assert.Equal("o-1", ce.GetProperty("data").GetProperty("id").GetString());
        Assert.False(string.IsNullOrEmpty(ce.GetProperty("id").GetString()));
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", wire.Traceparent);
        await Wait.Until(() => finance.PendingDeliveries == 0, "delivery acknowledged in the store");
    }

    [Fact]
    public async Task Traceparent_of_the_publisher_is_carried_to_the_subscriber()
    {
        using var res = new TempResources();
        await using var app = await TestApp.StartAsync((a, _) => a.MapPost("/t", () => Results.Ok()).WithTopic("pubsub", "traced"));
        await using var host = await SidecarHost.StartAsync(res.Options("finance", app.Port), Ct);
        await host.AppReady.WaitAsync(Ct);
        using var http = Clients.Http(host);
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1.0/publish/pubsub/traced") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        request.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");

        Assert.Equal(HttpStatusCode.NoContent, (await http.SendAsync(request, Ct)).StatusCode);

        await Wait.Until(() => app.On("/t").Any(), "traced event delivered");
        Assert.Contains(traceId, app.On("/t").Single().Traceparent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retry_status_and_server_errors_redeliver_the_same_event_until_success()
    {
        using var res = new TempResources();
        res.WriteRetryPolicy(maxRetries: 5);
        var calls = 0;
        await using var app = await TestApp.StartAsync((a, _) => a.MapPost("/flaky", () => Interlocked.Increment(ref calls) switch
        {
            1 => Results.Json(new { status = "RETRY" }),
            2 => Results.StatusCode(503),
            _ => Results.Json(new { status = "SUCCESS" }),
        }).WithTopic("pubsub", "flaky"));
        await using var host = await SidecarHost.StartAsync(res.Options("finance", app.Port), Ct);
        await host.AppReady.WaitAsync(Ct);
        using var dapr = Clients.Dapr(host);

        await dapr.PublishEventAsync("pubsub", "flaky", new Order("x", 1), Ct);

        await Wait.Until(() => Volatile.Read(ref calls) >= 3 && host.PendingDeliveries == 0, "delivered after retries");
        Assert.Equal(3, Volatile.Read(ref calls));
        Assert.Single(app.On("/flaky").Select(r => Clients.Json(r.Body).GetProperty("id").GetString()).Distinct());
    }

    [Fact]
    public async Task Exhausted_retries_go_to_the_dead_letter_topic_of_a_declarative_subscription()
    {
        using var res = new TempResources();
        res.WriteRetryPolicy(maxRetries: 2);
        res.Write("subscription.yaml", """
            apiVersion: dapr.io/v2alpha1
            kind: Subscription
            metadata:
              name: failing
            spec:
              pubsubname: pubsub
              topic: payments
              routes:
                default: /payments
              deadLetterTopic: payments-dead
            scopes:
              - finance
            """);
        await using var app = await TestApp.StartAsync((a, _) =>
        {
            a.MapPost("/payments", () => Results.StatusCode(500));
            a.MapPost("/dead", () => Results.Ok()).WithTopic("pubsub", "payments-dead");
        });
        await using var host = await SidecarHost.StartAsync(res.Options("finance", app.Port), Ct);
        await host.AppReady.WaitAsync(Ct);
        using var dapr = Clients.Dapr(host);

        await dapr.PublishEventAsync("pubsub", "payments", new Order("p", 5), Ct);

        await Wait.Until(() => app.On("/dead").Any(), "dead-lettered");
        Assert.Equal(3, app.On("/payments").Count());
        var original = Clients.Json(app.On("/payments").First().Body).GetProperty("id").GetString();
        Assert.Equal(original, Clients.Json(app.On("/dead").Single().Body).GetProperty("id").GetString());
        await Wait.Until(() => host.PendingDeliveries == 0, "nothing pending");
    }

    [Fact]
    public async Task Drop_status_and_404_drop_the_event_without_retry_or_dead_letter()
    {
        using var res = new TempResources();
        res.WriteRetryPolicy(maxRetries: 5);
        res.Write("subscription.yaml", """
            apiVersion: dapr.io/v2alpha1
            kind: Subscription
            metadata:
              name: missing-route
            spec:
              pubsubname: pubsub
              topic: nowhere
              routes:
                default: /no-such-route
              deadLetterTopic: dead
            ---
            apiVersion: dapr.io/v2alpha1
            kind: Subscription
            metadata:
              name: dropping
            spec:
              pubsubname: pubsub
              topic: dropped
              routes:
                default: /drop
              deadLetterTopic: dead
            """);
        await using var app = await TestApp.StartAsync((a, _) =>
        {
            a.MapPost("/drop", () => Results.Json(new { status = "DROP" }));
            a.MapPost("/dead", () => Results.Ok()).WithTopic("pubsub", "dead");
        });
        await using var host = await SidecarHost.StartAsync(res.Options("finance", app.Port), Ct);
        await host.AppReady.WaitAsync(Ct);
        using var dapr = Clients.Dapr(host);

        await dapr.PublishEventAsync("pubsub", "dropped", new Order("d", 1), Ct);
        await dapr.PublishEventAsync("pubsub", "nowhere", new Order("n", 1), Ct);

        await Wait.Until(() => app.On("/drop").Any() && app.On("/no-such-route").Any() && host.PendingDeliveries == 0, "both settled");
        await Task.Delay(300, Ct);
        Assert.Single(app.On("/drop"));
        Assert.Single(app.On("/no-such-route"));
        Assert.Empty(app.On("/dead"));
    }

    [Fact]
    public async Task Raw_payload_is_delivered_without_an_envelope()
    {
        using var res = new TempResources();
        await using var app = await TestApp.StartAsync((a, _) => a.MapPost("/raw", () => Results.Ok()).WithTopic("pubsub", "legacy"));
        await using var host = await SidecarHost.StartAsync(res.Options("finance", app.Port), Ct);
        await host.AppReady.WaitAsync(Ct);
        using var http = Clients.Http(host);

        var response = await http.PostAsync("/v1.0/publish/pubsub/legacy?metadata.rawPayload=true", new StringContent("""{"order-number":"345"}""", Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await Wait.Until(() => app.On("/raw").Any(), "raw delivered");
        var wire = app.On("/raw").Single();
        Assert.Equal("""{"order-number":"345"}""", wire.Body);
        Assert.StartsWith("application/json", wire.ContentType, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_publish_wraps_text_as_a_string_and_rejects_invalid_json()
    {
        using var res = new TempResources();
        await using var app = await TestApp.StartAsync((a, _) => a.MapPost("/text", () => Results.Ok()).WithTopic("pubsub", "text"));
        await using var host = await SidecarHost.StartAsync(res.Options("finance", app.Port), Ct);
        await host.AppReady.WaitAsync(Ct);
        using var http = Clients.Http(host);

        using var untyped = new HttpRequestMessage(HttpMethod.Post, "/v1.0/publish/pubsub/text") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes("plain words")) };
        Assert.Equal(HttpStatusCode.NoContent, (await http.SendAsync(untyped, Ct)).StatusCode);
        var bad = await http.PostAsync("/v1.0/publish/pubsub/text", new StringContent("{oops", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        await Wait.Until(() => app.On("/text").Any(), "text delivered");
        var ce = Clients.Json(app.On("/text").Single().Body);
        Assert.Equal("plain words", ce.GetProperty("data").GetString());
        Assert.Equal("text/plain", ce.GetProperty("datacontenttype").GetString());
    }

    [Fact]
    public async Task Publish_to_an_unknown_pubsub_is_404_over_http_and_an_error_over_grpc()
    {
        using var res = new TempResources();
        await using var host = await SidecarHost.StartAsync(res.Options("orders"), Ct);
        using var http = Clients.Http(host);
        using var dapr = Clients.Dapr(host);

        var response = await http.PostAsync("/v1.0/publish/nope/topic", new StringContent("{}", Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("ERR_PUBSUB_NOT_FOUND", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        await Assert.ThrowsAsync<DaprException>(() => dapr.PublishEventAsync("nope", "topic", new Order("a", 1), Ct));
    }

    [Fact]
    public async Task Bulk_publish_delivers_every_entry()
    {
        using var res = new TempResources();
        await using var app = await TestApp.StartAsync((a, _) => a.MapPost("/bulk", () => Results.Ok()).WithTopic("pubsub", "bulk"));
        await using var host = await SidecarHost.StartAsync(res.Options("finance", app.Port), Ct);
        await host.AppReady.WaitAsync(Ct);
        using var dapr = Clients.Dapr(host);

        var result = await dapr.BulkPublishEventAsync("pubsub", "bulk", Enumerable.Range(0, 20).Select(i => new Order($"b{i}", i)).ToList(), cancellationToken: Ct);

        Assert.Empty(result.FailedEntries);
        await Wait.Until(() => app.On("/bulk").Count() == 20, "20 delivered");
        Assert.Equal(20, app.On("/bulk").Select(r => Clients.Json(r.Body).GetProperty("data").GetProperty("id").GetString()).Distinct().Count());
    }

    [Fact]
    public async Task Undelivered_events_wait_in_the_store_until_the_subscriber_comes_back()
    {
        using var res = new TempResources();
        var port = 0;
        await using (var first = await TestApp.StartAsync((a, _) => a.MapPost("/later", () => Results.Ok()).WithTopic("pubsub", "later")))
        {
            port = first.Port;
            await using var sub = await SidecarHost.StartAsync(res.Options("finance", first.Port), Ct);
            await sub.AppReady.WaitAsync(Ct);
        }

        await using (var orders = await SidecarHost.StartAsync(res.Options("orders"), Ct))
        {
            using var dapr = Clients.Dapr(orders);
            for (var i = 0; i < 3; i++)
            {
                await dapr.PublishEventAsync("pubsub", "later", new Order($"l{i}", i), Ct);
            }
        }

        await using var again = await TestApp.StartAsync((a, _) => a.MapPost("/later", () => Results.Ok()).WithTopic("pubsub", "later"), port: port);
        await using var restarted = await SidecarHost.StartAsync(res.Options("finance", again.Port), Ct);

        await Wait.Until(() => again.On("/later").Count() >= 3 && restarted.PendingDeliveries == 0, "3 redelivered after restart");
        Assert.Equal(3, again.On("/later").Count());
    }

    [Fact]
    public async Task An_unreachable_subscriber_uses_no_retries_and_gets_its_events_when_it_is_back()
    {
        using var res = new TempResources();
        res.WriteRetryPolicy(maxRetries: 0);
        var first = await TestApp.StartAsync((a, _) => a.MapPost("/back", () => Results.Ok()).WithTopic("pubsub", "back"));
        var port = first.Port;
        await using var host = await SidecarHost.StartAsync(res.Options("finance", port), Ct);
        await host.AppReady.WaitAsync(Ct);
        await first.DisposeAsync();
        using var dapr = Clients.Dapr(host);

        await dapr.PublishEventAsync("pubsub", "back", new Order("b", 1), Ct);
        await Task.Delay(1200, Ct);
        Assert.Equal(1, host.PendingDeliveries);

        await using var again = await TestApp.StartAsync((a, _) => a.MapPost("/back", () => Results.Ok()).WithTopic("pubsub", "back"), port: port);
        await Wait.Until(() => again.On("/back").Any() && host.PendingDeliveries == 0, "delivered once the app is back");
    }

    [Fact]
    public async Task Routing_rules_pick_the_path_by_event_type()
    {
        using var res = new TempResources();
        res.Write("subscription.yaml", """
            apiVersion: dapr.io/v2alpha1
            kind: Subscription
            metadata:
              name: routed
            spec:
              pubsubname: pubsub
              topic: routed
              routes:
                rules:
                  - match: event.type == "storebridge.orders.v1.OrderShipped"
                    path: /shipped
                default: /other
            """);
        await using var app = await TestApp.StartAsync((a, _) =>
        {
            a.MapPost("/shipped", () => Results.Ok());
            a.MapPost("/other", () => Results.Ok());
        });
        await using var host = await SidecarHost.StartAsync(res.Options("finance", app.Port), Ct);
        await host.AppReady.WaitAsync(Ct);
        using var dapr = Clients.Dapr(host);

        await dapr.PublishEventAsync("pubsub", "routed", new Order("s", 1), new Dictionary<string, string> { ["cloudevent.type"] = "storebridge.orders.v1.OrderShipped" }, Ct);
        await dapr.PublishEventAsync("pubsub", "routed", new Order("o", 1), Ct);

        await Wait.Until(() => app.On("/shipped").Any() && app.On("/other").Any(), "both routed");
        Assert.Equal("storebridge.orders.v1.OrderShipped", Clients.Json(app.On("/shipped").Single().Body).GetProperty("type").GetString());
    }

    private sealed record Order(string Id, int Total);
}
