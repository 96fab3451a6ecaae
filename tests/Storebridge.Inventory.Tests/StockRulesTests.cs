using Storebridge.Inventory.Domain;
using Storebridge.Inventory.Reservations;

namespace Storebridge.Inventory.Tests;

public sealed class StockRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    private static StockRules Rules(long defaultSafety = 0) => new(new InventoryOptions
    {
        Stores =
        {
            ["web"] = new StoreRouting { Warehouses = ["wh-a", "wh-b"] },
            ["outlet"] = new StoreRouting { Warehouses = ["wh-b"] },
        },
        SafetyStock = new SafetyStockOptions
        {
            Default = defaultSafety,
            Skus = { ["SKU-OWN"] = 5 },
            Categories = { ["fragile"] = 3 },
        },
        SkuCategories = { ["SKU-CAT"] = "fragile", ["SKU-OWN"] = "fragile" },
        CommitCoverageMargin = TimeSpan.FromSeconds(2),
    });

    private static SkuStock Stock(string sku, params (string Warehouse, long OnHand, long ErpReserved)[] rows)
    {
        var stock = new SkuStock { Sku = sku };
        foreach (var (warehouse, onHand, reserved) in rows)
        {
            stock.Warehouses[warehouse] = new WarehouseStock { OnHand = onHand, ErpReserved = reserved, AsOf = Now.AddMinutes(-1) };
        }

        return stock;
    }

    private static Hold Held(string warehouse, int quantity, DateTimeOffset expiresAt) =>
        new() { StoreId = "web", Quantities = { [warehouse] = quantity }, State = HoldState.Held, ExpiresAt = expiresAt };

    [Fact]
    public void Availability_subtracts_erp_reserved_open_holds_and_safety_stock()
    {
        var rules = Rules(defaultSafety: 2);
        var stock = Stock("SKU-1", ("wh-a", 20, 4));
        stock.Holds["o-1"] = Held("wh-a", 3, Now.AddMinutes(10));

        Assert.Equal(20 - 4 - 3 - 2, rules.Available(stock, "wh-a", Now));
    }

    [Fact]
    public void Availability_never_goes_below_zero()
    {
        var rules = Rules(defaultSafety: 5);
        var stock = Stock("SKU-1", ("wh-a", 3, 4));

        Assert.Equal(0, rules.Available(stock, "wh-a", Now));
    }

    [Fact]
    public void Safety_stock_comes_from_the_sku_then_its_category_then_the_default()
    {
        var rules = Rules(defaultSafety: 1);

        Assert.Equal(5, rules.SafetyStock("SKU-OWN"));
        Assert.Equal(3, rules.SafetyStock("SKU-CAT"));
        Assert.Equal(1, rules.SafetyStock("SKU-OTHER"));
    }

    [Fact]
    public void Store_availability_sums_only_the_warehouses_routed_to_it()
    {
        var rules = Rules();
        var stock = Stock("SKU-1", ("wh-a", 10, 0), ("wh-b", 7, 0), ("wh-c", 100, 0));

        Assert.Equal(17, rules.AvailableForStore(stock, "web", Now));
        Assert.Equal(7, rules.AvailableForStore(stock, "outlet", Now));
    }

    [Fact]
    public void Allocation_draws_warehouses_in_routing_order()
    {
        var rules = Rules();
        var stock = Stock("SKU-1", ("wh-a", 4, 0), ("wh-b", 10, 0));

        var split = rules.Allocate(stock, "web", 6, Now);

        Assert.NotNull(split);
        Assert.Equal(4, split["wh-a"]);
        Assert.Equal(2, split["wh-b"]);
    }

    [Fact]
    public void Allocation_beyond_availability_takes_nothing()
    {
        var rules = Rules();
        var stock = Stock("SKU-1", ("wh-a", 4, 0), ("wh-b", 1, 0));

        Assert.Null(rules.Allocate(stock, "web", 6, Now));
        Assert.Empty(stock.Holds);
    }

    [Fact]
    public void Expired_hold_stops_counting_before_any_sweep()
    {
        var rules = Rules();
        var stock = Stock("SKU-1", ("wh-a", 10, 0));
        stock.Holds["o-1"] = Held("wh-a", 4, Now.AddSeconds(30));

        Assert.Equal(6, rules.Available(stock, "wh-a", Now));
        Assert.Equal(10, rules.Available(stock, "wh-a", Now.AddSeconds(30)));
    }

    [Fact]
    public void Committed_hold_keeps_counting_until_an_erp_snapshot_taken_after_the_commit()
    {
        var rules = Rules();
        var stock = Stock("SKU-1", ("wh-a", 10, 0));
        stock.Holds["o-1"] = new Hold
        {
            StoreId = "web", Quantities = { ["wh-a"] = 4 }, State = HoldState.Committed, ExpiresAt = Now.AddMinutes(-5), CommittedAt = Now,
        };

        // A snapshot from before the commit (ERP reserved not yet including the order) must not free the hold.
        rules.ApplyErpLevel(stock, new ErpStockLevel("SKU-1", "wh-a", 10, 0, Now.AddSeconds(1)));
        Assert.Equal(6, rules.Available(stock, "wh-a", Now.AddSeconds(5)));
        Assert.True(stock.Holds.ContainsKey("o-1"));

        // The first snapshot taken after the commit carries the ERP's own reservation; the hold is dropped, not double counted.
        rules.ApplyErpLevel(stock, new ErpStockLevel("SKU-1", "wh-a", 10, 4, Now.AddSeconds(10)));
        Assert.Equal(6, rules.Available(stock, "wh-a", Now.AddSeconds(10)));
        Assert.False(stock.Holds.ContainsKey("o-1"));
    }

    [Fact]
    public void Older_erp_snapshot_than_the_one_held_is_ignored()
    {
        var rules = Rules();
        var stock = Stock("SKU-1");
        Assert.True(rules.ApplyErpLevel(stock, new ErpStockLevel("SKU-1", "wh-a", 8, 0, Now)));

        Assert.False(rules.ApplyErpLevel(stock, new ErpStockLevel("SKU-1", "wh-a", 50, 0, Now.AddSeconds(-1))));
        Assert.False(rules.ApplyErpLevel(stock, new ErpStockLevel("SKU-1", "wh-a", 8, 0, Now)));
        Assert.Equal(8, stock.Warehouses["wh-a"].OnHand);
    }

    [Fact]
    public void Published_values_change_only_when_a_store_availability_changes()
    {
        var rules = Rules();
        var stock = Stock("SKU-1", ("wh-a", 10, 0));

        var first = rules.RefreshPublished(stock, Now);
        Assert.Equal([new AvailabilityChange("SKU-1", "web", null, 10)], first);

        Assert.Empty(rules.RefreshPublished(stock, Now));

        // wh-b only feeds "outlet"; a change there moves both stores' values.
        rules.ApplyErpLevel(stock, new ErpStockLevel("SKU-1", "wh-b", 3, 0, Now));
        var second = rules.RefreshPublished(stock, Now).OrderBy(c => c.StoreId).ToList();
        Assert.Equal([new AvailabilityChange("SKU-1", "outlet", null, 3), new AvailabilityChange("SKU-1", "web", 10, 13)], second);
    }

    [Fact]
    public void Reserve_lines_for_the_same_sku_are_merged_and_sorted()
    {
        var merged = ReservationService.Merge([new RequestedLine("B", 1), new RequestedLine("A", 2), new RequestedLine("B", 3)]);

        Assert.Equal([new RequestedLine("A", 2), new RequestedLine("B", 4)], merged);
    }
}
