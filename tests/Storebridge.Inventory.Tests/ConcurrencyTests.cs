using Grpc.Core;
using Google.Protobuf.WellKnownTypes;
using Storebridge.Contracts;
using Storebridge.Contracts.Erp.V1;
using Storebridge.Contracts.Inventory.V1;

namespace Storebridge.Inventory.Tests;

/// <summary>Two replicas of the service, each with its own runtime, over one shared state store.</summary>
public sealed class ConcurrencyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Parallel_reserves_for_the_last_units_across_two_instances_reserve_exactly_what_is_available()
    {
        using var folder = new RuntimeFolder();
        await using var first = await InventoryInstance.StartAsync(folder, Ct);
        await using var second = await InventoryInstance.StartAsync(folder, Ct);
        const int onHand = 25;
        var stock = new StockChanged { OccurredAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow) };
        stock.Levels.Add(new StockLevel { Sku = "HOT-1", WarehouseId = "wh-a", OnHand = onHand + 3, ErpReserved = 3 });
        await first.Dapr.PublishEventAsync(PubSub.Name, Topics.ErpStockChanged, System.Text.Json.JsonDocument.Parse(EventJson.Format(stock)).RootElement, cancellationToken: Ct);
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                var a = await second.Client.GetAvailabilityAsync(new GetAvailabilityRequest { StoreId = "web", Skus = { "HOT-1" } }, cancellationToken: Ct);
                return a.Items[0].Available == onHand;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                return false;
            }
        }, "stock seeded");

        // 80 shoppers, alternating between the replicas, each wanting one of the last 25 units.
        var calls = Enumerable.Range(0, 80).Select(async i =>
        {
            var client = i % 2 == 0 ? first.Client : second.Client;
            var request = new ReserveRequest { OrderRef = $"order-{i}", StoreId = "web", Lines = { new ReserveLine { Sku = "HOT-1", Quantity = 1 } } };
            var response = await client.ReserveAsync(request, cancellationToken: Ct);
            return response.Reserved ? response.Reservation.Lines.Sum(l => l.Quantity) : 0;
        }).ToList();
        var reserved = (await Task.WhenAll(calls)).Sum();

        var availability = await first.Client.GetAvailabilityAsync(new GetAvailabilityRequest { StoreId = "web", Skus = { "HOT-1" } }, cancellationToken: Ct);
        var row = Assert.Single(availability.Items[0].ByWarehouse);
        // Every unit was taken (demand far exceeds supply), none twice, and the holds on record match the answers.
        Assert.Equal(onHand, reserved);
        Assert.Equal(onHand, row.OpenReservations);
        Assert.Equal(0, availability.Items[0].Available);
    }
}
