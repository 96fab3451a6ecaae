using System.Net;
using System.Text;
using Dapr;
using Dapr.Client.Autogen.Grpc.v1;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Storebridge.Sidecar.Hosting;
using DaprGrpc = Dapr.Client.Autogen.Grpc.v1.Dapr;

namespace Storebridge.Sidecar.Tests;

/// <summary>Timeouts and circuit breakers of the Resiliency resource on app and component targets.</summary>
public sealed class ResiliencyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Timeout_of_the_app_target_cuts_a_slow_invocation_over_http_and_grpc()
    {
        using var res = new TempResources();
        res.WriteResiliency("""
            timeouts:
              quick: 300ms
            """, """
            apps:
              inventory:
                timeout: quick
            """);
        var never = new TaskCompletionSource();
        await using var app = await TestApp.StartAsync((a, _) =>
        {
            a.MapPost("/slow", async (HttpContext context) =>
            {
                // Ends when the runtime gives up on the call (or after 30 s, failing the test's expectations).
                await never.Task.WaitAsync(TimeSpan.FromSeconds(30), context.RequestAborted);
                return Results.Ok();
            });
            a.MapPost("/fast", () => Results.Text("fast"));
        });
        await using var inventory = await SidecarHost.StartAsync(res.Options("inventory", app.Port), Ct);
        await using var orders = await SidecarHost.StartAsync(res.Options("orders"), Ct);
        using var http = Clients.Http(orders);

        var slow = await http.PostAsync("/v1.0/invoke/inventory/method/slow", new StringContent("x"), Ct);
        Assert.Equal(HttpStatusCode.InternalServerError, slow.StatusCode);
        var error = await slow.Content.ReadAsStringAsync(Ct);
        Assert.Contains("ERR_DIRECT_INVOKE", error, StringComparison.Ordinal);
        Assert.Contains("deadline exceeded", error, StringComparison.Ordinal);
        Assert.Equal("fast", await (await http.PostAsync("/v1.0/invoke/inventory/method/fast", new StringContent("x"), Ct)).Content.ReadAsStringAsync(Ct));

        using var channel = GrpcChannel.ForAddress(orders.GrpcEndpoint);
        var grpc = new DaprGrpc.DaprClient(channel);
        var call = new InvokeServiceRequest { Id = "inventory", Message = new InvokeRequest { Method = "slow", HttpExtension = new HTTPExtension { Verb = HTTPExtension.Types.Verb.Post } } };
        var failure = await Assert.ThrowsAsync<RpcException>(async () => await grpc.InvokeServiceAsync(call, cancellationToken: Ct));
        Assert.Equal(StatusCode.DeadlineExceeded, failure.StatusCode);
    }

    [Fact]
    public async Task Retry_policy_of_the_app_target_repeats_error_answers_and_passes_the_last_one_on()
    {
        using var res = new TempResources();
        res.WriteResiliency("""
            retries:
              twice:
                policy: constant
                duration: 10ms
                maxRetries: 2
            """, """
            apps:
              inventory:
                retry: twice
            """);
        var flakyCalls = 0;
        var missingCalls = 0;
        await using var app = await TestApp.StartAsync((a, _) =>
        {
            a.MapPost("/flaky", async (HttpRequest r) =>
            {
                using var reader = new StreamReader(r.Body);
                var body = await reader.ReadToEndAsync();
                return Interlocked.Increment(ref flakyCalls) < 3 ? Results.StatusCode(503) : Results.Text("got " + body);
            });
            a.MapPost("/missing", () =>
            {
                Interlocked.Increment(ref missingCalls);
                return Results.NotFound("no such item");
            });
        });
        await using var inventory = await SidecarHost.StartAsync(res.Options("inventory", app.Port), Ct);
        await using var orders = await SidecarHost.StartAsync(res.Options("orders"), Ct);
        using var http = Clients.Http(orders);

        // daprd treats answers outside 200-399 as failures of the attempt: retried, with the same body each time.
        var flaky = await http.PostAsync("/v1.0/invoke/inventory/method/flaky", new StringContent("3 units"), Ct);
        Assert.Equal(HttpStatusCode.OK, flaky.StatusCode);
        Assert.Equal("got 3 units", await flaky.Content.ReadAsStringAsync(Ct));
        Assert.Equal(3, Volatile.Read(ref flakyCalls));

        // When the retries run out, the app's own answer reaches the caller.
        var missing = await http.PostAsync("/v1.0/invoke/inventory/method/missing", new StringContent("x"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("no such item", await missing.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(3, Volatile.Read(ref missingCalls));
    }

    [Fact]
    public async Task Circuit_breaker_of_the_app_target_opens_after_the_trip_rejects_then_half_opens_for_max_requests()
    {
        using var res = new TempResources();
        res.WriteResiliency("""
            circuitBreakers:
              appBreaker:
                maxRequests: 1
                timeout: 300ms
                trip: consecutiveFailures > 2
            """, """
            apps:
              inventory:
                circuitBreaker: appBreaker
            """);
        var calls = 0;
        var mode = "fail";
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await TestApp.StartAsync((a, _) => a.MapPost("/work", async () =>
        {
            Interlocked.Increment(ref calls);
            switch (Volatile.Read(ref mode))
            {
                case "fail":
                    return Results.StatusCode(503);
                case "hold":
                    await gate.Task.WaitAsync(TimeSpan.FromSeconds(20));
                    break;
            }

            return Results.Text("done");
        }));
        await using var inventory = await SidecarHost.StartAsync(res.Options("inventory", app.Port), Ct);
        await using var orders = await SidecarHost.StartAsync(res.Options("orders"), Ct);
        using var http = Clients.Http(orders);
        Task<HttpResponseMessage> Work() => http.PostAsync("/v1.0/invoke/inventory/method/work", new StringContent("x"), Ct);

        // Three failures reach the app (their answers are passed through); the third trips the breaker.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Work()).StatusCode);
        }

        var rejected = await Work();
        Assert.Equal(HttpStatusCode.InternalServerError, rejected.StatusCode);
        Assert.Contains("circuit breaker", await rejected.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(3, Volatile.Read(ref calls));

        // Once the open period is over, one probe (maxRequests) is let through; a second call meanwhile is rejected.
        Volatile.Write(ref mode, "hold");
        Task<HttpResponseMessage> probe;
        while (true)
        {
            probe = Work();
            await Wait.Until(() => probe.IsCompleted || Volatile.Read(ref calls) == 4, "a call is answered or reaches the app");
            if (Volatile.Read(ref calls) == 4)
            {
                break;
            }

            Assert.Contains("circuit breaker", await (await probe).Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
            await Task.Delay(50, Ct);
        }

        var second = await Work();
        Assert.Equal(HttpStatusCode.InternalServerError, second.StatusCode);
        Assert.Contains("circuit breaker", await second.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(4, Volatile.Read(ref calls));

        // The probe succeeds: the breaker closes and calls flow again.
        gate.SetResult();
        Assert.Equal("done", await (await probe).Content.ReadAsStringAsync(Ct));
        Assert.Equal("done", await (await Work()).Content.ReadAsStringAsync(Ct));
        Assert.Equal("done", await (await Work()).Content.ReadAsStringAsync(Ct));
        Assert.Equal(6, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task Timeout_of_the_pubsub_inbound_target_cuts_a_hanging_delivery_and_it_is_retried()
    {
        using var res = new TempResources();
        res.WriteResiliency("""
            retries:
              fast:
                policy: constant
                duration: 10ms
                maxRetries: 3
            timeouts:
              quick: 300ms
            """, """
            components:
              pubsub:
                inbound:
                  retry: fast
                  timeout: quick
            """);
        var calls = 0;
        await using var app = await TestApp.StartAsync((a, _) => a.MapPost("/hang", async (HttpContext context) =>
        {
            // The first delivery would hang far beyond the 60 s lease; only the timeout gets the message redelivered.
            if (Interlocked.Increment(ref calls) == 1)
            {
                await Task.Delay(TimeSpan.FromSeconds(60), context.RequestAborted);
            }

            return Results.Ok();
        }).WithTopic("pubsub", "hang"));
        await using var host = await SidecarHost.StartAsync(res.Options("finance", app.Port), Ct);
        await host.AppReady.WaitAsync(Ct);
        using var dapr = Clients.Dapr(host);

        await dapr.PublishEventAsync("pubsub", "hang", new { n = 1 }, Ct);

        await Wait.Until(() => Volatile.Read(ref calls) == 2 && host.PendingDeliveries == 0, "delivered on the second attempt");
        Assert.Single(app.On("/hang").Select(r => Clients.Json(r.Body).GetProperty("id").GetString()).Distinct());
    }

    [Fact]
    public async Task Open_breaker_of_the_pubsub_inbound_target_holds_messages_without_using_their_retries()
    {
        using var res = new TempResources();
        res.WriteResiliency("""
            retries:
              twice:
                policy: constant
                duration: 10ms
                maxRetries: 2
            circuitBreakers:
              subscriber:
                timeout: 500ms
                trip: consecutiveFailures > 1
            """, """
            components:
              pubsub:
                inbound:
                  retry: twice
                  circuitBreaker: subscriber
            """);
        res.Write("subscription.yaml", """
            apiVersion: dapr.io/v2alpha1
            kind: Subscription
            metadata:
              name: held
            spec:
              pubsubname: pubsub
              topic: held
              routes:
                default: /held
              deadLetterTopic: held-dead
            """);
        var calls = 0;
        await using var app = await TestApp.StartAsync((a, _) =>
        {
            // Two failures open the breaker; the retry due 10 ms later is held until it half-opens (500 ms), so the
            // third attempt, the last the retry policy allows, is the one that succeeds.
            a.MapPost("/held", () => Interlocked.Increment(ref calls) <= 2 ? Results.StatusCode(500) : Results.Ok());
            a.MapPost("/dead", () => Results.Ok()).WithTopic("pubsub", "held-dead");
        });
        await using var host = await SidecarHost.StartAsync(res.Options("finance", app.Port), Ct);
        await host.AppReady.WaitAsync(Ct);
        using var dapr = Clients.Dapr(host);

        await dapr.PublishEventAsync("pubsub", "held", new { n = 1 }, Ct);

        await Wait.Until(() => Volatile.Read(ref calls) == 3 && host.PendingDeliveries == 0, "delivered once the breaker half-opened");
        Assert.Empty(app.On("/dead"));
    }

    [Fact]
    public async Task Timeout_and_breaker_of_the_state_store_outbound_target_fail_writes_while_the_store_is_stuck()
    {
        using var res = new TempResources();
        res.WriteResiliency("""
            timeouts:
              quick: 300ms
            circuitBreakers:
              store:
                timeout: 300ms
                trip: consecutiveFailures > 1
            """, """
            components:
              statestore:
                outbound:
                  timeout: quick
                  circuitBreaker: store
            """);
        await using var host = await SidecarHost.StartAsync(res.Options("finance"), Ct);
        using var http = Clients.Http(host);
        Task<HttpResponseMessage> Save(string value) =>
            http.PostAsync("/v1.0/state/statestore", new StringContent($$"""[{"key":"k","value":"{{value}}"}]""", Encoding.UTF8, "application/json"), Ct);

        // Another process holds SQLite's write lock: writes wait for it until the timeout gives up.
        using (var blocker = new SqliteConnection($"Data Source={Path.Combine(res.DataDir, "sidecar.db")};Pooling=False"))
        {
            blocker.Open();
            using (var begin = blocker.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE";
                begin.ExecuteNonQuery();
            }

            for (var i = 0; i < 2; i++)
            {
                var cut = await Save("stuck");
                Assert.Equal(HttpStatusCode.InternalServerError, cut.StatusCode);
                var error = await cut.Content.ReadAsStringAsync(Ct);
                Assert.Contains("ERR_STATE_SAVE", error, StringComparison.Ordinal);
                Assert.Contains("deadline exceeded", error, StringComparison.Ordinal);
            }

            var rejected = await Save("stuck");
            Assert.Equal(HttpStatusCode.InternalServerError, rejected.StatusCode);
            Assert.Contains("circuit breaker", await rejected.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

            using var rollback = blocker.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }

        // Once the breaker half-opens, a write goes through and closes it.
        var saved = false;
        for (var attempt = 0; attempt < 100 && !saved; attempt++)
        {
            saved = (await Save("fine")).StatusCode == HttpStatusCode.NoContent;
            await Task.Delay(saved ? 0 : 50, Ct);
        }

        Assert.True(saved, "writes succeed once the breaker half-opens");
        Assert.Equal("\"fine\"", await http.GetStringAsync("/v1.0/state/statestore/k", Ct));
    }
}
