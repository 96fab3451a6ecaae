using Storebridge.Contracts.Orders.V1;
using Storebridge.Orders.Domain;
using Storebridge.Orders.Grpc;
using Storebridge.Testing;

namespace Storebridge.Orders.Tests;

/// <summary>The per-state order indexes on the local runtime: concurrent workflows must never lose or duplicate an entry.</summary>
public sealed class OrderStateStoreTests : IAsyncLifetime
{
    private readonly TestResources _resources = new();
    private DaprApp<OrdersGrpc> _orders = null!;
    private OrderStateStore _store = null!;

    public async ValueTask InitializeAsync()
    {
        _orders = await DaprApp<OrdersGrpc>.StartAsync("orders", _resources, OrdersSettings.Minimal());
        _store = new OrderStateStore(_orders.Dapr, TimeProvider.System);
    }

    public async ValueTask DisposeAsync()
    {
        await _orders.DisposeAsync();
        _resources.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task Move(string orderRef, OrderState to, string? reason = null) =>
        _store.TransitionAsync(orderRef, "s1", orderRef, to, reason, null, null, Ct);

    [Fact]
    public async Task Concurrent_transitions_of_many_orders_leave_each_listed_once_in_its_current_state()
    {
        var refs = Enumerable.Range(1, 160).Select(i => $"s1-{i}").ToList();

        // Every order walks its own path at the same time as all the others, as workflows do.
        await Parallel.ForEachAsync(refs, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = Ct }, async (orderRef, _) =>
        {
            await Move(orderRef, OrderState.Received);
            await Move(orderRef, OrderState.Reserving);
            await Move(orderRef, OrderState.AwaitingErpAck);
            if (int.Parse(orderRef[3..], System.Globalization.CultureInfo.InvariantCulture) % 2 == 0)
            {
                await Move(orderRef, OrderState.OnHold, "stock-short: test");
            }
        });

        var onHold = await _store.ListAsync(OrderState.OnHold, Ct);
        var awaiting = await _store.ListAsync(OrderState.AwaitingErpAck, Ct);
        Assert.Equal(refs.Where((_, i) => (i + 1) % 2 == 0).Order(), onHold.Order());
        Assert.Equal(refs.Where((_, i) => (i + 1) % 2 == 1).Order(), awaiting.Order());
        Assert.Empty(await _store.ListAsync(OrderState.Received, Ct));
        Assert.Empty(await _store.ListAsync(OrderState.Reserving, Ct));

        var record = await _store.GetAsync("s1-2", Ct);
        Assert.Equal(OrderState.OnHold, record!.State);
        Assert.Equal([OrderState.Received, OrderState.Reserving, OrderState.AwaitingErpAck, OrderState.OnHold], record.History.Select(h => h.To));
    }

    [Fact]
    public async Task A_repeated_transition_is_recorded_and_listed_once()
    {
        await Move("s1-7", OrderState.Received);
        await Move("s1-7", OrderState.Reserving);
        await Move("s1-7", OrderState.Reserving);

        Assert.Equal(["s1-7"], await _store.ListAsync(OrderState.Reserving, Ct));
        Assert.Equal(2, (await _store.GetAsync("s1-7", Ct))!.History.Count);
    }

    [Fact]
    public async Task Finished_orders_stay_listed_up_to_the_capacity_of_their_shard_newest_first()
    {
        // Orders that all fall into one shard, one more than it lists once finished.
        var sameShard = Enumerable.Range(1, 5000).Select(i => $"s1-{i}")
            .Where(r => OrderStateStore.Shard(r) == 3)
            .Take(OrderStateStore.FinishedIndexCapacityPerShard + 1)
            .ToList();
        Assert.Equal(OrderStateStore.FinishedIndexCapacityPerShard + 1, sameShard.Count);

        foreach (var orderRef in sameShard)
        {
            await Move(orderRef, OrderState.Completed);
        }

        var listed = await _store.ListAsync(OrderState.Completed, Ct);
        Assert.Equal(OrderStateStore.FinishedIndexCapacityPerShard, listed.Count);
        Assert.Equal(sameShard[^1], listed[0]);
        Assert.DoesNotContain(sameShard[0], listed);
        // Dropped from the list, not forgotten.
        Assert.Equal(OrderState.Completed, (await _store.GetAsync(sameShard[0], Ct))!.State);
    }
}
