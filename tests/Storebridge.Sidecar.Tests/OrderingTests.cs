using System.Collections.Concurrent;
using Dapr;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Storebridge.Sidecar.Config;
using Storebridge.Sidecar.Hosting;
using Storebridge.Sidecar.PubSub;
using Storebridge.Sidecar.Storage;

namespace Storebridge.Sidecar.Tests;

/// <summary>Per-subscription ordering where the Dapr component gives it (decision 0013).</summary>
public sealed class OrderingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Single_concurrency_component_delivers_in_publish_order_and_a_retry_holds_back_the_messages_behind_it()
    {
        using var res = new TempResources();
        res.Write("pubsub.yaml", TempResources.Component("pubsub", "pubsub.rabbitmq", ("concurrencyMode", "single")));
        res.WriteRetryPolicy(maxRetries: 5, duration: "50ms");
        var seen = new ConcurrentQueue<int>();
        var inFlight = 0;
        var mostInFlight = 0;
        var retried = 0;
        await using var app = await TestApp.StartAsync((a, _) => a.MapPost("/seq", async (Step step) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref mostInFlight, now);
            seen.Enqueue(step.N);
            await Task.Yield();
            Interlocked.Decrement(ref inFlight);
            // Message 3 fails once: everything behind it must wait for its redelivery.
            return step.N == 3 && Interlocked.Exchange(ref retried, 1) == 0 ? Results.Json(new { status = "RETRY" }) : Results.Ok();
        }).WithTopic("pubsub", "seq"));
        await using var host = await SidecarHost.StartAsync(res.Options("finance", app.Port), Ct);
        await host.AppReady.WaitAsync(Ct);
        using var dapr = Clients.Dapr(host);

        for (var i = 0; i < 20; i++)
        {
            await dapr.PublishEventAsync("pubsub", "seq", new Step(i), Ct);
        }

        await Wait.Until(() => seen.Count >= 21 && host.PendingDeliveries == 0, "all 20 delivered");
        int[] expected = [0, 1, 2, 3, 3, .. Enumerable.Range(4, 16)];
        Assert.Equal(expected, seen.ToArray());
        Assert.Equal(1, Volatile.Read(ref mostInFlight));
    }

    [Fact]
    public async Task Default_component_delivers_concurrently()
    {
        using var res = new TempResources();
        const int together = 5;
        var arrived = 0;
        var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await TestApp.StartAsync((a, _) => a.MapPost("/par", async () =>
        {
            // Each handler waits for the others: only concurrent delivery gets all five in at once.
            if (Interlocked.Increment(ref arrived) == together)
            {
                allArrived.TrySetResult();
            }

            await allArrived.Task.WaitAsync(TimeSpan.FromSeconds(20));
            return Results.Ok();
        }).WithTopic("pubsub", "par"));
        await using var host = await SidecarHost.StartAsync(res.Options("finance", app.Port), Ct);
        await host.AppReady.WaitAsync(Ct);
        using var dapr = Clients.Dapr(host);

        for (var i = 0; i < together; i++)
        {
            await dapr.PublishEventAsync("pubsub", "par", new Step(i), Ct);
        }

        await allArrived.Task.WaitAsync(TimeSpan.FromSeconds(15), Ct);
        await Wait.Until(() => host.PendingDeliveries == 0, "all acknowledged");
    }

    [Fact]
    public async Task Kafka_keeps_messages_of_one_partition_key_in_order_and_lets_other_keys_pass()
    {
        using var res = new TempResources();
        res.Write("pubsub.yaml", TempResources.Component("pubsub", "pubsub.kafka", ("brokers", "localhost:9092")));
        var seen = new ConcurrentQueue<string>();
        var releaseFirstA = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await TestApp.StartAsync((a, _) => a.MapPost("/keyed", async (Keyed message) =>
        {
            seen.Enqueue(message.Name);
            if (message.Name == "a0")
            {
                // a0 hangs until every b arrived: b must not wait behind a, a1 must wait behind a0.
                await releaseFirstA.Task.WaitAsync(TimeSpan.FromSeconds(20));
            }

            return Results.Ok();
        }).WithTopic("pubsub", "keyed"));
        await using var host = await SidecarHost.StartAsync(res.Options("finance", app.Port), Ct);
        await host.AppReady.WaitAsync(Ct);
        using var dapr = Clients.Dapr(host);

        foreach (var name in (string[])["a0", "b0", "a1", "b1", "a2", "b2"])
        {
            await dapr.PublishEventAsync("pubsub", "keyed", new Keyed(name), new Dictionary<string, string> { ["partitionKey"] = name[..1] }, Ct);
        }

        await Wait.Until(() => seen.Count(n => n.StartsWith('b')) == 3, "the b messages pass the hanging a0");
        Assert.DoesNotContain("a1", seen);
        releaseFirstA.SetResult();
        await Wait.Until(() => seen.Count == 6 && host.PendingDeliveries == 0, "all delivered");
        Assert.Equal(["a0", "a1", "a2"], seen.Where(n => n.StartsWith('a')));
        Assert.Equal(["b0", "b1", "b2"], seen.Where(n => n.StartsWith('b')));
    }

    [Theory]
    [InlineData("pubsub.in-memory", "", "", "Concurrent")]
    [InlineData("pubsub.rabbitmq", "concurrencyMode=single", "", "PerTopic")]
    [InlineData("pubsub.rabbitmq", "concurrencyMode=parallel", "", "Concurrent")]
    [InlineData("pubsub.azure.servicebus.topics", "maxConcurrentHandlers=1", "", "PerTopic")]
    [InlineData("pubsub.redis", "concurrency=1", "", "PerTopic")]
    [InlineData("pubsub.redis", "concurrency=10", "", "Concurrent")]
    [InlineData("pubsub.kafka", "", "", "PerKey")]
    [InlineData("pubsub.in-memory", "", "concurrencyMode=single", "PerTopic")]
    [InlineData("pubsub.rabbitmq", "concurrencyMode=single", "concurrencyMode=parallel", "Concurrent")]
    public void Ordering_follows_the_component_and_subscription_settings(string type, string componentSetting, string subscriptionSetting, string expected)
    {
        var component = new ComponentSpec("pubsub", type, "pubsub.yaml", Settings(componentSetting), []);
        var subscription = new SubscriptionSpec("pubsub", "t", "/t", [], null, Settings(subscriptionSetting), []);

        Assert.Equal(expected, DeliveryOrderingRules.For(component, subscription).ToString());
    }

    private static Dictionary<string, string> Settings(string setting) =>
        setting.Length == 0 ? [] : new() { [setting.Split('=')[0]] = setting.Split('=')[1] };

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private sealed record Step(int N);

    private sealed record Keyed(string Name);
}
