namespace Storebridge.Inventory.Domain;

/// <summary>A change of what a store may sell of a SKU.</summary>
/// <param name="Sku">The SKU.</param>
/// <param name="StoreId">The store.</param>
/// <param name="Previous">The value announced before (null: never announced).</param>
/// <param name="Available">The new value.</param>
public sealed record AvailabilityChange(string Sku, string StoreId, long? Previous, long Available);

/// <summary>
/// The pure availability rules: available per SKU × warehouse = max(0, on-hand − ERP reserved − open holds −
/// safety stock); a store may sell the sum over the warehouses routed to it.
/// </summary>
public sealed class StockRules(InventoryOptions options)
{
    /// <summary>The settings the rules read.</summary>
    public InventoryOptions Options { get; } = options;

    /// <summary>Whether a store is configured.</summary>
    public bool IsKnownStore(string storeId) => Options.Stores.ContainsKey(storeId);

    /// <summary>Warehouses serving a store, in allocation order.</summary>
    public IReadOnlyList<string> WarehousesOf(string storeId) =>
        Options.Stores.TryGetValue(storeId, out var routing) ? routing.Warehouses : [];

    /// <summary>Safety stock of a SKU: its own setting, else its category's, else the default.</summary>
    public long SafetyStock(string sku)
    {
        if (Options.SafetyStock.Skus.TryGetValue(sku, out var own))
        {
            return own;
        }

        if (Options.SkuCategories.TryGetValue(sku, out var category)
            && Options.SafetyStock.Categories.TryGetValue(category, out var byCategory))
        {
            return byCategory;
        }

        return Options.SafetyStock.Default;
    }

    /// <summary>
    /// Whether the ERP's snapshot of a warehouse already includes a committed hold: only a snapshot taken after the
    /// commit (plus the skew margin) can, so until then the hold keeps counting and nothing is sold twice.
    /// </summary>
    public bool IsCoveredByErp(Hold hold, WarehouseStock? warehouse) =>
        hold.State == HoldState.Committed
        && hold.CommittedAt is { } committed
        && warehouse is not null
        && warehouse.AsOf > committed + Options.CommitCoverageMargin;

    /// <summary>Whether a hold still takes stock away at <paramref name="now"/>, in one warehouse.</summary>
    public bool Counts(Hold hold, WarehouseStock? warehouse, DateTimeOffset now) => hold.State switch
    {
        // An expired hold stops counting at once, even before the sweep has written it off.
        HoldState.Held => hold.ExpiresAt > now,
        HoldState.Committed => !IsCoveredByErp(hold, warehouse),
        _ => true,
    };

    /// <summary>Units Storebridge holds in one warehouse of a SKU.</summary>
    public long HeldUnits(SkuStock stock, string warehouseId, DateTimeOffset now)
    {
        stock.Warehouses.TryGetValue(warehouseId, out var warehouse);
        long held = 0;
        foreach (var hold in stock.Holds.Values)
        {
            if (hold.Quantities.TryGetValue(warehouseId, out var quantity) && Counts(hold, warehouse, now))
            {
                held += quantity;
            }
        }

        return held;
    }

    /// <summary>What can still be sold from one warehouse of a SKU.</summary>
    public long Available(SkuStock stock, string warehouseId, DateTimeOffset now)
    {
        if (!stock.Warehouses.TryGetValue(warehouseId, out var warehouse))
        {
            return 0;
        }

        return Math.Max(0, warehouse.OnHand - warehouse.ErpReserved - HeldUnits(stock, warehouseId, now) - SafetyStock(stock.Sku));
    }

    /// <summary>What a store may sell of a SKU: the sum over its warehouses.</summary>
    public long AvailableForStore(SkuStock stock, string storeId, DateTimeOffset now) =>
        WarehousesOf(storeId).Sum(w => Available(stock, w, now));

    /// <summary>
    /// Takes <paramref name="quantity"/> from the store's warehouses in routing order. Returns the split, or null
    /// when the store cannot supply the full quantity (then nothing is taken).
    /// </summary>
    public Dictionary<string, int>? Allocate(SkuStock stock, string storeId, int quantity, DateTimeOffset now)
    {
        var split = new Dictionary<string, int>(StringComparer.Ordinal);
        var remaining = quantity;
        foreach (var warehouse in WarehousesOf(storeId))
        {
            if (remaining == 0)
            {
                break;
            }

            var take = (int)Math.Min(remaining, Available(stock, warehouse, now));
            if (take > 0)
            {
                split[warehouse] = take;
                remaining -= take;
            }
        }

        return remaining == 0 ? split : null;
    }

    /// <summary>
    /// Applies an ERP snapshot of one warehouse. Older snapshots than the one held are ignored (events and polls can
    /// arrive out of order). Committed holds that every warehouse snapshot now covers are dropped. Returns whether
    /// anything changed.
    /// </summary>
    public bool ApplyErpLevel(SkuStock stock, ErpStockLevel level)
    {
        if (stock.Warehouses.TryGetValue(level.WarehouseId, out var current))
        {
            if (level.AsOf < current.AsOf)
            {
                return false;
            }

            if (current.OnHand == level.OnHand && current.ErpReserved == level.ErpReserved && current.AsOf == level.AsOf)
            {
                return false;
            }
        }

        stock.Warehouses[level.WarehouseId] = new WarehouseStock { OnHand = level.OnHand, ErpReserved = level.ErpReserved, AsOf = level.AsOf };
        DropCoveredHolds(stock);
        return true;
    }

    /// <summary>Removes committed holds whose every warehouse is covered by a later ERP snapshot.</summary>
    public void DropCoveredHolds(SkuStock stock)
    {
        foreach (var (orderRef, hold) in stock.Holds.ToList())
        {
            if (hold.State == HoldState.Committed
                && hold.Quantities.Keys.All(w => IsCoveredByErp(hold, stock.Warehouses.GetValueOrDefault(w))))
            {
                stock.Holds.Remove(orderRef);
            }
        }
    }

    /// <summary>
    /// Recomputes every store's availability of the SKU, records the new values in <see cref="SkuStock.Published"/>
    /// and returns those that changed. Stores none of whose warehouses hold the SKU are left out.
    /// </summary>
    public List<AvailabilityChange> RefreshPublished(SkuStock stock, DateTimeOffset now)
    {
        var changes = new List<AvailabilityChange>();
        foreach (var (storeId, routing) in Options.Stores)
        {
            if (!routing.Warehouses.Any(stock.Warehouses.ContainsKey))
            {
                continue;
            }

            var available = AvailableForStore(stock, storeId, now);
            long? previous = stock.Published.TryGetValue(storeId, out var p) ? p : null;
            if (previous != available)
            {
                stock.Published[storeId] = available;
                changes.Add(new AvailabilityChange(stock.Sku, storeId, previous, available));
            }
        }

        return changes;
    }
}
