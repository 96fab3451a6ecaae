using Storebridge.Inventory.Domain;
using Storebridge.Inventory.Reservations;
using Storebridge.Inventory.State;

namespace Storebridge.Inventory.Tests;

/// <summary>Reserve calls decided together in one read and one transaction (group commit).</summary>
public sealed class ReserveBatchTests : IAsyncLifetime
{
    private readonly RuntimeFolder _folder = new();
    private InventoryParts _parts = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _parts = await InventoryParts.StartAsync(_folder, Ct);

    public async ValueTask DisposeAsync()
    {
        await _parts.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task A_repeated_reserve_after_the_stock_ran_out_returns_the_stored_reservation_not_a_shortage()
    {
        await _parts.StockAsync("SKU-1", "wh-a", 2);
        var first = await _parts.Reservations.ReserveAsync(new ReserveCommand("order-1", "web", [new RequestedLine("SKU-1", 2)], null), Ct);

        var again = await _parts.Reservations.ReserveAsync(new ReserveCommand("order-1", "web", [new RequestedLine("SKU-1", 2)], null), Ct);

        Assert.NotNull(first.Reservation);
        Assert.Empty(again.Shortages);
        Assert.Equal(first.Reservation.CreatedAt, again.Reservation!.CreatedAt);
    }

    [Fact]
    public async Task Concurrent_calls_for_one_order_and_one_sku_hold_once_and_exactly_the_stock_there_is()
    {
        await _parts.StockAsync("SKU-1", "wh-a", 10);
        var sameOrder = Enumerable.Range(0, 8).Select(_ => _parts.Reservations.ReserveAsync(new ReserveCommand("order-x", "web", [new RequestedLine("SKU-1", 2)], null), Ct)).ToList();
        var others = Enumerable.Range(0, 12).Select(i => _parts.Reservations.ReserveAsync(new ReserveCommand($"order-{i}", "web", [new RequestedLine("SKU-1", 1)], null), Ct)).ToList();

        // The first calls queued are decided first, so the repeated order gets its 2 units and 8 of the others 1 each.
        var sameOutcomes = await Task.WhenAll(sameOrder);
        var otherOutcomes = await Task.WhenAll(others);

        Assert.All(sameOutcomes, o => Assert.Equal(sameOutcomes[0].Reservation!.CreatedAt, o.Reservation!.CreatedAt));
        Assert.Equal(8, otherOutcomes.Count(o => o.Reservation is not null));
        Assert.All(otherOutcomes.Where(o => o.Reservation is null), o => Assert.Equal(0, Assert.Single(o.Shortages).Available));
        var doc = (await _parts.State.GetAsync<SkuStock>(InventoryState.SkuKey("SKU-1"), Ct)).Value!;
        Assert.Equal(9, doc.Holds.Count);
        Assert.Equal(0, await _parts.AvailableAsync("SKU-1", "web"));
    }
}
