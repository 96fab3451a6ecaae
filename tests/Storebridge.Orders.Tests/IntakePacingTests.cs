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
/// On the real host with its local runtime: while webhook deliveries are being answered, accepted orders wait in the
/// broker instead of starting workflows (decision 0007), and they start once intake calms down.
/// </summary>
public sealed class IntakePacingTests : IAsyncLifetime
{
    private const string Secret = "whsec_test";
    private readonly TestResources _resources = new();
    private DaprApp<OrdersGrpc> _orders = null!;

    public async ValueTask InitializeAsync()
    {
        var settings = OrdersSettings.Minimal();
        // One delivery in flight is "busy", and a hand-off waits for as long as it takes (no fallback within the test).
        settings["Orders:Dispatch:YieldWhenWebhooksInFlight"] = "1";
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
    public async Task Accepted_orders_wait_for_busy_intake_and_start_when_it_calms_down()
    {
        var ct = TestContext.Current.CancellationToken;
        using var webhooks = _orders.Service.CreateHttpClient(withApiKey: false);

        // A delivery still being received keeps intake busy.
        var slowBody = Order(801);
        var slow = new SlowContent(slowBody);
        var slowAnswer = webhooks.SendAsync(Delivery(slow, slowBody, "slow"), ct);
        await slow.FirstHalfSent.WaitAsync(TimeSpan.FromSeconds(10), ct);

        var body = Order(802);
        var answer = await webhooks.SendAsync(Delivery(new ByteArrayContent(body), body, "quick"), ct);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);

        // The hand-off reaches the dispatcher and waits there: yielding, not dispatched.
        await Eventually.TrueAsync(async () => (await StatsAsync()).DispatchYields >= 1, TimeSpan.FromSeconds(15));
        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        var held = await StatsAsync();
        Assert.Equal(1, held.Accepted);
        Assert.Equal(0, held.Dispatched);

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
