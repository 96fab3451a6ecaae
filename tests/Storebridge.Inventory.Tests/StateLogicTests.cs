using Storebridge.Contracts.Inventory.V1;
using Storebridge.Inventory.Domain;
using Storebridge.Inventory.Ingest;
using Storebridge.Inventory.Reservations;
using Storebridge.Inventory.State;

namespace Storebridge.Inventory.Tests;

/// <summary>Expiry, ingest and polling over the local runtime's state store, with a fake clock.</summary>
public sealed class StateLogicTests : IAsyncLifetime
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

    private Task<ReserveOutcome> ReserveAsync(string orderRef, string sku, int quantity, TimeSpan? holdFor = null) =>
        _parts.Reservations.ReserveAsync(new ReserveCommand(orderRef, "web", [new RequestedLine(sku, quantity)], holdFor), Ct);

    [Fact]
    public async Task Uncommitted_reservation_expires_and_its_stock_returns()
    {
        await _parts.StockAsync("SKU-1", "wh-a", 10);
        await ReserveAsync("order-1", "SKU-1", 4, TimeSpan.FromMinutes(10));

        _parts.Time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(0, (await _parts.Sweeper.SweepOnceAsync(Ct)).Expired);
        Assert.Equal(6, await _parts.AvailableAsync("SKU-1", "web"));

        _parts.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, (await _parts.Sweeper.SweepOnceAsync(Ct)).Expired);

        var record = await _parts.State.GetAsync<ReservationRecord>(InventoryState.ReservationKey("order-1"), Ct);
        Assert.Equal(ReservationStatus.Expired, record.Value!.Status);
        var stock = await _parts.State.GetAsync<SkuStock>(InventoryState.SkuKey("SKU-1"), Ct);
        Assert.Empty(stock.Value!.Holds);
        Assert.Equal(10, await _parts.AvailableAsync("SKU-1", "web"));
        Assert.Equal(0, (await _parts.Sweeper.SweepOnceAsync(Ct)).Expired);
    }

    [Fact]
    public async Task Committed_reservation_is_never_expired()
    {
        await _parts.StockAsync("SKU-1", "wh-a", 10);
        await ReserveAsync("order-1", "SKU-1", 4, TimeSpan.FromMinutes(1));
        await _parts.Reservations.CommitAsync("order-1", "SO-1", Ct);

        _parts.Time.Advance(TimeSpan.FromHours(1));

        Assert.Equal(0, (await _parts.Sweeper.SweepOnceAsync(Ct)).Expired);
        Assert.Equal(6, await _parts.AvailableAsync("SKU-1", "web"));
    }

    [Fact]
    public async Task Commit_after_the_hold_expired_is_refused()
    {
        await _parts.StockAsync("SKU-1", "wh-a", 10);
        await ReserveAsync("order-1", "SKU-1", 4, TimeSpan.FromMinutes(1));
        _parts.Time.Advance(TimeSpan.FromMinutes(2));

        var error = await Assert.ThrowsAsync<InventoryException>(() => _parts.Reservations.CommitAsync("order-1", "SO-1", Ct));

        Assert.Equal(global::Grpc.Core.StatusCode.FailedPrecondition, error.Status);
    }

    [Fact]
    public async Task Applying_the_same_erp_snapshot_twice_announces_nothing_the_second_time()
    {
        var level = new ErpStockLevel("SKU-1", "wh-a", 10, 1, _parts.Time.GetUtcNow());

        Assert.Equal(1, await _parts.Ingest.ApplyAsync([level], Ct));
        Assert.Equal(0, await _parts.Ingest.ApplyAsync([level], Ct));
        // A change that leaves the store-facing value alone (on-hand and ERP reserved both up by one) announces nothing.
        Assert.Equal(0, await _parts.Ingest.ApplyAsync([level with { OnHand = 11, ErpReserved = 2, AsOf = level.AsOf.AddSeconds(1) }], Ct));
        Assert.Equal(1, await _parts.Ingest.ApplyAsync([level with { OnHand = 12, AsOf = level.AsOf.AddSeconds(2) }], Ct));
    }

    [Fact]
    public async Task Erp_poll_resumes_from_the_cursor_kept_in_state()
    {
        var feed = _parts.Erp;
        var poller = new ErpStockPoller(feed, _parts.Ingest, _parts.State, _parts.Rules, _parts.Time, Microsoft.Extensions.Logging.Abstractions.NullLogger<ErpStockPoller>.Instance);
        feed.Add("SKU-1", 5);
        feed.Add("SKU-2", 7);

        Assert.Equal(2, await poller.PollOnceAsync(Ct));
        _parts.Time.Advance(TimeSpan.FromSeconds(1));
        feed.Add("SKU-1", 3);
        Assert.Equal(1, await poller.PollOnceAsync(Ct));

        Assert.Equal([null, "2"], feed.CursorsSeen);
        Assert.Equal(3, await _parts.AvailableAsync("SKU-1", "web"));
        Assert.Equal(7, await _parts.AvailableAsync("SKU-2", "web"));
    }

    [Fact]
    public async Task Committed_hold_the_change_feed_never_covers_is_settled_by_a_direct_erp_read()
    {
        // The ERP reserved the order's units before our commit, and the Bin then never changes again.
        _parts.Erp.Add("SKU-1", 10);
        await _parts.StockAsync("SKU-1", "wh-a", 10);
        await ReserveAsync("order-1", "SKU-1", 4);
        _parts.Erp.Add("SKU-1", 10, erpReserved: 4);
        _parts.Time.Advance(TimeSpan.FromSeconds(1));
        await _parts.Reservations.CommitAsync("order-1", "SO-1", Ct);
        Assert.Equal(6, await _parts.AvailableAsync("SKU-1", "web"));

        _parts.Time.Advance(_parts.Options.CommitRefreshAfter);
        var result = await _parts.Sweeper.SweepOnceAsync(Ct);

        Assert.Equal(1, result.Refreshed);
        var stock = await _parts.State.GetAsync<SkuStock>(InventoryState.SkuKey("SKU-1"), Ct);
        Assert.Empty(stock.Value!.Holds);
        Assert.Equal(4, stock.Value.Warehouses["wh-a"].ErpReserved);
        Assert.Equal(6, await _parts.AvailableAsync("SKU-1", "web"));
    }
}
