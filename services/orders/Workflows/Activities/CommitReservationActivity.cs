using Dapr.Workflow;
using Storebridge.Contracts.Inventory.V1;

namespace Storebridge.Orders.Workflows.Activities;

/// <summary>Tells inventory the ERP order now covers the reservation.</summary>
public sealed class CommitReservationActivity(InventoryService.InventoryServiceClient inventory) : WorkflowActivity<CommitInput, bool>
{
    public override async Task<bool> RunAsync(WorkflowActivityContext context, CommitInput input)
    {
        await inventory.CommitAsync(new CommitRequest { OrderRef = input.OrderRef, ErpSalesOrderId = input.SalesOrderId });
        return true;
    }
}
