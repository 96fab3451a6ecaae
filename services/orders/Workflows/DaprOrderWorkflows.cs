using Dapr.Workflow;
using Microsoft.Extensions.Options;
using Storebridge.Contracts;
using Storebridge.Contracts.Orders.V1;

namespace Storebridge.Orders.Workflows;

/// <summary>Starts or signals order workflows through the Dapr workflow client.</summary>
public sealed class DaprOrderWorkflows(DaprWorkflowClient workflows, IOptionsMonitor<OrdersOptions> options) : IOrderWorkflows
{
    public async Task<DispatchResult> StartOrSignalAsync(Order order, bool dispatchedBefore, CancellationToken cancellationToken)
    {
        var json = EventJson.Format(order);
        // An order seen before is never started again: a finished instance must not be re-created by a late version.
        if (dispatchedBefore)
        {
            await workflows.RaiseEventAsync(order.OrderRef, OrderWorkflowEvents.StoreOrderUpdated, new StoreOrderVersion(json), cancellationToken);
            return DispatchResult.Signalled;
        }

        try
        {
            await workflows.ScheduleNewWorkflowAsync(nameof(OrderToCashWorkflow), order.OrderRef, Input(json));
            return DispatchResult.Started;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            if (await workflows.GetWorkflowStateAsync(order.OrderRef, false, cancellationToken) is not { Exists: true })
            {
                throw;
            }

            // Already started (another replica, or a hand-off redelivered before it was marked): this version is an update.
            await workflows.RaiseEventAsync(order.OrderRef, OrderWorkflowEvents.StoreOrderUpdated, new StoreOrderVersion(json), cancellationToken);
            return DispatchResult.Signalled;
        }
    }

    /// <summary>Starts a finished order's workflow again from its latest version (operator replay).</summary>
    public async Task ReplayAsync(string orderRef, string orderJson, CancellationToken cancellationToken)
    {
        if (await workflows.GetWorkflowStateAsync(orderRef, false, cancellationToken) is { Exists: true })
        {
            await workflows.PurgeInstanceAsync(orderRef, cancellationToken);
        }

        await workflows.ScheduleNewWorkflowAsync(nameof(OrderToCashWorkflow), orderRef, Input(orderJson));
    }

    private OrderWorkflowInput Input(string json) =>
        new(json, options.CurrentValue.PaymentTimeout, options.CurrentValue.ShipmentTimeout);
}
