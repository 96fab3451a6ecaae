using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Storebridge.Contracts.Orders.V1;
using Storebridge.Testing;

namespace Storebridge.EndToEnd.Tests;

/// <summary>
/// A promotion on the local runtime and sandbox: four times as many one-unit checkouts as there are units of three
/// scarce SKUs, while the ERP's stock moves underneath (deliveries, a cycle count). Nothing is confirmed to a customer
/// that the ERP did not have, and the store ends up showing what the ERP can still ship.
/// </summary>
public sealed class PromotionSpikeTests : IAsyncLifetime
{
    private const int StartingUnits = 4;
    private const int Waves = 8;
    private StorebridgeSystem _system = null!;

    public async ValueTask InitializeAsync() => _system = await StorebridgeSystem.StartAsync();

    public async ValueTask DisposeAsync() => await _system.DisposeAsync();

    private List<string> Warehouses => [.. _system.Catalog.Warehouses.Select(w => w.Id)];

    [Fact]
    public async Task Four_times_demand_on_scarce_skus_confirms_no_unit_the_erp_lacked_and_the_store_converges()
    {
        var skus = _system.Catalog.Sellables.Select(s => s.Sku).Where(s => _system.Store.Stock(s)?.StockQuantity >= StartingUnits).Take(3).ToList();
        Assert.Equal(3, skus.Count);
        var received = skus.ToDictionary(s => s, _ => 0m, StringComparer.Ordinal);
        foreach (var sku in skus)
        {
            foreach (var warehouse in Warehouses)
            {
                await _system.ErpAdminAsync("stock", new { sku, warehouse, onHand = warehouse == Warehouses[0] ? StartingUnits : 0 });
            }

            received[sku] = StartingUnits;
        }

        await Eventually.TrueAsync(() => skus.All(s => _system.Store.Stock(s)?.StockQuantity == StartingUnits), TimeSpan.FromSeconds(30),
            "the store shows the promotion's starting stock");

        // 4 × 12 units of demand in waves of two one-unit checkouts per SKU; between the first waves the ERP receives
        // and counts stock, so the store shows stale figures while checkouts keep coming.
        var accepted = new List<(string OrderRef, string Sku)>();
        var refusedByStore = 0;
        var perWave = 4 * StartingUnits * skus.Count / Waves;
        for (var wave = 0; wave < Waves; wave++)
        {
            var checkouts = Enumerable.Range(0, perWave).Select(i => skus[i % skus.Count]).Select(async sku =>
            {
                try
                {
                    return (OrderRef: $"{StorebridgeSystem.StoreId}-{await _system.CheckoutAsync(sku, 1)}", Sku: sku);
                }
                catch (HttpRequestException ex) when (ex.StatusCode == HttpStatusCode.Conflict)
                {
                    // The store's own check: it shows no stock left.
                    return (OrderRef: (string?)null, Sku: sku);
                }
            }).ToList();
            foreach (var (orderRef, sku) in await Task.WhenAll(checkouts))
            {
                if (orderRef is null)
                {
                    refusedByStore++;
                }
                else
                {
                    accepted.Add((orderRef, sku));
                }
            }

            if (wave == 0)
            {
                // A delivery into the second warehouse for the first two SKUs.
                foreach (var sku in skus.Take(2))
                {
                    await _system.ErpAdminAsync("stock", new { sku, warehouse = Warehouses[1], delta = 3 });
                    received[sku] += 3;
                }

                // A cycle count finds an unpromised unit of the third SKU missing. It waits for that SKU's orders in
                // flight, so the count takes a free unit, not one a customer was just promised.
                foreach (var (orderRef, _) in accepted.Where(a => a.Sku == skus[2]))
                {
                    await SettledAsync(orderRef);
                }

                var bin = (await BinsAsync(skus[2])).Single(b => b.Warehouse == Warehouses[0]);
                var missing = Math.Min(1m, Math.Max(0m, bin.Actual - bin.Reserved));
                await _system.ErpAdminAsync("stock", new { sku = skus[2], warehouse = Warehouses[0], onHand = bin.Actual - missing });
                received[skus[2]] -= missing;

                // Storebridge learns of a count by reading the ERP (every 0.5 s here): a checkout inside that window is
                // promised against the stock before the count. The promise "nothing the ERP lacked" is about what the
                // ERP had told Storebridge, so the next wave waits until inventory has read the count.
                var countedOnHand = (long)(bin.Actual - missing);
                await Eventually.TrueAsync(async () => await InventoryOnHandAsync(skus[2], Warehouses[0]) == countedOnHand, TimeSpan.FromSeconds(30),
                    "inventory reads the cycle count");
            }
        }

        Assert.True(accepted.Count > 0, "some checkouts should get through the store");
        var settled = new List<(OrderView Order, string Sku)>();
        foreach (var (orderRef, sku) in accepted)
        {
            settled.Add((await SettledAsync(orderRef), sku));
        }

        Assert.All(settled.Where(s => s.Order.State == OrderState.OnHold), s => Assert.StartsWith("stock-short", s.Order.StatusReason, StringComparison.Ordinal));
        foreach (var sku in skus)
        {
            var confirmed = settled.Count(s => s.Sku == sku && s.Order.State == OrderState.AwaitingShipment);
            var bins = await BinsAsync(sku);
            Assert.True(confirmed <= received[sku], $"{sku}: {confirmed} units confirmed to customers, the ERP had {received[sku]}");
            // The ERP's own books agree: its sales orders reserve exactly the confirmed units, and it can ship them.
            Assert.Equal(confirmed, bins.Sum(b => b.Reserved));
            Assert.All(bins, b => Assert.True(b.Reserved <= b.Actual, $"{sku} in {b.Warehouse}: {b.Reserved} reserved, {b.Actual} on hand"));
        }

        var onHold = settled.Count(s => s.Order.State == OrderState.OnHold);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{Waves * perWave} checkouts: {refusedByStore} refused by the store, {settled.Count - onHold} confirmed, {onHold} on hold (stock short); " +
            $"the ERP received {string.Join(", ", received.Select(r => $"{r.Key}={r.Value}"))}");
        Assert.True(refusedByStore + onHold > 0, "demand should have exceeded supply");

        // After the promotion the next delivery arrives. A committed hold stops counting only once an ERP snapshot
        // read after the commit covers it (decision 0051), so the ERP keeps receiving a unit every few seconds until
        // the store shows what the ERP can ship.
        var sinceDelivery = Stopwatch.StartNew();
        await DeliverAsync(skus, received);
        string last = "";
        await Eventually.TrueAsync(async () =>
        {
            var mismatches = new List<string>();
            foreach (var sku in skus)
            {
                var truth = (long)(await BinsAsync(sku)).Sum(b => Math.Max(0m, b.Actual - b.Reserved));
                var shown = _system.Store.Stock(sku)?.StockQuantity;
                if (shown != truth)
                {
                    mismatches.Add($"{sku}: store shows {shown}, the ERP can ship {truth}");
                }
            }

            last = string.Join("; ", mismatches);
            if (mismatches.Count > 0 && sinceDelivery.Elapsed > TimeSpan.FromSeconds(3))
            {
                await DeliverAsync(skus, received);
                sinceDelivery.Restart();
            }

            return mismatches.Count == 0;
        }, TimeSpan.FromSeconds(45), "the store converges to the ERP's shippable stock");
        Assert.Equal("", last);
    }

    /// <summary>What inventory holds as the ERP's on-hand stock of a SKU in a warehouse (its latest ERP reading).</summary>
    private async Task<long?> InventoryOnHandAsync(string sku, string warehouse)
    {
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(_system.Inventory.Service.AppAddress);
        var client = new Contracts.Inventory.V1.InventoryService.InventoryServiceClient(channel);
        var request = new Contracts.Inventory.V1.GetAvailabilityRequest { StoreId = StorebridgeSystem.StoreId, Skus = { sku } };
        var answer = await client.GetAvailabilityAsync(request, new Grpc.Core.Metadata { { "x-api-key", ServiceHost<Inventory.Grpc.InventoryGrpc>.ApiKey } },
            cancellationToken: TestContext.Current.CancellationToken);
        return answer.Items.SingleOrDefault()?.ByWarehouse.SingleOrDefault(w => w.WarehouseId == warehouse)?.OnHand;
    }

    /// <summary>Waits until the order is confirmed (awaiting shipment) or on hold.</summary>
    private async Task<OrderView> SettledAsync(string orderRef)
    {
        OrderView? order = null;
        await Eventually.TrueAsync(async () => (order = await _system.GetOrderAsync(orderRef))?.State is OrderState.AwaitingShipment or OrderState.OnHold,
            TimeSpan.FromSeconds(60), $"order {orderRef} settles");
        return order!;
    }

    private async Task DeliverAsync(List<string> skus, Dictionary<string, decimal> received)
    {
        foreach (var sku in skus)
        {
            await _system.ErpAdminAsync("stock", new { sku, warehouse = Warehouses[0], delta = 1 });
            received[sku] += 1;
        }
    }

    /// <summary>The ERP's stock rows (Bin) of a SKU: on hand and reserved by its sales orders, per warehouse.</summary>
    private async Task<List<(string Warehouse, decimal Actual, decimal Reserved)>> BinsAsync(string sku)
    {
        var filters = Uri.EscapeDataString($"[[\"item_code\",\"=\",\"{sku}\"]]");
        var fields = Uri.EscapeDataString("[\"warehouse\",\"actual_qty\",\"reserved_qty\"]");
        var result = await _system.ErpApiAsync($"api/resource/Bin?filters={filters}&fields={fields}&limit_page_length=0");
        return [.. result.GetProperty("data").EnumerateArray().Select(b => (
            b.GetProperty("warehouse").GetString()!,
            Number(b.GetProperty("actual_qty")),
            Number(b.GetProperty("reserved_qty"))))];
    }

    private static decimal Number(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? decimal.Parse(value.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : value.GetDecimal();
}
