using System.Globalization;
using Storebridge.Catalog.Grpc;
using Storebridge.Inventory.Grpc;
using Storebridge.Orders.Grpc;
using Storebridge.Sandbox.Erp;
using Storebridge.Sandbox.Erp.Faults;
using Storebridge.Sandbox.Seed;
using Storebridge.Sandbox.Store;
using Storebridge.Testing;
using Storebridge.WooCommerce;

namespace Storebridge.Orders.Bench;

/// <summary>
/// The whole system as the end-to-end tests start it (tests/EndToEnd/StorebridgeSystem.cs): ERP and store simulators,
/// inventory, catalog and orders each with its own local runtime sharing one store and broker. The ERP answers every
/// API call after a fixed added latency.
/// </summary>
internal sealed class BenchSystem : IAsyncDisposable
{
    public const string StoreId = "sandbox";

    private readonly TestResources _resources;

    private BenchSystem(TestResources resources, ErpSimulator erp, StoreSimulator store, DaprApp<InventoryGrpc> inventory, DaprApp<CatalogGrpc> catalog, DaprApp<OrdersGrpc> orders)
    {
        _resources = resources;
        Erp = erp;
        Store = store;
        Inventory = inventory;
        Catalog = catalog;
        Orders = orders;
    }

    public ErpSimulator Erp { get; }

    public StoreSimulator Store { get; }

    public DaprApp<InventoryGrpc> Inventory { get; }

    public DaprApp<CatalogGrpc> Catalog { get; }

    public DaprApp<OrdersGrpc> Orders { get; }

    public static async Task<BenchSystem> StartAsync(int erpLatencyMs)
    {
        var catalog = SandboxCatalog.Generate(42, SandboxSize.Small);
        var resources = new TestResources();
        var erp = await ErpSimulator.StartAsync(new ErpSimulatorOptions
        {
            Seed = 42,
            Size = SandboxSize.Small,
            Faults = new ErpFaults { Latency = new LatencyFault { MinMs = erpLatencyMs, MaxMs = erpLatencyMs } },
        });
        // A store taking 50 orders/s runs its webhook queue with many workers; the default 4 would be the bottleneck.
        var store = await StoreSimulator.StartAsync(new StoreSimulatorOptions { Catalog = catalog, StoreId = StoreId, DeliveryTimeout = TimeSpan.FromSeconds(10), DeliveryConcurrency = 32 });

        var shared = new Dictionary<string, string?>
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

        var inventorySettings = new Dictionary<string, string?>(shared)
        {
            ["Inventory:ErpPollInterval"] = "00:00:00.500",
            ["Inventory:PublishWindow"] = "00:00:00.050",
        };
        for (var i = 0; i < catalog.Warehouses.Count; i++)
        {
            inventorySettings[$"Inventory:Stores:{StoreId}:Warehouses:{i}"] = catalog.Warehouses[i].Id;
        }

        var ordersPublicPort = ReservedPort.Next();
        var ordersSettings = new Dictionary<string, string?>(shared)
        {
            ["Storebridge:Listen:PublicPort"] = ordersPublicPort.ToString(CultureInfo.InvariantCulture),
            [$"Orders:Stores:{StoreId}:WebhookUrl"] = $"http://127.0.0.1:{ordersPublicPort}/webhooks/woocommerce/{StoreId}",
            [$"Orders:Stores:{StoreId}:DefaultErpCustomer"] = catalog.Customers.First(c => c.Kind == SeedCustomerKind.Consumer).Id,
        };

        var inventory = await DaprApp<InventoryGrpc>.StartAsync("inventory", resources, inventorySettings);
        var catalogApp = await DaprApp<CatalogGrpc>.StartAsync("catalog", resources, shared);
        var orders = await DaprApp<OrdersGrpc>.StartAsync("orders", resources, ordersSettings, RepositoryConfig.Orders);
        var system = new BenchSystem(resources, erp, store, inventory, catalogApp, orders);

        // The first sweep registers the store's order webhooks, as on a fresh deployment.
        using var client = orders.Service.CreateHttpClient(withApiKey: false);
        client.DefaultRequestHeaders.Add("dapr-api-token", ServiceHost<OrdersGrpc>.AppToken);
        (await client.PostAsync($"/{Intake.ReconciliationSweep.BindingName}", null)).EnsureSuccessStatusCode();
        return system;
    }

    public async ValueTask DisposeAsync()
    {
        await Orders.DisposeAsync();
        await Inventory.DisposeAsync();
        await Catalog.DisposeAsync();
        await Store.DisposeAsync();
        await Erp.DisposeAsync();
        _resources.Dispose();
    }
}
