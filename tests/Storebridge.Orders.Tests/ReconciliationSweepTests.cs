using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Storebridge.Orders.Grpc;
using Storebridge.Orders.Intake;
using Storebridge.Sandbox.Seed;
using Storebridge.Sandbox.Store;
using Storebridge.ServiceDefaults.Exceptions;
using Storebridge.Testing;
using Storebridge.WooCommerce;

namespace Storebridge.Orders.Tests;

/// <summary>The sweep against the store simulator: orders whose webhook never came, and webhooks that must exist.</summary>
public sealed class ReconciliationSweepTests : IAsyncLifetime
{
    private readonly TestResources _resources = new();
    private StoreSimulator _store = null!;
    private DaprApp<OrdersGrpc> _orders = null!;

    public async ValueTask InitializeAsync()
    {
        _store = await StoreSimulator.StartAsync(new StoreSimulatorOptions
        {
            Catalog = SandboxCatalog.Generate(42, SandboxSize.Small),
            DeliveryTimeout = TimeSpan.FromSeconds(5),
        }, TestContext.Current.CancellationToken);

        var settings = OrdersSettings.Minimal(storeUrl: _store.BaseUrl.ToString());
        settings["WooCommerce:Stores:s1:ConsumerKey"] = _store.Options.ConsumerKey;
        settings["WooCommerce:Stores:s1:ConsumerSecret"] = _store.Options.ConsumerSecret;
        settings["WooCommerce:Stores:s1:WebhookSecret"] = _store.Options.WebhookSecret;
        settings["WooCommerce:Stores:s1:AuthMode"] = nameof(WooAuthMode.Basic);
        // Filled in below once the host's port is known.
        settings["Orders:Stores:s1:WebhookUrl"] = null;
        // These tests are about the sweep alone; registered at start, the webhooks would exist (and deliver) before it runs.
        settings[$"{OrdersOptions.Section}:{nameof(OrdersOptions.EnsureWebhooksAtStart)}"] = "false";
        _orders = await DaprApp<OrdersGrpc>.StartAsync("orders", _resources, WithWebhookUrl(settings));
    }

    // The public port is chosen when the host is built, so the webhook URL is derived from a reserved port.
    private static Dictionary<string, string?> WithWebhookUrl(Dictionary<string, string?> settings)
    {
        var port = ReservedPort.Next();
        settings["Storebridge:Listen:PublicPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Orders:Stores:s1:WebhookUrl"] = $"http://127.0.0.1:{port}/webhooks/woocommerce/s1";
        return settings;
    }

    public async ValueTask DisposeAsync()
    {
        await _orders.DisposeAsync();
        await _store.DisposeAsync();
        _resources.Dispose();
    }

    private async Task<JsonElement> SweepAsync()
    {
        using var client = _orders.Service.CreateHttpClient(withApiKey: false);
        client.DefaultRequestHeaders.Add("dapr-api-token", ServiceHost<OrdersGrpc>.AppToken);
        var response = await client.PostAsync($"/{ReconciliationSweep.BindingName}", null, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).EnumerateArray().Single();
    }

    private Task<long> CheckoutAsync() => StoreRest.CheckoutAsync(_store);

    private Task<JsonElement> StoreApiAsync(string path) => StoreRest.GetAsync(_store, path);

    [Fact]
    public async Task An_order_whose_webhook_never_came_is_fed_by_the_sweep()
    {
        var orderId = await CheckoutAsync();

        var report = await SweepAsync();

        Assert.True(report.GetProperty("fed").GetInt32() >= 1);
        var order = await StoreApiAsync($"orders/{orderId}");
        Assert.True(OrderIntake.TryReadVersion(order.Deserialize<Storebridge.WooCommerce.Models.WooOrder>(Storebridge.WooCommerce.WooJson.Options)!, out _, out var version));
        var mapped = Storebridge.WooCommerce.Mapping.WooOrderMapper.Map("s1", order);
        var entry = await _orders.Dapr.GetStateAsync<InboxEntry?>("statestore", OrderInbox.Key("s1", orderId, version, OrderIntake.Fingerprint(mapped.Order!)),
            cancellationToken: TestContext.Current.CancellationToken);
        Assert.NotNull(entry);
        Assert.Equal("sweep", entry.Source);
    }

    [Fact]
    public async Task A_second_sweep_feeds_nothing_it_already_fed()
    {
        await CheckoutAsync();
        await SweepAsync();

        var second = await SweepAsync();

        Assert.Equal(0, second.GetProperty("fed").GetInt32());
    }

    [Fact]
    public async Task The_sweep_creates_the_missing_order_webhooks_and_deliveries_then_arrive()
    {
        var report = await SweepAsync();
        var orderId = await CheckoutAsync();

        Assert.Equal(0, report.GetProperty("webhooksReactivated").GetInt32());
        var hooks = (await StoreApiAsync("webhooks")).EnumerateArray().ToList();
        Assert.Equal(["order.created", "order.updated"],
            hooks.Where(h => h.GetProperty("status").GetString() == "active").Select(h => h.GetProperty("topic").GetString()!).Order());
        await Eventually.TrueAsync(() => _store.Deliveries.Any(d => d.Topic == "order.created" && d.ResourceId == orderId && d.StatusCode is >= 200 and < 300));
    }

    [Fact]
    public async Task The_sweep_reactivates_an_order_webhook_the_store_disabled_and_records_it()
    {
        await SweepAsync();
        var hook = (await StoreApiAsync("webhooks")).EnumerateArray().First(h => h.GetProperty("topic").GetString() == "order.updated");
        var id = hook.GetProperty("id").GetInt64();
        using (var http = StoreRest.Client(_store))
        {
            (await http.PutAsJsonAsync($"webhooks/{id}", new { status = "disabled" }, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        }

        var report = await SweepAsync();

        Assert.Equal(1, report.GetProperty("webhooksReactivated").GetInt32());
        Assert.Equal("active", (await StoreApiAsync($"webhooks/{id}")).GetProperty("status").GetString());
        var exceptions = new ExceptionQueue(_orders.Dapr, TimeProvider.System, NullLogger<ExceptionQueue>.Instance);
        var records = await exceptions.ListAsync(ExceptionStatus.Resolved, 50, TestContext.Current.CancellationToken);
        var record = Assert.Single(records, r => r.Kind == "webhook-reactivated");
        Assert.Equal("s1", record.StoreId);
        Assert.Contains($"Webhook {id} (order.updated)", record.Reason, StringComparison.Ordinal);
    }
}
