using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapr.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Storebridge.Orders.Grpc;
using Storebridge.Orders.Intake;
using Storebridge.ServiceDefaults.Exceptions;
using Storebridge.Testing;
using Storebridge.WooCommerce.Webhooks;

namespace Storebridge.Orders.Tests;

/// <summary>Webhook intake on the real host with its local Dapr runtime: what is kept, what is refused, what is a duplicate.</summary>
public sealed class WebhookIntakeTests : IAsyncLifetime
{
    private const string Secret = "whsec_test";
    private readonly TestResources _resources = new();
    private DaprApp<OrdersGrpc> _orders = null!;

    public async ValueTask InitializeAsync() =>
        _orders = await DaprApp<OrdersGrpc>.StartAsync("orders", _resources, OrdersSettings.Minimal());

    public async ValueTask DisposeAsync()
    {
        await _orders.DisposeAsync();
        _resources.Dispose();
    }

    private static JsonObject Order(long id = 727, string modified = "2017-03-22T19:28:08") =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "woocommerce-order-727.json")))!.AsObject() is var order
            ? Patched(order, id, modified)
            : throw new InvalidOperationException();

    private static JsonObject Patched(JsonObject order, long id, string modified)
    {
        order["id"] = id;
        order["date_modified_gmt"] = modified;
        return order;
    }

    private async Task<HttpResponseMessage> DeliverAsync(string body, string topic = "order.created", string? signature = null,
        string contentType = "application/json", string store = "s1", string deliveryId = "d-1")
    {
        using var client = _orders.Service.CreateHttpClient(withApiKey: false);
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/woocommerce/{store}") { Content = content };
        request.Headers.Add(WooWebhookVerifier.TopicHeader, topic);
        request.Headers.Add(WooWebhookVerifier.DeliveryIdHeader, deliveryId);
        request.Headers.Add(WooWebhookVerifier.SignatureHeader, signature ?? WooWebhookVerifier.ComputeSignature(Encoding.UTF8.GetBytes(body), Secret));
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static async Task<string> StatusOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("status").GetString()!;

    private static string InboxKey(string body, long orderId) =>
        OrderInbox.Key("s1", orderId, "2017-03-22T19:28:08",
            OrderIntake.Fingerprint(Storebridge.WooCommerce.Mapping.WooOrderMapper.Map("s1", Encoding.UTF8.GetBytes(body)).Order!));

    private ExceptionQueue Exceptions => new(_orders.Dapr, TimeProvider.System, NullLogger<ExceptionQueue>.Instance);

    [Fact]
    public async Task A_signed_order_is_kept_in_the_inbox_and_acknowledged()
    {
        var body = Order().ToJsonString();

        var response = await DeliverAsync(body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("accepted", await StatusOf(response));
        var entry = await _orders.Dapr.GetStateAsync<InboxEntry>("statestore", InboxKey(body, 727),
            cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(body, entry.RawJson);
        Assert.Equal("order.created", entry.Topic);
    }

    [Fact]
    public async Task A_signed_order_larger_than_an_ordinary_one_is_kept_whole()
    {
        // Over the size read straight into one array, under the body limit: read as it arrives instead.
        var order = Order(id: 728);
        order["customer_note"] = new string('n', 100 * 1024);
        var body = order.ToJsonString();

        var response = await DeliverAsync(body, deliveryId: "d-large");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("accepted", await StatusOf(response));
        var entry = await _orders.Dapr.GetStateAsync<InboxEntry>("statestore", InboxKey(body, 728),
            cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(body, entry.RawJson);
    }

    [Fact]
    public async Task The_same_delivery_ten_times_is_accepted_once()
    {
        var body = Order(id: 800).ToJsonString();

        var statuses = new List<string>();
        foreach (var attempt in Enumerable.Range(0, 10))
        {
            statuses.Add(await StatusOf(await DeliverAsync(body, deliveryId: $"d-{attempt}")));
        }

        Assert.Single(statuses, "accepted");
        Assert.Equal(9, statuses.Count(s => s == "duplicate"));
    }

    [Fact]
    public async Task Two_changes_within_one_second_are_two_versions()
    {
        var pending = Order(id: 807);
        pending["status"] = "pending";
        var processing = Order(id: 807);

        var first = await StatusOf(await DeliverAsync(pending.ToJsonString(), topic: "order.created"));
        var second = await StatusOf(await DeliverAsync(processing.ToJsonString(), topic: "order.updated"));

        Assert.Equal("accepted", first);
        Assert.Equal("accepted", second);
    }

    [Fact]
    public async Task Concurrent_copies_of_a_delivery_are_accepted_once()
    {
        var body = Order(id: 801).ToJsonString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => DeliverAsync(body)));
        var statuses = await Task.WhenAll(responses.Select(StatusOf));

        Assert.Single(statuses, "accepted");
    }

    [Fact]
    public async Task Updated_before_created_and_a_newer_version_are_each_a_new_version()
    {
        var updated = Order(id: 802, modified: "2017-03-22T19:30:00").ToJsonString();
        var created = Order(id: 802, modified: "2017-03-22T19:28:08").ToJsonString();

        var first = await StatusOf(await DeliverAsync(updated, topic: "order.updated"));
        var second = await StatusOf(await DeliverAsync(created, topic: "order.created"));

        Assert.Equal("accepted", first);
        Assert.Equal("accepted", second);
    }

    [Fact]
    public async Task A_delivery_with_a_wrong_signature_is_refused_and_kept_with_its_reason()
    {
        var body = Order(id: 803).ToJsonString();

        var response = await DeliverAsync(body, signature: WooWebhookVerifier.ComputeSignature(Encoding.UTF8.GetBytes(body), "not-the-secret"), deliveryId: "bad-sig-1");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var record = await Exceptions.GetAsync("webhook-s1-bad-sig-1", TestContext.Current.CancellationToken);
        Assert.NotNull(record);
        Assert.Equal("webhook-rejected", record.Kind);
        Assert.Equal(body, record.Payload);
        Assert.Contains("Signature", record.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.Null(await _orders.Dapr.GetStateAsync<InboxEntry?>("statestore", InboxKey(body, 803),
            cancellationToken: TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_signed_but_malformed_order_is_acknowledged_and_kept_for_a_person()
    {
        var order = Order(id: 804);
        order["line_items"]![0]!["quantity"] = 0;
        var body = order.ToJsonString();

        var response = await DeliverAsync(body, deliveryId: "malformed-1");

        // 2xx so that WooCommerce does not count it towards disabling the webhook.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("rejected", await StatusOf(response));
        var record = await Exceptions.GetAsync("order-malformed-s1-804", TestContext.Current.CancellationToken);
        Assert.NotNull(record);
        Assert.Contains("quantity", record.Reason, StringComparison.Ordinal);
        Assert.Equal(body, record.Payload);
    }

    [Fact]
    public async Task Truncated_json_is_refused_and_kept()
    {
        var body = Order(id: 805).ToJsonString()[..200];

        var response = await DeliverAsync(body, deliveryId: "truncated-1");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var record = await Exceptions.GetAsync("webhook-s1-truncated-1", TestContext.Current.CancellationToken);
        Assert.Equal(body, record?.Payload);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_refused_with_413_and_recorded_without_its_payload()
    {
        var body = new string(' ', WooWebhookVerifier.DefaultMaxBodyBytes + 10);

        var response = await DeliverAsync(body, deliveryId: "huge-1");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var record = await Exceptions.GetAsync("webhook-s1-huge-1", TestContext.Current.CancellationToken);
        Assert.NotNull(record);
        Assert.Null(record.Payload);
        Assert.Equal((WooWebhookVerifier.DefaultMaxBodyBytes + 10).ToString(System.Globalization.CultureInfo.InvariantCulture), record.Details["bodyBytes"]);
    }

    [Fact]
    public async Task A_delivery_for_an_unknown_store_is_refused_and_kept()
    {
        var response = await DeliverAsync(Order(id: 806).ToJsonString(), store: "nope", deliveryId: "unknown-store-1");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.NotNull(await Exceptions.GetAsync("webhook-nope-unknown-store-1", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task The_ping_is_answered_without_a_signature()
    {
        using var client = _orders.Service.CreateHttpClient(withApiKey: false);

        var response = await client.PostAsync("/webhooks/woocommerce/s1",
            new StringContent("webhook_id=15", Encoding.UTF8, "application/x-www-form-urlencoded"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("pong", await StatusOf(response));
    }

    [Fact]
    public async Task Rejected_deliveries_are_listed_newest_first()
    {
        await DeliverAsync("{}", signature: "AAAA", deliveryId: "list-1");
        await DeliverAsync("{}", signature: "BBBB", deliveryId: "list-2");

        var listed = await Exceptions.ListAsync(ExceptionStatus.Open, 50, TestContext.Current.CancellationToken);

        var ids = listed.Select(r => r.Id).ToList();
        Assert.True(ids.IndexOf("webhook-s1-list-2") < ids.IndexOf("webhook-s1-list-1"));
    }
}
