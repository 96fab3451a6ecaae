using Storebridge.Inventory.Domain;
using Storebridge.Inventory.Reservations;

namespace Storebridge.Inventory.Tests;

/// <summary>
/// A promotion spike against a few scarce SKUs while the ERP's stock moves underneath, on the local runtime's state
/// store with the real reservation, ingest and publishing logic (the ERP and the store are test doubles).
/// </summary>
public sealed class PromotionSpikeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Four_times_demand_on_scarce_skus_oversells_nothing_and_the_store_converges()
    {
        using var folder = new RuntimeFolder();
        await using var parts = await InventoryParts.StartAsync(folder, Ct);
        var erp = new ErpModel();
        string[] skus = ["PROMO-1", "PROMO-2", "PROMO-3"];
        foreach (var sku in skus)
        {
            erp.OnHand[sku] = 20;
        }

        await parts.Ingest.ApplyAsync(erp.Snapshot(parts.Time.GetUtcNow()), Ct);
        await parts.StorePublisher.StartAsync(Ct);

        // 3 SKUs × 20 units, restocked by 2 × 5 units each during the sale: 90 units. Shoppers ask for 4 × 60 = 240.
        var confirmed = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var rejected = 0;
        var shoppers = Enumerable.Range(0, 160).Select(async i =>
        {
            var sku = skus[i % skus.Length];
            var quantity = i % 2 == 0 ? 1 : 2;
            var orderRef = $"promo-{i}";
            await Task.Yield();
            var outcome = await parts.Reservations.ReserveAsync(new ReserveCommand(orderRef, "web", [new RequestedLine(sku, quantity)], null), Ct);
            if (outcome.Reservation is null)
            {
                Interlocked.Increment(ref rejected);
                return;
            }

            if (i % 10 == 9)
            {
                // Some shoppers abandon: the stock goes back for the others.
                await parts.Reservations.ReleaseAsync(orderRef, "payment failed", Ct);
                return;
            }

            erp.CreateSalesOrder(sku, quantity);
            await parts.Reservations.CommitAsync(orderRef, $"SO-{i}", Ct);
            confirmed.AddOrUpdate(sku, quantity, (_, v) => v + quantity);
        }).ToList();

        var erpFeed = Task.Run(async () =>
        {
            for (var round = 0; round < 6; round++)
            {
                if (round is 1 or 3)
                {
                    foreach (var sku in skus)
                    {
                        erp.Restock(sku, 5);
                    }
                }

                parts.Time.Advance(TimeSpan.FromSeconds(3));
                await parts.Ingest.ApplyAsync(erp.Snapshot(parts.Time.GetUtcNow()), Ct);
                await Task.Delay(30, Ct);
            }
        }, Ct);

        await Task.WhenAll([.. shoppers, erpFeed]);
        parts.Time.Advance(TimeSpan.FromSeconds(3));
        await parts.Ingest.ApplyAsync(erp.Snapshot(parts.Time.GetUtcNow()), Ct);

        Assert.True(rejected > 0, "demand should have exceeded supply");
        foreach (var sku in skus)
        {
            var sold = confirmed.GetValueOrDefault(sku);
            Assert.Equal(erp.Reserved.GetValueOrDefault(sku), sold);
            Assert.True(sold <= erp.OnHand[sku], $"{sku}: {sold} units confirmed, the ERP had {erp.OnHand[sku]}");
            var truth = await parts.AvailableAsync(sku, "web");
            Assert.Equal(erp.OnHand[sku] - sold, truth);
            await Eventually.TrueAsync(() => parts.Writer.Shown(sku) == truth, $"store shows {truth} of {sku}");
        }
    }

    /// <summary>The ERP's books: physical stock and what its sales orders reserve.</summary>
    private sealed class ErpModel
    {
        private readonly Lock _lock = new();

        public Dictionary<string, long> OnHand { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, long> Reserved { get; } = new(StringComparer.Ordinal);

        public void CreateSalesOrder(string sku, int quantity)
        {
            lock (_lock)
            {
                Reserved[sku] = Reserved.GetValueOrDefault(sku) + quantity;
            }
        }

        public void Restock(string sku, int quantity)
        {
            lock (_lock)
            {
                OnHand[sku] += quantity;
            }
        }

        /// <summary>Every SKU's levels as read now, stamped with the read time.</summary>
        public List<ErpStockLevel> Snapshot(DateTimeOffset asOf)
        {
            lock (_lock)
            {
                return [.. OnHand.Select(p => new ErpStockLevel(p.Key, "wh-a", p.Value, Reserved.GetValueOrDefault(p.Key), asOf))];
            }
        }
    }
}
