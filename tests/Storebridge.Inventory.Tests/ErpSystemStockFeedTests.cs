using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Storebridge.Erp;
using Storebridge.Inventory.Domain;
using Storebridge.Inventory.Ingest;
using Storebridge.Inventory.State;
using Storebridge.Sandbox.Erp;
using Storebridge.Sandbox.Seed;

namespace Storebridge.Inventory.Tests;

/// <summary>Polling the ERP simulator (sandbox/erp) through the shared ERP system API into the inventory's state.</summary>
public sealed class ErpSystemStockFeedTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Poll_loads_erp_stock_then_picks_up_a_later_stock_entry()
    {
        await using var erp = await ErpSimulator.StartAsync(new ErpSimulatorOptions { Size = SandboxSize.Small, Seed = 11 }, Ct);
        using var folder = new RuntimeFolder();
        await using var parts = await InventoryParts.StartAsync(folder, Ct);
        await using var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<TimeProvider>(parts.Time)
            .AddErpNext(o =>
            {
                o.BaseUrl = erp.BaseUrl;
                o.ApiKey = erp.ApiKey;
                o.ApiSecret = erp.ApiSecret;
            })
            .Services.BuildServiceProvider();
        var feed = new ErpSystemStockFeed(services.GetRequiredService<IErpSystem>(), parts.Time);
        var poller = new ErpStockPoller(feed, parts.Ingest, parts.State, parts.Rules, parts.Time, NullLogger<ErpStockPoller>.Instance);

        var first = await poller.PollOnceAsync(Ct);
        Assert.True(first > 0, "the seeded ERP has stock");
        var catalog = await parts.State.GetAsync<SkuCatalog>(InventoryState.CatalogKey, Ct);
        var sku = catalog.Value!.Skus.First();
        var stock = await parts.State.GetAsync<SkuStock>(InventoryState.SkuKey(sku), Ct);
        var warehouse = stock.Value!.Warehouses.Keys.First();

        parts.Time.Advance(TimeSpan.FromSeconds(5));
        using var admin = new HttpClient { BaseAddress = erp.BaseUrl };
        (await admin.PostAsJsonAsync("/__admin/stock", new { sku, warehouse, onHand = 3 }, Ct)).EnsureSuccessStatusCode();
        var second = await poller.PollOnceAsync(Ct);

        Assert.InRange(second, 1, first - 1);
        var after = await parts.State.GetAsync<SkuStock>(InventoryState.SkuKey(sku), Ct);
        Assert.Equal(3, after.Value!.Warehouses[warehouse].OnHand);
        Assert.Equal(parts.Time.GetUtcNow(), after.Value.Warehouses[warehouse].AsOf);
    }
}
