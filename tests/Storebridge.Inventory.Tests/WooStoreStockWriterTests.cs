using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Storebridge.Inventory.Publishing;
using Storebridge.Sandbox.Store;
using Storebridge.WooCommerce;

namespace Storebridge.Inventory.Tests;

/// <summary>The production store writer against the WooCommerce store simulator (sandbox/store).</summary>
public sealed class WooStoreStockWriterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stock_reaches_simple_products_and_variations_and_unknown_skus_are_skipped()
    {
        await using var store = await StoreSimulator.StartAsync(new StoreSimulatorOptions { Seed = 7 }, Ct);
        await using var services = new ServiceCollection()
            .AddLogging()
            .AddWooCommerce(o => o.Stores["web"] = new WooStoreOptions
            {
                StoreId = "web",
                BaseUrl = store.BaseUrl,
                ConsumerKey = store.Options.ConsumerKey,
                ConsumerSecret = store.Options.ConsumerSecret,
                RequestsPerSecond = 1000,
                Burst = 1000,
            })
            .BuildServiceProvider();
        var writer = new WooStoreStockWriter(services.GetRequiredService<IWooCommerceClientFactory>(), TimeProvider.System, NullLogger<WooStoreStockWriter>.Instance);
        var sellable = store.Catalog.Sellables.ToList();
        var variation = sellable.First(s => s.Variant is not null).Sku;
        var simple = sellable.FirstOrDefault(s => s.Variant is null)?.Sku;
        var pushes = new List<StockPush> { new(variation, 17), new("NOT-IN-STORE", 3) };
        if (simple is not null)
        {
            pushes.Add(new StockPush(simple, 4));
        }

        var failed = await writer.PushAsync("web", pushes, Ct);

        Assert.Empty(failed);
        Assert.Equal(17, store.Stock(variation)!.StockQuantity);
        if (simple is not null)
        {
            Assert.Equal(4, store.Stock(simple)!.StockQuantity);
        }

        Assert.True(writer.Handles("web"));
        Assert.False(writer.Handles("elsewhere"));
    }
}
