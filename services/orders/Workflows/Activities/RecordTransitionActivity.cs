using Dapr.Workflow;
using Storebridge.Contracts;
using Storebridge.Contracts.Orders.V1;
using Storebridge.Orders.Domain;
using Storebridge.ServiceDefaults.Events;

namespace Storebridge.Orders.Workflows.Activities;

/// <summary>
/// Records an order's new state for <c>OrdersService</c> and publishes the transition's canonical event. The event id
/// is derived from the order, the event type and the workflow instance, so a retried activity republishes the same id.
/// </summary>
public sealed class RecordTransitionActivity(OrderStateStore orders, EventPublisher events) : WorkflowActivity<TransitionInput, bool>
{
    public override async Task<bool> RunAsync(WorkflowActivityContext context, TransitionInput input)
    {
        if (input.State != OrderState.Unspecified)
        {
            await orders.TransitionAsync(input.OrderRef, input.StoreId, input.OrderNumber, input.State, input.Reason,
                input.ErpSalesOrderId, input.OrderJson, CancellationToken.None);
        }

        if (input.EventType is not null && input.EventJson is not null)
        {
            var definition = EventCatalog.ForCloudEventType(input.EventType)
                ?? throw new InvalidOperationException($"{input.EventType} is not a canonical event.");
            var message = EventJson.Parse(definition, input.EventJson);
            await events.PublishAsync(message, $"{input.OrderRef}:{definition.Topic}:{context.InstanceId}");
        }

        return true;
    }
}
