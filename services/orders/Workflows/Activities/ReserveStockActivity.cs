using Dapr.Workflow;
using Storebridge.Contracts.Inventory.V1;

namespace Storebridge.Orders.Workflows.Activities;

/// <summary>Reserves every line of the order or none (inventory is idempotent on the order ref, so retries are safe).</summary>
public sealed class ReserveStockActivity(InventoryService.InventoryServiceClient inventory) : WorkflowActivity<ReserveInput, ReserveResult>
{
    public override async Task<ReserveResult> RunAsync(WorkflowActivityContext context, ReserveInput input)
    {
        var request = new ReserveRequest { OrderRef = input.OrderRef, StoreId = input.StoreId };
        request.Lines.AddRange(input.Lines.Select(l => new ReserveLine { Sku = l.Sku, Quantity = l.Quantity }));
        var answer = await inventory.ReserveAsync(request);
        if (!answer.Reserved)
        {
            var shortages = string.Join(", ", answer.Shortages.Select(s => $"{s.Sku} wanted {s.Requested}, available {s.Available}"));
            return new ReserveResult(false, [], shortages);
        }

        return new ReserveResult(true, answer.Reservation.Lines.Select(l => new ReservedLine(l.Sku, l.WarehouseId, l.Quantity)).ToList(), null);
    }
}
