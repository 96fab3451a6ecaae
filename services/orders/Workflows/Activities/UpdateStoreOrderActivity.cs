using Dapr.Workflow;
using Storebridge.WooCommerce;

namespace Storebridge.Orders.Workflows.Activities;

/// <summary>
/// Writes a status and/or a note to the store order. A note already on the order is not added again, so a retried
/// activity leaves one note.
/// </summary>
public sealed class UpdateStoreOrderActivity(IWooCommerceClientFactory stores) : WorkflowActivity<StoreUpdateInput, bool>
{
    public override async Task<bool> RunAsync(WorkflowActivityContext context, StoreUpdateInput input)
    {
        var client = stores.GetClient(input.StoreId);
        var orderId = long.Parse(input.StoreOrderId, System.Globalization.CultureInfo.InvariantCulture);
        if (input.Note is not null)
        {
            var notes = await client.ListOrderNotesAsync(orderId);
            if (!notes.Any(n => n.Note == input.Note))
            {
                await client.AddOrderNoteAsync(orderId, input.Note);
            }
        }

        if (input.Status is not null)
        {
            await client.UpdateOrderStatusAsync(orderId, input.Status);
        }

        return true;
    }
}
