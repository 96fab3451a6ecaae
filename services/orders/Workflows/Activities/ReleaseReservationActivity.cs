using Dapr.Workflow;
using Storebridge.Contracts.Inventory.V1;

namespace Storebridge.Orders.Workflows.Activities;

/// <summary>Compensation: gives the order's reserved stock back (releasing twice is harmless).</summary>
public sealed class ReleaseReservationActivity(InventoryService.InventoryServiceClient inventory) : WorkflowActivity<ReleaseInput, bool>
{
    public override async Task<bool> RunAsync(WorkflowActivityContext context, ReleaseInput input)
    {
        await inventory.ReleaseAsync(new ReleaseRequest { OrderRef = input.OrderRef, Reason = input.Reason });
        return true;
    }
}
