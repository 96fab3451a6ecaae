using System.Net;
using Storebridge.WooCommerce.Models;
using Storebridge.WooCommerce.Webhooks;
using static Storebridge.Sandbox.Store.Tests.TestStore;

namespace Storebridge.Sandbox.Store.Tests;

public sealed class WebhookDeliveryTests
{
    private static async Task<WooWebhook> CreateWebhookAsync(StoreSimulator store, WebhookReceiver receiver, string topic)
    {
        using var http = store.Http();
        using var response = await http.PostJsonAsync("wp-json/wc/v3/webhooks", new WooWebhook { Name = topic, Topic = topic, DeliveryUrl = receiver.Url.AbsoluteUri });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var webhook = await response.ReadAsync<WooWebhook>();
        await Eventually(() => receiver.Received.Any(r => r.IsPing), "the ping arrived");
        return webhook;
    }

    private static async Task<WooWebhook> GetWebhookAsync(StoreSimulator store, long id)
    {
        using var http = store.Http();
        return await (await http.GetAsync($"wp-json/wc/v3/webhooks/{id}", Ct)).ReadAsync<WooWebhook>();
    }

    [Fact]
    public async Task Creating_a_webhook_pings_with_a_form_encoded_webhook_id()
    {
        await using var store = await StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync(store.Options.WebhookSecret);

        var webhook = await CreateWebhookAsync(store, receiver, "order.created");

        var ping = Assert.Single(receiver.Received);
        Assert.Equal(WebhookOutcome.Ping, ping.Result.Outcome);
        Assert.Equal(webhook.Id, ping.Result.PingWebhookId);
        Assert.Equal("application/x-www-form-urlencoded", ping.ContentType);
    }

    [Fact]
    public async Task Deliveries_are_signed_and_carry_the_woocommerce_headers()
    {
        await using var store = await StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync(store.Options.WebhookSecret);
        var webhook = await CreateWebhookAsync(store, receiver, "order.created");

        var orderId = await store.CheckoutOrderAsync(SimpleSku);
        await Eventually(() => receiver.Deliveries("order.created").Any(), "order.created arrived");

        var delivery = receiver.Deliveries("order.created").Single();
        Assert.Equal(WebhookOutcome.Accepted, delivery.Result.Outcome);
        Assert.Equal(orderId, delivery.ResourceId);
        Assert.Equal("order", delivery.Result.Headers.Resource);
        Assert.Equal("created", delivery.Result.Headers.Event);
        Assert.Equal(webhook.Id.ToString(), delivery.Result.Headers.WebhookId);
        Assert.Equal(store.BaseUrl.AbsoluteUri, delivery.Result.Headers.Source);
        Assert.False(string.IsNullOrEmpty(delivery.Result.Headers.DeliveryId));
        Assert.Matches(@"^WooCommerce/[\d.]+ Hookshot \(WordPress/[\d.]+\)$", delivery.UserAgent);
    }

    [Fact]
    public async Task Webhook_is_disabled_when_failures_pass_the_maximum_and_lost_payloads_are_never_redelivered()
    {
        await using var store = await StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync(store.Options.WebhookSecret);
        var webhook = await CreateWebhookAsync(store, receiver, "order.created");
        receiver.Respond = d => Task.FromResult(d.IsPing ? 200 : 500);

        var failed = new List<long>();
        for (var i = 0; i < 6; i++)
        {
            failed.Add(await store.CheckoutOrderAsync(SimpleSku));
        }

        await store.Settled();
        var atMaximum = await GetWebhookAsync(store, webhook.Id!.Value);
        failed.Add(await store.CheckoutOrderAsync(SimpleSku));
        await store.Settled();
        var disabled = await GetWebhookAsync(store, webhook.Id!.Value);
        var whileDisabled = await store.CheckoutOrderAsync(SimpleSku);
        await store.Settled();
        receiver.Respond = _ => Task.FromResult(200);
        using var http = store.Http();
        using var reactivate = await http.PutJsonAsync($"wp-json/wc/v3/webhooks/{webhook.Id}", new { status = "active" });
        var afterReactivation = await store.CheckoutOrderAsync(SimpleSku);
        await Eventually(() => receiver.Deliveries("order.created").Any(d => d.ResourceId == afterReactivation), "the new order arrived");
        await store.Settled();

        // WC_Webhook::failed_delivery: the count climbs to 6 (past the maximum of 5); the next failure disables.
        Assert.Equal(("active", 6), (atMaximum.Status, atMaximum.FailureCount));
        Assert.Equal(("disabled", 6), (disabled.Status, disabled.FailureCount));
        var delivered = receiver.Deliveries("order.created").Select(d => d.ResourceId).ToList();
        Assert.Equal([.. failed.Select(id => (long?)id), afterReactivation], delivered);
        Assert.DoesNotContain(whileDisabled, delivered.Select(d => d ?? 0));
    }

    [Fact]
    public async Task Failed_ping_does_not_count_as_a_delivery_failure()
    {
        await using var store = await StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync(store.Options.WebhookSecret);
        receiver.Respond = d => Task.FromResult(d.IsPing ? 204 : 200);

        var webhook = await CreateWebhookAsync(store, receiver, "order.created");
        await store.Settled();

        Assert.Contains(store.Deliveries, d => d.Topic == "ping" && d.Outcome == "failed" && d.StatusCode == 204);
        Assert.Equal(0, (await GetWebhookAsync(store, webhook.Id!.Value)).FailureCount);
    }

    [Fact]
    public async Task A_success_resets_the_failure_count()
    {
        await using var store = await StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync(store.Options.WebhookSecret);
        var webhook = await CreateWebhookAsync(store, receiver, "order.created");
        var calls = 0;
        receiver.Respond = d => Task.FromResult(d.IsPing ? 200 : Interlocked.Increment(ref calls) <= 4 ? 503 : 200);

        for (var i = 0; i < 5; i++)
        {
            await store.CheckoutOrderAsync(SimpleSku);
        }

        await store.Settled();
        var after = await GetWebhookAsync(store, webhook.Id!.Value);

        Assert.Equal("active", after.Status);
        Assert.Equal(0, after.FailureCount);
    }

    [Fact]
    public async Task Redirect_answers_count_as_success()
    {
        await using var store = await StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync(store.Options.WebhookSecret);
        var webhook = await CreateWebhookAsync(store, receiver, "order.created");
        receiver.Respond = d => Task.FromResult(d.IsPing ? 200 : 302);

        for (var i = 0; i < 8; i++)
        {
            await store.CheckoutOrderAsync(SimpleSku);
        }

        await store.Settled();

        Assert.Equal("active", (await GetWebhookAsync(store, webhook.Id!.Value)).Status);
    }

    [Fact]
    public async Task Rapid_changes_of_one_order_collapse_into_one_pending_delivery_of_the_latest_state()
    {
        await using var store = await StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync(store.Options.WebhookSecret);
        await CreateWebhookAsync(store, receiver, "order.updated");
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Respond = d => d.IsPing ? Task.FromResult(200) : gate.Task;

        // The paid checkout raises order.updated; its delivery now hangs in the receiver.
        var orderId = await store.CheckoutOrderAsync(SimpleSku);
        await Eventually(() => receiver.Deliveries("order.updated").Any(), "the first delivery is in flight");
        using var http = store.Http();
        foreach (var status in new[] { "on-hold", "processing", "on-hold", "completed" })
        {
            using var response = await http.PutJsonAsync($"wp-json/wc/v3/orders/{orderId}", new { status });
            response.EnsureSuccessStatusCode();
        }

        gate.SetResult(200);
        await Eventually(() => receiver.Deliveries("order.updated").Count() >= 2, "the pending delivery arrived");
        await store.Settled();

        var deliveries = receiver.Deliveries("order.updated").ToList();
        Assert.Equal(2, deliveries.Count);
        Assert.Equal("processing", deliveries[0].Status);
        Assert.Equal("completed", deliveries[1].Status);
    }

    [Fact]
    public async Task Duplicate_fault_sends_the_same_change_twice_with_distinct_delivery_ids()
    {
        await using var store = await StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync(store.Options.WebhookSecret);
        await CreateWebhookAsync(store, receiver, "order.created");
        store.SetFaults(new FaultSettings { WebhookDuplicateRate = 1.0 });

        var orderId = await store.CheckoutOrderAsync(SimpleSku);
        await Eventually(() => receiver.Deliveries("order.created").Count() == 2, "both copies arrived");

        var copies = receiver.Deliveries("order.created").ToList();
        Assert.All(copies, c => Assert.Equal(orderId, c.ResourceId));
        Assert.NotEqual(copies[0].Result.Headers.DeliveryId, copies[1].Result.Headers.DeliveryId);
    }

    [Fact]
    public async Task Dropped_fault_loses_the_delivery_for_good()
    {
        await using var store = await StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync(store.Options.WebhookSecret);
        await CreateWebhookAsync(store, receiver, "order.created");
        store.SetFaults(new FaultSettings { WebhookDropRate = 1.0 });

        var orderId = await store.CheckoutOrderAsync(SimpleSku);
        await store.Settled();
        store.SetFaults(new FaultSettings());
        var next = await store.CheckoutOrderAsync(SimpleSku);
        await Eventually(() => receiver.Deliveries("order.created").Any(), "the next order arrived");
        await store.Settled();

        Assert.Contains(store.Deliveries, d => d.Outcome == "dropped" && d.ResourceId == orderId);
        Assert.Equal([next], receiver.Deliveries("order.created").Select(d => d.ResourceId ?? 0));
    }

    [Fact]
    public async Task Product_update_over_rest_is_delivered_to_product_webhooks()
    {
        await using var store = await StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync(store.Options.WebhookSecret);
        await CreateWebhookAsync(store, receiver, "product.updated");
        var product = store.Stock(SimpleSku)!;
        using var http = store.Http();

        using var response = await http.PutJsonAsync($"wp-json/wc/v3/products/{product.ProductId}", new { regular_price = "12.34" });
        await Eventually(() => receiver.Deliveries("product.updated").Any(), "product.updated arrived");

        var delivery = receiver.Deliveries("product.updated").Single();
        Assert.Equal(product.ProductId, delivery.ResourceId);
        Assert.Equal("12.34", delivery.Result.Payload!.Value.GetProperty("regular_price").GetString());
    }
}
