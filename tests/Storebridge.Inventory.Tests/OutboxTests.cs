using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Storebridge.Contracts;
using Storebridge.Contracts.Erp.V1;
using Storebridge.Contracts.Inventory.V1;
using Storebridge.Inventory.Domain;
using Storebridge.Inventory.Reservations;
using Storebridge.Inventory.State;

namespace Storebridge.Inventory.Tests;

/// <summary>Events go into a SKU document's outbox in the same state transaction as the change (decision 0054).</summary>
public sealed class OutboxTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Events_of_a_change_whose_replica_died_before_publishing_are_published_after_restart()
    {
        using var folder = new RuntimeFolder();
        List<OutboxEvent> written;
        var first = await InventoryParts.StartAsync(folder, Ct);
        var time = first.Time;
        await using (first)
        {
            await first.StockAsync("SKU-1", "wh-a", 10);
            await first.Publisher.FlushAsync(Ct);

            // The replica writes the reservation, then dies before anything reaches pub/sub.
            first.Events.Withhold = true;
            await first.Reservations.ReserveAsync(new ReserveCommand("order-1", "web", [new RequestedLine("SKU-1", 3)], null), Ct);
            written = (await first.State.GetAsync<SkuStock>(InventoryState.SkuKey("SKU-1"), Ct)).Value!.Outbox!;
        }

        Assert.Equal([Topics.InventoryAvailabilityChanged, Topics.InventoryReserved], written.Select(e => e.Topic).Order(StringComparer.Ordinal));
        await using var restarted = await InventoryParts.StartAsync(folder, Ct, time: time);
        Assert.Equal(0, (await restarted.Sweeper.SweepOnceAsync(Ct)).Republished);

        // Once the events are older than OutboxRepublishAfter, the sweep publishes them with the ids they were written with.
        time.Advance(restarted.Options.OutboxRepublishAfter + TimeSpan.FromSeconds(1));
        var sweep = await restarted.Sweeper.SweepOnceAsync(Ct);

        Assert.Equal(2, sweep.Republished);
        Assert.Equal(written.Select(e => e.Id).Order(StringComparer.Ordinal), restarted.Events.Sent.Select(e => e.Id).Order(StringComparer.Ordinal));
        Assert.Null((await restarted.State.GetAsync<SkuStock>(InventoryState.SkuKey("SKU-1"), Ct)).Value!.Outbox);
        Assert.Equal(1, restarted.Queue.PendingFor("web"));
        Assert.Equal(0, (await restarted.Sweeper.SweepOnceAsync(Ct)).Republished);
    }

    [Fact]
    public async Task Published_events_leave_the_outbox_with_the_next_write_and_are_never_published_twice()
    {
        using var folder = new RuntimeFolder();
        await using var parts = await InventoryParts.StartAsync(folder, Ct);
        await parts.StockAsync("SKU-1", "wh-a", 10);
        await parts.Reservations.ReserveAsync(new ReserveCommand("order-1", "web", [new RequestedLine("SKU-1", 1)], null), Ct);
        await parts.Publisher.FlushAsync(Ct);

        await parts.Reservations.ReserveAsync(new ReserveCommand("order-2", "web", [new RequestedLine("SKU-1", 1)], null), Ct);
        var outbox = (await parts.State.GetAsync<SkuStock>(InventoryState.SkuKey("SKU-1"), Ct)).Value!.Outbox!;
        // Only the second change's events (9 -> 8 and order-2 reserved) are left; the first's were published and dropped.
        Assert.Equal(2, outbox.Count);
        Assert.Contains("order-2", Assert.Single(outbox, e => e.Topic == Topics.InventoryReserved).Data.GetRawText(), StringComparison.Ordinal);
        Assert.Equal("8", Assert.Single(outbox, e => e.Topic == Topics.InventoryAvailabilityChanged).Data.GetProperty("available").ToString());

        await parts.Publisher.FlushAsync(Ct);
        parts.Time.Advance(parts.Options.OutboxRepublishAfter + TimeSpan.FromSeconds(1));
        Assert.Equal(0, (await parts.Sweeper.SweepOnceAsync(Ct)).Republished);
        Assert.Null((await parts.State.GetAsync<SkuStock>(InventoryState.SkuKey("SKU-1"), Ct)).Value!.Outbox);
        var sent = parts.Events.Sent;
        Assert.Equal(sent.Count, sent.Select(e => e.Id).Distinct().Count());
        // Stock 10 announced, then 9 and 8, plus two reservations.
        Assert.Equal(5, sent.Count);
    }

    [Fact]
    public async Task The_service_host_publishes_through_its_runtime_so_the_next_write_drops_the_published_events()
    {
        using var folder = new RuntimeFolder();
        await using var inventory = await InventoryInstance.StartAsync(folder, Ct);
        var stock = new StockChanged { OccurredAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow) };
        stock.Levels.Add(new StockLevel { Sku = "SKU-1", WarehouseId = "wh-a", OnHand = 100 });
        await inventory.Dapr.PublishEventAsync(PubSub.Name, Topics.ErpStockChanged, JsonDocument.Parse(EventJson.Format(stock)).RootElement, cancellationToken: Ct);
        await Eventually.TrueAsync(async () => (await OutboxAsync(inventory)) is not null, "stock applied");
        await inventory.Client.ReserveAsync(new ReserveRequest { OrderRef = "order-1", StoreId = "web", Lines = { new ReserveLine { Sku = "SKU-1", Quantity = 1 } } }, cancellationToken: Ct);

        // Each later reserve rewrites the document; once order-1's events were published, that write drops them.
        var next = 2;
        await Eventually.TrueAsync(async () =>
        {
            await inventory.Client.ReserveAsync(new ReserveRequest { OrderRef = $"order-{next++}", StoreId = "web", Lines = { new ReserveLine { Sku = "SKU-1", Quantity = 1 } } }, cancellationToken: Ct);
            return !(await OutboxAsync(inventory))!.Contains("\"order-1\"", StringComparison.Ordinal);
        }, "order-1's reserved event published and dropped from the outbox");
    }

    /// <summary>The outbox of SKU-1's document as stored, "" when empty, null while there is no document.</summary>
    private static async Task<string?> OutboxAsync(InventoryInstance inventory)
    {
        var doc = await inventory.Dapr.GetStateAsync<JsonElement>("statestore", InventoryState.SkuKey("SKU-1"), cancellationToken: Ct);
        if (doc.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        return doc.TryGetProperty("outbox", out var outbox) ? outbox.GetRawText() : "";
    }
}
