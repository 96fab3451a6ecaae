using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Storebridge.Orders.Grpc;
using Storebridge.Orders.Intake;
using Storebridge.Testing;
using Storebridge.WooCommerce.Webhooks;

namespace Storebridge.Orders.Tests;

/// <summary>
/// On the real host with its local runtime: while verified webhook deliveries are being answered, accepted orders wait
/// in the broker instead of starting workflows (decision 0007), and they start once intake has been calm for a while.
/// </summary>
public sealed class IntakePacingTests : IAsyncLifetime
{
    private const string Secret = "whsec_test";
    private readonly TestResources _resources = new();
    private DaprApp<OrdersGrpc> _orders = null!;

    public async ValueTask InitializeAsync()
    {
        var settings = OrdersSettings.Minimal();
        // One verified delivery makes intake busy, and it stays busy for 2 s after it was answered; no fallback within
        // the test.
        settings["Orders:Dispatch:YieldWhenWebhooksInFlight"] = "1";
        settings["Orders:Dispatch:CalmFor"] = "00:00:02";
        settings["Orders:Dispatch:MaxYield"] = "00:10:00";
        _orders = await DaprApp<OrdersGrpc>.StartAsync("orders", _resources, settings);
    }

    public async ValueTask DisposeAsync()
    {
        await _orders.DisposeAsync();
        _resources.Dispose();
    }

    private static byte[] Order(long id)
    {
        var order = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "woocommerce-order-727.json")))!.AsObject();
        order["id"] = id;
        return Encoding.UTF8.GetBytes(order.ToJsonString());
    }

    private static HttpRequestMessage Delivery(HttpContent content, byte[] body, string deliveryId)
    {
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/woocommerce/s1") { Content = content };
        request.Headers.Add(WooWebhookVerifier.TopicHeader, "order.created");
        request.Headers.Add(WooWebhookVerifier.DeliveryIdHeader, deliveryId);
        request.Headers.Add(WooWebhookVerifier.SignatureHeader, WooWebhookVerifier.ComputeSignature(body, Secret));
        return request;
    }

    private async Task<IntakeTotals> StatsAsync()
    {
        using var client = _orders.Service.CreateHttpClient();
        return (await client.GetFromJsonAsync<IntakeTotals>("/intake/stats", TestContext.Current.CancellationToken))!;
    }

    [Fact]
    public async Task An_accepted_order_waits_for_busy_intake_and_starts_once_it_has_been_calm()
    {
        var ct = TestContext.Current.CancellationToken;
        using var webhooks = _orders.Service.CreateHttpClient(withApiKey: false);
        var body = Order(802);

        var answer = await webhooks.SendAsync(Delivery(new ByteArrayContent(body), body, "quick"), ct);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var answeredAt = System.Diagnostics.Stopwatch.StartNew();

        // The hand-off reaches the dispatcher at once and waits there: yielding, not dispatched.
        await Eventually.TrueAsync(async () => (await StatsAsync()).DispatchYields >= 1, TimeSpan.FromSeconds(15));
        var held = await StatsAsync();
        Assert.True(answeredAt.Elapsed < TimeSpan.FromSeconds(1.5), "the hand-off should reach the dispatcher well within the calm period");
        Assert.Equal(1, held.Accepted);
        Assert.Equal(0, held.Dispatched);

        await Eventually.TrueAsync(async () => (await StatsAsync()).Dispatched == 1, TimeSpan.FromSeconds(15));
        Assert.True(answeredAt.Elapsed >= TimeSpan.FromSeconds(1.9), $"dispatched after {answeredAt.Elapsed}, before intake had been calm for 2 s");
    }

    [Fact]
    public async Task A_slow_delivery_that_is_not_verified_yet_does_not_hold_workflow_starts_back()
    {
        var ct = TestContext.Current.CancellationToken;
        using var webhooks = _orders.Service.CreateHttpClient(withApiKey: false);

        // A delivery still being received (its signature cannot have been checked) is not intake work yet.
        var slowBody = Order(801);
        var slow = new SlowContent(slowBody);
        var slowAnswer = webhooks.SendAsync(Delivery(slow, slowBody, "slow"), ct);
        await slow.FirstHalfSent.WaitAsync(TimeSpan.FromSeconds(10), ct);

        var body = Order(802);
        Assert.Equal(HttpStatusCode.OK, (await webhooks.SendAsync(Delivery(new ByteArrayContent(body), body, "quick"), ct)).StatusCode);

        // The quick order's own delivery made intake busy for 2 s; after that it starts, while the slow one still trickles.
        await Eventually.TrueAsync(async () => (await StatsAsync()).Dispatched == 1, TimeSpan.FromSeconds(15));
        Assert.False(slowAnswer.IsCompleted);

        slow.Finish();
        Assert.Equal(HttpStatusCode.OK, (await slowAnswer).StatusCode);
        await Eventually.TrueAsync(async () => (await StatsAsync()).Dispatched == 2, TimeSpan.FromSeconds(15));
    }

    /// <summary>Sends half the body, then waits to be told to send the rest.</summary>
    private sealed class SlowContent(byte[] body) : HttpContent
    {
        private readonly TaskCompletionSource _firstHalf = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _finish = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task FirstHalfSent => _firstHalf.Task;

        public void Finish() => _finish.TrySetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(body.AsMemory(0, body.Length / 2));
            await stream.FlushAsync();
            _firstHalf.TrySetResult();
            await _finish.Task;
            await stream.WriteAsync(body.AsMemory(body.Length / 2));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
