using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Storebridge.Contracts;
using Storebridge.Contracts.Erp.V1;
using Storebridge.Contracts.Inventory.V1;
using Storebridge.Inventory.State;

namespace Storebridge.Inventory.Tests;

/// <summary>The gRPC API on the real host, with the local Dapr runtime underneath.</summary>
public sealed class ReservationGrpcTests : IAsyncLifetime
{
    private readonly RuntimeFolder _folder = new();
    private InventoryInstance _inventory = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _inventory = await InventoryInstance.StartAsync(_folder, Ct);

    public async ValueTask DisposeAsync()
    {
        await _inventory.DisposeAsync();
        _folder.Dispose();
    }

    /// <summary>Sends an erp.stock-changed event through the runtime and waits until the service has applied it.</summary>
    private async Task StockAsync(string sku, string warehouse, long onHand, long erpReserved = 0, DateTimeOffset? asOf = null, string? expectStore = "web", long? expectAvailable = null)
    {
        var message = new StockChanged { OccurredAt = Timestamp.FromDateTimeOffset(asOf ?? DateTimeOffset.UtcNow) };
        message.Levels.Add(new StockLevel { Sku = sku, WarehouseId = warehouse, OnHand = onHand, ErpReserved = erpReserved });
        await PublishErpAsync(message);
        if (expectStore is not null && expectAvailable is not null)
        {
            await Eventually.TrueAsync(async () => await TryAvailableAsync(sku, expectStore) == expectAvailable, $"{sku} available {expectAvailable} in {expectStore}");
        }
        else
        {
            await Eventually.TrueAsync(async () => await TryAvailableAsync(sku, "web") is not null, $"{sku} known");
        }
    }

    private Task PublishErpAsync(StockChanged message, string? id = null)
    {
        var metadata = new Dictionary<string, string> { ["cloudevent.type"] = StockChanged.Descriptor.FullName };
        if (id is not null)
        {
            metadata["cloudevent.id"] = id;
        }

        return _inventory.Dapr.PublishEventAsync(PubSub.Name, Topics.ErpStockChanged,
            System.Text.Json.JsonDocument.Parse(EventJson.Format(message)).RootElement, metadata, Ct);
    }

    private async Task<long?> TryAvailableAsync(string sku, string store)
    {
        try
        {
            return await AvailableAsync(sku, store);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<long> AvailableAsync(string sku, string store)
    {
        var response = await _inventory.Client.GetAvailabilityAsync(new GetAvailabilityRequest { StoreId = store, Skus = { sku } }, cancellationToken: Ct);
        return Assert.Single(response.Items).Available;
    }

    private static ReserveRequest Reserve(string orderRef, string store, params (string Sku, int Quantity)[] lines)
    {
        var request = new ReserveRequest { OrderRef = orderRef, StoreId = store };
        request.Lines.AddRange(lines.Select(l => new ReserveLine { Sku = l.Sku, Quantity = l.Quantity }));
        return request;
    }

    [Fact]
    public async Task Reserve_holds_stock_and_GetAvailability_answers_from_state()
    {
        await StockAsync("SKU-1", "wh-a", 10, erpReserved: 2, expectAvailable: 8);

        var response = await _inventory.Client.ReserveAsync(Reserve("order-1", "web", ("SKU-1", 3)), cancellationToken: Ct);

        Assert.True(response.Reserved);
        Assert.Equal(ReservationStatus.Held, response.Reservation.Status);
        var line = Assert.Single(response.Reservation.Lines);
        Assert.Equal(("SKU-1", "wh-a", 3), (line.Sku, line.WarehouseId, line.Quantity));
        var availability = await _inventory.Client.GetAvailabilityAsync(new GetAvailabilityRequest { StoreId = "web", Skus = { "SKU-1" } }, cancellationToken: Ct);
        var item = Assert.Single(availability.Items);
        Assert.Equal(5, item.Available);
        var row = Assert.Single(item.ByWarehouse);
        Assert.Equal((10L, 2L, 3L, 5L), (row.OnHand, row.ErpReserved, row.OpenReservations, row.Available));
    }

    [Fact]
    public async Task Repeated_reserve_for_an_order_returns_the_first_reservation_and_holds_once()
    {
        await StockAsync("SKU-1", "wh-a", 10, expectAvailable: 10);

        var first = await _inventory.Client.ReserveAsync(Reserve("order-1", "web", ("SKU-1", 4)), cancellationToken: Ct);
        var again = await _inventory.Client.ReserveAsync(Reserve("order-1", "web", ("SKU-1", 4)), cancellationToken: Ct);

        Assert.True(again.Reserved);
        Assert.Equal(first.Reservation, again.Reservation);
        Assert.Equal(6, await AvailableAsync("SKU-1", "web"));
    }

    [Fact]
    public async Task Same_order_reference_with_different_lines_is_refused()
    {
        await StockAsync("SKU-1", "wh-a", 10, expectAvailable: 10);
        await _inventory.Client.ReserveAsync(Reserve("order-1", "web", ("SKU-1", 4)), cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<RpcException>(() => _inventory.Client.ReserveAsync(Reserve("order-1", "web", ("SKU-1", 5)), cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        Assert.Equal(6, await AvailableAsync("SKU-1", "web"));
    }

    [Fact]
    public async Task Reserve_with_one_short_line_holds_nothing_and_reports_the_shortage()
    {
        await StockAsync("SKU-1", "wh-a", 10, expectAvailable: 10);
        await StockAsync("SKU-2", "wh-b", 2, expectAvailable: 2);

        var response = await _inventory.Client.ReserveAsync(Reserve("order-1", "web", ("SKU-1", 5), ("SKU-2", 3)), cancellationToken: Ct);

        Assert.False(response.Reserved);
        var shortage = Assert.Single(response.Shortages);
        Assert.Equal(("SKU-2", 3, 2L), (shortage.Sku, shortage.Requested, shortage.Available));
        Assert.Equal(10, await AvailableAsync("SKU-1", "web"));
        Assert.Equal(2, await AvailableAsync("SKU-2", "web"));
    }

    [Fact]
    public async Task Reserve_spills_over_to_the_next_routed_warehouse()
    {
        await StockAsync("SKU-1", "wh-a", 2, expectAvailable: 2);
        await StockAsync("SKU-1", "wh-b", 5, expectAvailable: 7);

        var response = await _inventory.Client.ReserveAsync(Reserve("order-1", "web", ("SKU-1", 4)), cancellationToken: Ct);

        Assert.Equal([("wh-a", 2), ("wh-b", 2)], response.Reservation.Lines.Select(l => (l.WarehouseId, l.Quantity)).OrderBy(l => l.WarehouseId));
        Assert.Equal(3, await AvailableAsync("SKU-1", "outlet"));
    }

    [Fact]
    public async Task Unknown_sku_is_NotFound_with_resource_details_and_nothing_is_held()
    {
        await StockAsync("SKU-1", "wh-a", 10, expectAvailable: 10);

        var error = await Assert.ThrowsAsync<RpcException>(() => _inventory.Client.ReserveAsync(Reserve("order-1", "web", ("SKU-1", 1), ("NOPE", 1)), cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        var resource = Assert.Single(error.GetRpcStatus()!.GetDetail<ResourceInfo>() is { } r ? [r] : Array.Empty<ResourceInfo>());
        Assert.Equal(("sku", "NOPE"), (resource.ResourceType, resource.ResourceName));
        Assert.Equal(10, await AvailableAsync("SKU-1", "web"));
        var release = await Assert.ThrowsAsync<RpcException>(() => _inventory.Client.ReleaseAsync(new ReleaseRequest { OrderRef = "order-1" }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, release.StatusCode);
    }

    [Fact]
    public async Task Zero_and_negative_quantities_are_InvalidArgument_with_field_violations()
    {
        await StockAsync("SKU-1", "wh-a", 10, expectAvailable: 10);

        var error = await Assert.ThrowsAsync<RpcException>(() => _inventory.Client.ReserveAsync(Reserve("order-1", "web", ("SKU-1", 2), ("SKU-1", 0), ("SKU-1", -3)), cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var badRequest = error.GetRpcStatus()!.GetDetail<BadRequest>();
        Assert.Equal(["lines[1].quantity", "lines[2].quantity"], badRequest.FieldViolations.Select(v => v.Field));
        Assert.Equal(10, await AvailableAsync("SKU-1", "web"));
    }

    [Fact]
    public async Task Reservation_for_a_store_that_does_not_exist_is_NotFound()
    {
        await StockAsync("SKU-1", "wh-a", 10, expectAvailable: 10);

        var error = await Assert.ThrowsAsync<RpcException>(() => _inventory.Client.ReserveAsync(Reserve("order-1", "atlantis", ("SKU-1", 1)), cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal(("store", "atlantis"), error.GetRpcStatus()!.GetDetail<ResourceInfo>() is { } r ? (r.ResourceType, r.ResourceName) : default);
        Assert.Equal(10, await AvailableAsync("SKU-1", "web"));
    }

    [Fact]
    public async Task Release_gives_the_stock_back_and_releasing_twice_is_harmless()
    {
        await StockAsync("SKU-1", "wh-a", 10, expectAvailable: 10);
        await _inventory.Client.ReserveAsync(Reserve("order-1", "web", ("SKU-1", 4)), cancellationToken: Ct);

        var released = await _inventory.Client.ReleaseAsync(new ReleaseRequest { OrderRef = "order-1", Reason = "cancelled" }, cancellationToken: Ct);
        var again = await _inventory.Client.ReleaseAsync(new ReleaseRequest { OrderRef = "order-1", Reason = "cancelled" }, cancellationToken: Ct);

        Assert.Equal(ReservationStatus.Released, released.Reservation.Status);
        Assert.Equal(released.Reservation, again.Reservation);
        Assert.Equal(10, await AvailableAsync("SKU-1", "web"));
        var commit = await Assert.ThrowsAsync<RpcException>(() => _inventory.Client.CommitAsync(new CommitRequest { OrderRef = "order-1" }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, commit.StatusCode);
    }

    [Fact]
    public async Task Committed_reservation_is_not_double_counted_once_the_erp_reports_it()
    {
        await StockAsync("SKU-1", "wh-a", 10, expectAvailable: 10);
        await _inventory.Client.ReserveAsync(Reserve("order-1", "web", ("SKU-1", 4)), cancellationToken: Ct);

        var committed = await _inventory.Client.CommitAsync(new CommitRequest { OrderRef = "order-1", ErpSalesOrderId = "SO-0001" }, cancellationToken: Ct);
        Assert.Equal((ReservationStatus.Committed, "SO-0001"), (committed.Reservation.Status, committed.Reservation.ErpSalesOrderId));
        Assert.Equal(6, await AvailableAsync("SKU-1", "web"));

        // The ERP now reserves the 4 units itself; a snapshot taken after the commit replaces our hold: still 6, not 2.
        var snapshot = new StockChanged { OccurredAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddSeconds(5)) };
        snapshot.Levels.Add(new StockLevel { Sku = "SKU-1", WarehouseId = "wh-a", OnHand = 10, ErpReserved = 4 });
        await PublishErpAsync(snapshot);
        StockLevel row = null!;
        await Eventually.TrueAsync(async () =>
        {
            var availability = await _inventory.Client.GetAvailabilityAsync(new GetAvailabilityRequest { StoreId = "web", Skus = { "SKU-1" } }, cancellationToken: Ct);
            row = Assert.Single(availability.Items[0].ByWarehouse);
            return row.ErpReserved == 4;
        }, "ERP snapshot applied");
        Assert.Equal((0L, 6L), (row.OpenReservations, row.Available));
    }

    [Fact]
    public async Task Erp_event_redelivered_with_the_same_id_is_applied_once()
    {
        await StockAsync("SKU-1", "wh-a", 10, expectAvailable: 10);
        var message = new StockChanged { OccurredAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddSeconds(1)) };
        message.Levels.Add(new StockLevel { Sku = "SKU-1", WarehouseId = "wh-a", OnHand = 7 });
        // "+" is escaped in the envelope the runtime delivers (\u002B); the handler must still see the id as published.
        await PublishErpAsync(message, id: "erp-evt+1");
        await Eventually.TrueAsync(async () => await AvailableAsync("SKU-1", "web") == 7, "first delivery applied");
        await Eventually.TrueAsync(async () => (await _inventory.Dapr.GetStateAsync<System.Text.Json.JsonElement>(
            "statestore", InventoryState.ErpEventKey("erp-evt+1"), cancellationToken: Ct)).ValueKind == System.Text.Json.JsonValueKind.Object,
            "the delivery's CloudEvent id recorded");

        // A later real change, then the old event again with its original id: the redelivery must not roll stock back.
        var later = new StockChanged { OccurredAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddSeconds(2)) };
        later.Levels.Add(new StockLevel { Sku = "SKU-1", WarehouseId = "wh-a", OnHand = 9 });
        await PublishErpAsync(later, id: "erp-evt-2");
        await Eventually.TrueAsync(async () => await AvailableAsync("SKU-1", "web") == 9, "second event applied");
        await PublishErpAsync(message, id: "erp-evt+1");
        await Eventually.TrueAsync(() => _inventory.Sidecar.PendingDeliveries == 0, "redelivery handled");

        Assert.Equal(9, await AvailableAsync("SKU-1", "web"));
    }

    [Fact]
    public async Task GetAvailability_for_an_unknown_sku_or_store_is_NotFound()
    {
        await StockAsync("SKU-1", "wh-a", 10, expectAvailable: 10);

        var sku = await Assert.ThrowsAsync<RpcException>(() => _inventory.Client.GetAvailabilityAsync(new GetAvailabilityRequest { StoreId = "web", Skus = { "SKU-1", "NOPE" } }, cancellationToken: Ct).ResponseAsync);
        var store = await Assert.ThrowsAsync<RpcException>(() => _inventory.Client.GetAvailabilityAsync(new GetAvailabilityRequest { StoreId = "nowhere", Skus = { "SKU-1" } }, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, sku.StatusCode);
        Assert.Equal(StatusCode.NotFound, store.StatusCode);
    }

    [Fact]
    public async Task Stock_event_from_anyone_but_the_runtime_is_refused()
    {
        using var http = new HttpClient { DefaultRequestVersion = System.Net.HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var message = new StockChanged();
        message.Levels.Add(new StockLevel { Sku = "SKU-X", WarehouseId = "wh-a", OnHand = 99 });
        using var content = new StringContent(EventJson.Format(message), System.Text.Encoding.UTF8, "application/json");

        var response = await http.PostAsync(new Uri(_inventory.Host.AppAddress, "/events/erp-stock-changed"), content, Ct);

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Null(await TryAvailableAsync("SKU-X", "web"));
    }
}
