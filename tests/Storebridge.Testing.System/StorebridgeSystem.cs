using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Storebridge.Contracts.Orders.V1;
using Storebridge.Catalog.Grpc;
using Storebridge.Inventory.Grpc;
using Storebridge.Orders.Grpc;
using Storebridge.Sandbox.Erp;
using Storebridge.Sandbox.Erp.Faults;
using Storebridge.Sandbox.Seed;
using Storebridge.Sandbox.Store;
using Storebridge.WooCommerce;

namespace Storebridge.Testing;

/// <summary>
/// Storebridge as <c>make run</c> starts it, in one test process: the ERP and store simulators, orders and inventory
/// each with its own local runtime sharing one store and broker. The store's webhooks point at orders.
/// </summary>
public sealed class StorebridgeSystem : IAsyncDisposable
{
    public const string StoreId = "sandbox";
    private readonly TestResources _resources;

    private StorebridgeSystem(TestResources resources, ErpSimulator erp, StoreSimulator store, DaprApp<InventoryGrpc> inventory, DaprApp<OrdersGrpc> orders,
        DaprApp<CatalogGrpc> catalog)
    {
        Catalogue = catalog;
        _resources = resources;
        Erp = erp;
        Store = store;
        Inventory = inventory;
        Orders = orders;
    }

    public ErpSimulator Erp { get; }
    public string ResourcesDirectory => _resources.Directory;
    public string DataDirectory => _resources.DataDirectory;

    /// <summary>The settings orders runs with in this system (connectors, webhook URL on the given public port).</summary>
    public Dictionary<string, string?> OrdersSettings(int publicPort) => Settings(Erp, Store, Catalog, publicPort);
    public StoreSimulator Store { get; }
    public DaprApp<InventoryGrpc> Inventory { get; }
    public DaprApp<OrdersGrpc> Orders { get; }
    public DaprApp<CatalogGrpc> Catalogue { get; }
    public SandboxData Catalog => Store.Catalog;

    /// <param name="erpLatencyMs">Added to every ERP API call (benchmarks use the 20 ms).</param>
    /// <param name="webhookDeliveryConcurrency">Webhooks the store sends at once (a store taking 50 orders/s runs many workers).</param>
    public static async Task<StorebridgeSystem> StartAsync(int erpLatencyMs = 0, int webhookDeliveryConcurrency = 4)
    {
        var catalog = SandboxCatalog.Generate(42, SandboxSize.Small);
        var resources = new TestResources();
        var erp = await ErpSimulator.StartAsync(new ErpSimulatorOptions
        {
            Seed = 42,
            Size = SandboxSize.Small,
            Faults = erpLatencyMs > 0 ? new ErpFaults { Latency = new LatencyFault { MinMs = erpLatencyMs, MaxMs = erpLatencyMs } } : new ErpFaults(),
        });
        var store = await StoreSimulator.StartAsync(new StoreSimulatorOptions
        {
            Catalog = catalog,
            StoreId = StoreId,
            DeliveryTimeout = TimeSpan.FromSeconds(10),
            DeliveryConcurrency = webhookDeliveryConcurrency,
        });

        var shared = SharedSettings(erp, store);

        var inventorySettings = new Dictionary<string, string?>(shared)
        {
            ["Inventory:ErpPollInterval"] = "00:00:00.500",
            ["Inventory:PublishWindow"] = "00:00:00.050",
            // A committed hold stops counting once an ERP reading after the commit covers it; a warehouse whose stock
            // does not move again is read directly after CommitRefreshAfter, at the next sweep. Seconds here, not the
            // production half-minutes, so tests that wait for the store to converge do not wait a minute.
            ["Inventory:SweepInterval"] = "00:00:02",
            ["Inventory:CommitRefreshAfter"] = "00:00:03",
        };
        for (var i = 0; i < catalog.Warehouses.Count; i++)
        {
            inventorySettings[$"Inventory:Stores:{StoreId}:Warehouses:{i}"] = catalog.Warehouses[i].Id;
        }

        var ordersSettings = Settings(erp, store, catalog, ReservedPort.Next());

        var inventory = await DaprApp<InventoryGrpc>.StartAsync("inventory", resources, inventorySettings);
        var catalogApp = await DaprApp<CatalogGrpc>.StartAsync("catalog", resources, shared);
        var orders = await DaprApp<OrdersGrpc>.StartAsync("orders", resources, ordersSettings, RepositoryConfig.Orders);
        var system = new StorebridgeSystem(resources, erp, store, inventory, orders, catalogApp);
        // Orders registers the store's order webhooks as it starts; a sweep here makes sure they exist before the first
        // checkout, whichever of the two gets there first.
        await system.TriggerAsync(Storebridge.Orders.Intake.ReconciliationSweep.BindingName);
        return system;
    }

    private static Dictionary<string, string?> SharedSettings(ErpSimulator erp, StoreSimulator store) => new()
    {

            [$"WooCommerce:Stores:{StoreId}:BaseUrl"] = store.BaseUrl.ToString(),
            [$"WooCommerce:Stores:{StoreId}:ConsumerKey"] = store.Options.ConsumerKey,
            [$"WooCommerce:Stores:{StoreId}:ConsumerSecret"] = store.Options.ConsumerSecret,
            [$"WooCommerce:Stores:{StoreId}:WebhookSecret"] = store.Options.WebhookSecret,
            [$"WooCommerce:Stores:{StoreId}:AuthMode"] = nameof(WooAuthMode.Basic),
            [$"WooCommerce:Stores:{StoreId}:RequestsPerSecond"] = "200",
            [$"WooCommerce:Stores:{StoreId}:Burst"] = "200",
            ["Storebridge:Erp:BaseUrl"] = erp.BaseUrl.ToString(),
            ["Storebridge:Erp:ApiKey"] = erp.ApiKey,
            ["Storebridge:Erp:ApiSecret"] = erp.ApiSecret,
    };

    private static Dictionary<string, string?> Settings(ErpSimulator erp, StoreSimulator store, SandboxData catalog, int publicPort) =>
        new(SharedSettings(erp, store))
        {
            ["Storebridge:Listen:PublicPort"] = publicPort.ToString(CultureInfo.InvariantCulture),
            [$"Orders:Stores:{StoreId}:WebhookUrl"] = $"http://127.0.0.1:{publicPort}/webhooks/woocommerce/{StoreId}",
            [$"Orders:Stores:{StoreId}:DefaultErpCustomer"] = catalog.Customers.First(c => c.Kind == SeedCustomerKind.Consumer).Id,
        };

    /// <summary>Fires one of orders' cron bindings now, as the runtime would on schedule.</summary>
    public async Task TriggerAsync(string binding)
    {
        using var client = Orders.Service.CreateHttpClient(withApiKey: false);
        client.DefaultRequestHeaders.Add("dapr-api-token", ServiceHost<OrdersGrpc>.AppToken);
        (await client.PostAsync($"/{binding}", null, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
    }

    /// <summary>A shopper's checkout in the store; returns the store order id.</summary>
    public async Task<long> CheckoutAsync(string sku, int quantity, string paymentMethod = "stripe", long? customerId = null)
    {
        using var http = new HttpClient { BaseAddress = Store.BaseUrl };
        var response = await http.PostAsJsonAsync("__shop/checkout", new
        {
            customer_id = customerId,
            // A registered customer's addresses come from the account, as in the store's checkout.
            billing = customerId is null
                ? new { first_name = "Ann", last_name = "Lee", address_1 = "1 Main St", city = "Austin", state = "TX", postcode = "73301", country = "US", email = "ann@example.com" }
                : null,
            line_items = new[] { new { sku, quantity } },
            payment_method = paymentMethod,
        }, WooJson.Options, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("id").GetInt64();
    }

    /// <summary>Delivers a signed webhook to orders as the store would (same secret, same headers).</summary>
    public async Task DeliverWebhookAsync(string body, string topic, string deliveryId)
    {
        using var client = Orders.Service.CreateHttpClient(withApiKey: false);
        var bytes = Encoding.UTF8.GetBytes(body);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/woocommerce/{StoreId}")
        {
            Content = new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        request.Headers.Add(Storebridge.WooCommerce.Webhooks.WooWebhookVerifier.TopicHeader, topic);
        request.Headers.Add(Storebridge.WooCommerce.Webhooks.WooWebhookVerifier.DeliveryIdHeader, deliveryId);
        request.Headers.Add(Storebridge.WooCommerce.Webhooks.WooWebhookVerifier.SignatureHeader,
            Storebridge.WooCommerce.Webhooks.WooWebhookVerifier.ComputeSignature(bytes, Store.Options.WebhookSecret));
        (await client.SendAsync(request, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
    }

    public async Task StoreUpdateAsync(string path, object changes)
    {
        using var http = new HttpClient { BaseAddress = new Uri(Store.BaseUrl, "wp-json/wc/v3/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.ASCII.GetBytes($"{Store.Options.ConsumerKey}:{Store.Options.ConsumerSecret}")));
        (await http.PutAsJsonAsync(path, changes, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
    }

    public async Task<JsonElement> StoreApiAsync(string path)
    {
        using var http = new HttpClient { BaseAddress = new Uri(Store.BaseUrl, "wp-json/wc/v3/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.ASCII.GetBytes($"{Store.Options.ConsumerKey}:{Store.Options.ConsumerSecret}")));
        return await http.GetFromJsonAsync<JsonElement>(path, TestContext.Current.CancellationToken);
    }

    public async Task<JsonElement> ErpApiAsync(string pathAndQuery)
    {
        using var http = new HttpClient { BaseAddress = Erp.BaseUrl };
        http.DefaultRequestHeaders.Add("Authorization", Erp.AuthorizationHeader);
        return await http.GetFromJsonAsync<JsonElement>(pathAndQuery, TestContext.Current.CancellationToken);
    }

    public async Task ErpUpdateAsync(string doctype, string name, object changes)
    {
        using var http = new HttpClient { BaseAddress = Erp.BaseUrl };
        http.DefaultRequestHeaders.Add("Authorization", Erp.AuthorizationHeader);
        var response = await http.PutAsJsonAsync($"api/resource/{Uri.EscapeDataString(doctype)}/{Uri.EscapeDataString(name)}", changes, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public async Task<List<string>> StoreNotesAsync(long orderId) =>
        (await StoreApiAsync($"orders/{orderId}/notes")).EnumerateArray().Select(n => n.GetProperty("note").GetString()!).ToList();

    public async Task<JsonElement> ErpAdminAsync(string path, object body)
    {
        using var http = new HttpClient { BaseAddress = Erp.BaseUrl };
        var response = await http.PostAsJsonAsync($"__admin/{path}", body, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
    }

    /// <summary>The ERP's sales orders for a Storebridge order reference (po_no).</summary>
    public async Task<List<JsonElement>> ErpSalesOrdersAsync(string orderRef, bool includeCancelled = false)
    {
        var filters = Uri.EscapeDataString(includeCancelled
            ? $"[[\"po_no\",\"=\",\"{orderRef}\"]]"
            : $"[[\"po_no\",\"=\",\"{orderRef}\"],[\"docstatus\",\"!=\",2]]");
        var result = await ErpApiAsync($"api/resource/Sales%20Order?filters={filters}&fields=%5B%22name%22,%22docstatus%22%5D");
        return result.GetProperty("data").EnumerateArray().ToList();
    }

    /// <summary>The orders API, as the console calls it: gRPC with an API key on orders' app port.</summary>
    public async Task<OrderView?> GetOrderAsync(string orderRef)
    {
        using var channel = GrpcChannel.ForAddress(Orders.Service.AppAddress);
        var client = new OrdersService.OrdersServiceClient(channel);
        try
        {
            var response = await client.GetOrderAsync(new GetOrderRequest { OrderRef = orderRef },
                new Metadata { { "x-api-key", ServiceHost<OrdersGrpc>.ApiKey } }, cancellationToken: TestContext.Current.CancellationToken);
            return response.Order;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<OrderView> WaitForOrderStateAsync(string orderRef, OrderState state, TimeSpan? within = null)
    {
        OrderView? last = null;
        try
        {
            await Eventually.TrueAsync(async () => (last = await GetOrderAsync(orderRef))?.State == state, within ?? TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Order {orderRef} did not reach {state}; it is {last?.State} ({last?.StatusReason}).");
        }

        return last!;
    }

    public async ValueTask DisposeAsync()
    {
        await Orders.DisposeAsync();
        await Inventory.DisposeAsync();
        await Catalogue.DisposeAsync();
        await Store.DisposeAsync();
        await Erp.DisposeAsync();
        _resources.Dispose();
    }
}
