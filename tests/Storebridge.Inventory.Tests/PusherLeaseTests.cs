using Microsoft.Extensions.Time.Testing;
using Storebridge.Inventory.Publishing;

namespace Storebridge.Inventory.Tests;

/// <summary>
/// Two replicas pushing to one store: only the holder of <c>pusher-lease|web</c> pushes, the other hands its SKUs over
/// through state, and the lease moves when its holder stops or dies. Both replicas and their runtimes share one fake
/// clock, so lease renewal and the state TTL run on the time the test moves.
/// </summary>
public sealed class PusherLeaseTests : IAsyncLifetime
{
    private readonly RuntimeFolder _folder = new();
    private readonly FakeTimeProvider _time = InventoryParts.NewClock();
    private InventoryParts _first = null!;
    private InventoryParts _second = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _first = await InventoryParts.StartAsync(_folder, Ct, time: _time, runtimeOnSameClock: true);
        _second = await InventoryParts.StartAsync(_folder, Ct, time: _time, runtimeOnSameClock: true);
        await _first.StorePublisher.StartAsync(Ct);
        await _second.StorePublisher.StartAsync(Ct);

        // The first replica changes a SKU first, so it acquires the lease and pushes.
        await _first.StockAsync("SKU-1", "wh-a", 10);
        await Eventually.TrueAsync(() => _first.Writer.Shown("SKU-1") == 10, "first replica pushes SKU-1");
    }

    public async ValueTask DisposeAsync()
    {
        await _second.DisposeAsync();
        await _first.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task Only_the_holder_pushes_and_changes_made_on_the_other_replica_reach_the_store_through_it()
    {
        await _second.StockAsync("SKU-1", "wh-a", 7);
        await _second.StockAsync("SKU-2", "wh-a", 4);

        await AdvanceUntilAsync(() => _first.Writer.Shown("SKU-1") == 7 && _first.Writer.Shown("SKU-2") == 4, "the holder pushes what the other replica changed");
        Assert.Empty(_second.Writer.Calls);
        Assert.Equal(0, _second.Queue.PendingFor("web"));
        Assert.Null((await _first.State.GetAsync<PusherHandoffDocument>(StorePusherLease.HandoffKey("web"), Ct)).Value);
    }

    [Fact]
    public async Task The_lease_is_renewed_while_its_holder_lives()
    {
        var acquired = (await _first.State.GetAsync<PusherLeaseDocument>(StorePusherLease.LeaseKey("web"), Ct)).Value!;
        var lease = _first.Options.PusherLease;

        // The other replica has something to push, so it tries to acquire the lease every check interval.
        await _second.StockAsync("SKU-2", "wh-a", 4);
        var until = _time.GetUtcNow() + (lease * 3);
        await AdvanceUntilAsync(() => _time.GetUtcNow() >= until, "three lease durations");

        var current = (await _first.State.GetAsync<PusherLeaseDocument>(StorePusherLease.LeaseKey("web"), Ct)).Value!;
        Assert.Equal(acquired.Holder, current.Holder);
        Assert.True(current.RenewedAt >= until - lease, $"last renewed at {current.RenewedAt:O}, {until - current.RenewedAt} before the end");
        await Eventually.TrueAsync(() => _first.Writer.Shown("SKU-2") == 4, "the holder pushes SKU-2");
        Assert.Empty(_second.Writer.Calls);
    }

    [Fact]
    public async Task When_the_holder_stops_the_other_replica_takes_over_and_pushes_what_it_had_queued()
    {
        // The clock stands still, so the holder does not look for hand-offs before it stops.
        await _second.StockAsync("SKU-2", "wh-a", 4);
        await Eventually.TrueAsync(async () => (await _second.State.GetAsync<PusherHandoffDocument>(StorePusherLease.HandoffKey("web"), Ct)).Value is not null, "SKU-2 handed off");
        await _first.StorePublisher.StopAsync(Ct);
        Assert.Null((await _second.State.GetAsync<PusherLeaseDocument>(StorePusherLease.LeaseKey("web"), Ct)).Value);

        await AdvanceUntilAsync(() => _second.Writer.Shown("SKU-2") == 4, "the second replica pushes SKU-2");
        await _second.StockAsync("SKU-1", "wh-a", 3);
        await AdvanceUntilAsync(() => _second.Writer.Shown("SKU-1") == 3, "the second replica pushes its own change");
        Assert.Null(_first.Writer.Shown("SKU-2"));
        Assert.Equal(10, _first.Writer.Shown("SKU-1"));
    }

    [Fact]
    public async Task A_holder_that_dies_is_replaced_once_its_lease_expires()
    {
        var holder = (await _first.State.GetAsync<PusherLeaseDocument>(StorePusherLease.LeaseKey("web"), Ct)).Value!;
        var lease = _second.Options.PusherLease;
        await _second.StockAsync("SKU-2", "wh-a", 4);
        await Eventually.TrueAsync(async () => (await _second.State.GetAsync<PusherHandoffDocument>(StorePusherLease.HandoffKey("web"), Ct)).Value is not null, "SKU-2 handed off");

        // The holder's runtime goes away: it can neither renew nor give the lease up.
        await _first.Sidecar.DisposeAsync();
        var almostExpired = holder.RenewedAt + lease - TimeSpan.FromMilliseconds(500);
        await AdvanceUntilAsync(() => _time.GetUtcNow() >= almostExpired, "the lease almost expired");
        Assert.Equal(holder.Holder, (await _second.State.GetAsync<PusherLeaseDocument>(StorePusherLease.LeaseKey("web"), Ct)).Value?.Holder);
        Assert.Empty(_second.Writer.Calls);

        // Within the lease plus one check interval the other replica holds it and pushes what it had handed off.
        var takeoverBy = holder.RenewedAt + lease + _second.Options.PusherCheckInterval + TimeSpan.FromMilliseconds(500);
        await AdvanceUntilAsync(() => _time.GetUtcNow() >= takeoverBy, "one check interval after expiry");
        await Eventually.TrueAsync(() => _second.Writer.Shown("SKU-2") == 4, "the second replica pushes SKU-2 without more time passing");
        Assert.Null(_first.Writer.Shown("SKU-2"));
    }

    [Fact]
    public async Task A_push_still_running_when_the_lease_ends_is_cancelled()
    {
        await _second.StockAsync("SKU-3", "wh-a", 1);
        _first.Writer.Gate = new SemaphoreSlim(0);
        await _first.StockAsync("SKU-2", "wh-a", 4);
        await Eventually.TrueAsync(() => _first.Queue.PendingFor("web") == 0, "the holder's push of SKU-2 is under way");

        // The holder can no longer renew; its push must not outlive its lease.
        await _first.Sidecar.DisposeAsync();
        await AdvanceUntilAsync(() => _first.Queue.PendingFor("web") == 1, "the push is cancelled and SKU-2 queued again");
        await AdvanceUntilAsync(() => _second.Writer.Shown("SKU-3") == 1, "the second replica takes over");

        _first.Writer.Gate.Release(100);
        Assert.DoesNotContain(_first.Writer.Calls, call => call.Any(push => push.Sku == "SKU-2"));
    }

    /// <summary>Moves the shared clock in small steps until the condition holds (loops wake on the fake clock).</summary>
    private Task AdvanceUntilAsync(Func<Task<bool>> condition, string what) =>
        Eventually.TrueAsync(async () =>
        {
            if (await condition())
            {
                return true;
            }

            _time.Advance(TimeSpan.FromMilliseconds(100));
            return false;
        }, what, timeoutSeconds: 30);

    private Task AdvanceUntilAsync(Func<bool> condition, string what) => AdvanceUntilAsync(() => Task.FromResult(condition()), what);
}
