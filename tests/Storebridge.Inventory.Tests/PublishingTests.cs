using Storebridge.Inventory.Reservations;

namespace Storebridge.Inventory.Tests;

/// <summary>Pushing availability to stores: coalescing, newest value wins, retries, full re-publish.</summary>
public sealed class PublishingTests : IAsyncLifetime
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
    public async Task Many_changes_to_one_sku_reach_the_store_as_its_newest_value()
    {
        _parts.Writer.Gate = new SemaphoreSlim(0);
        await _parts.StorePublisher.StartAsync(Ct);
        await _parts.StockAsync("SKU-1", "wh-a", 10);
        for (var i = 1; i <= 5; i++)
        {
            await _parts.Reservations.ReserveAsync(new ReserveCommand($"order-{i}", "web", [new RequestedLine("SKU-1", 1)], null), Ct);
        }

        _parts.Writer.Gate.Release(100);
        await Eventually.TrueAsync(() => _parts.Writer.Shown("SKU-1") == 5, "store shows 5");

        // Six changes, but the pusher was held back: they coalesce into very few calls, never one per change.
        Assert.True(_parts.Writer.Calls.Count <= 2, $"{_parts.Writer.Calls.Count} calls for six changes");
    }

    [Fact]
    public async Task A_failed_push_is_retried_with_the_current_value_not_the_one_that_failed()
    {
        _parts.Writer.FailNext(int.MaxValue);
        await _parts.StorePublisher.StartAsync(Ct);
        await _parts.StockAsync("SKU-1", "wh-a", 10);
        await Eventually.TrueAsync(() => _parts.Writer.Calls.Count >= 1, "first (failing) push of 10");

        await _parts.Reservations.ReserveAsync(new ReserveCommand("order-1", "web", [new RequestedLine("SKU-1", 3)], null), Ct);
        _parts.Writer.FailNext(0);

        await Eventually.TrueAsync(() => _parts.Writer.Shown("SKU-1") == 7, "store shows 7");
        // The value that failed (10) was never written later over the newer one: retries read the value again.
        Assert.All(_parts.Writer.Applied, push => Assert.Equal(7, push.Quantity));
    }

    [Fact]
    public async Task Pushes_are_split_into_batches_of_at_most_one_hundred()
    {
        _parts.Writer.Gate = new SemaphoreSlim(0);
        await _parts.StorePublisher.StartAsync(Ct);
        await _parts.Ingest.ApplyAsync([.. Enumerable.Range(0, 250).Select(i => new Domain.ErpStockLevel($"SKU-{i:D3}", "wh-a", i + 1, 0, _parts.Time.GetUtcNow()))], Ct);

        _parts.Writer.Gate.Release(1000);
        await Eventually.TrueAsync(() => _parts.Writer.Calls.Sum(c => c.Count) >= 250, "all 250 pushed");

        Assert.All(_parts.Writer.Calls, call => Assert.InRange(call.Count, 1, 100));
        Assert.Equal(3, _parts.Writer.Calls.Count);
        Assert.Equal(250, _parts.Writer.Shown("SKU-249"));
    }

    [Fact]
    public async Task Full_republish_pushes_every_known_sku_and_reports_progress()
    {
        await _parts.Ingest.ApplyAsync([.. Enumerable.Range(0, 30).Select(i => new Domain.ErpStockLevel($"SKU-{i:D2}", "wh-a", 5, 0, _parts.Time.GetUtcNow()))], Ct);
        await _parts.StorePublisher.StartAsync(Ct);
        await Eventually.TrueAsync(() => _parts.Writer.Calls.Sum(c => c.Count) >= 30, "initial push");
        var before = _parts.Writer.Calls.Count;

        var started = await _parts.Republish.StartAsync("web", Ct);
        Assert.Equal(30, started.Total);

        await Eventually.TrueAsync(() => _parts.Republish.Progress("web")!.Done, "re-publish done");
        Assert.Equal(30, _parts.Republish.Progress("web")!.Pushed);
        Assert.Equal(30, _parts.Writer.Calls.Skip(before).Sum(c => c.Count));
    }
}
