using System.Net.Http.Json;
using System.Text.Json;
using Storebridge.Orders.Grpc;
using Storebridge.Orders.Intake;
using Storebridge.Sandbox.Seed;
using Storebridge.Sandbox.Store;
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

    private async Task<long> CheckoutAsync()
    {
        using var http = new HttpClient { BaseAddress = _store.BaseUrl };
        var sku = _store.Catalog.Sellables.First(s => _store.Stock(s.Sku)?.StockQuantity > 5).Sku;
        var response = await http.PostAsJsonAsync("__shop/checkout", new
        {
            billing = new { first_name = "Ann", last_name = "Lee", address_1 = "1 Main St", city = "Austin", state = "TX", postcode = "73301", country = "US", email = "ann@example.com" },
            line_items = new[] { new { sku, quantity = 1 } },
        }, WooJson.Options, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("id").GetInt64();
    }

    private async Task<JsonElement> StoreApiAsync(string path)
    {
        using var http = new HttpClient { BaseAddress = new Uri(_store.BaseUrl, "wp-json/wc/v3/") };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{_store.Options.ConsumerKey}:{_store.Options.ConsumerSecret}")));
        return await http.GetFromJsonAsync<JsonElement>(path, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task An_order_whose_webhook_never_came_is_fed_by_the_sweep()
    {
        var orderId = await CheckoutAsync();

        var report = await SweepAsync();

        Assert.True(report.GetProperty("fed").GetInt32() >= 1);
        var order = await StoreApiAsync($"orders/{orderId}");
        Assert.True(OrderIntake.TryReadVersion(order, out _, out var version));
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
}
