using Dapr.Workflow;
using Storebridge.Contracts;
using Storebridge.Contracts.Orders.V1;
using Storebridge.Orders.Workflows.Activities;
using Storebridge.WooCommerce.Mapping;

namespace Storebridge.Orders.Workflows;

/// <summary>
/// Order-to-cash for one store order (ARCHITECTURE.md): instance id = order ref, so duplicates start nothing new.
/// Every step is an idempotent activity; every transition is recorded and published. Terminal failures compensate:
/// release stock, cancel the ERP order if one exists, tell the store, and leave the order listed as on hold or failed
/// for a person and a replay.
/// </summary>
public sealed partial class OrderToCashWorkflow : Workflow<OrderWorkflowInput, OrderOutcome>
{
    // Changing these policies changes the behaviour of running instances when they next replay.

    /// <summary>Services and the store: transient outages are retried for about two hours before the order fails.</summary>
    private static readonly WorkflowTaskOptions DependencyRetry = new(new WorkflowRetryPolicy(
        maxNumberOfAttempts: 130, firstRetryInterval: TimeSpan.FromSeconds(1), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(1)));

    /// <summary>The ERP: an outage delays orders (up to a day), it never drops them; lookups make each retry safe.</summary>
    private static readonly WorkflowTaskOptions ErpRetry = new(new WorkflowRetryPolicy(
        maxNumberOfAttempts: 1500, firstRetryInterval: TimeSpan.FromSeconds(1), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(1)));

    public override async Task<OrderOutcome> RunAsync(WorkflowContext context, OrderWorkflowInput input)
    {
        var logger = context.CreateReplaySafeLogger<OrderToCashWorkflow>();
        var saga = new Saga(context, EventJson.Parse<Order>(input.OrderJson), input);
        var received = new OrderReceived { Order = saga.Order, OccurredAt = saga.Now };
        if (saga.Order.StoreStatus is StoreOrderStatus.Cancelled or StoreOrderStatus.Failed or StoreOrderStatus.Trash)
        {
            await saga.RecordAsync(OrderState.Received, null, received);
            return await saga.CancelAsync($"store order is {saga.Order.StoreStatus}");
        }

        // Recording a state and the step it names run side by side (one workflow turn, not two); the next state is
        // only recorded once both are done, so an order's recorded history stays in order.

        // 1. Normalising happened at intake: only orders that map to the canonical model get here. The ERP account the
        //    order is booked to: the business's own, or the store's consumer account.
        var resolving = context.CallActivityAsync<CustomerResolution>(nameof(ResolveCustomerActivity), new CustomerInput(saga.OrderJson), ErpRetry);
        await saga.RecordAsync(OrderState.Received, null, received);
        var customer = await resolving;
        if (customer.ErpCustomerId is null)
        {
            return await saga.HoldAsync("customer-unlinked", customer.Problem ?? "No ERP customer for this order.");
        }

        // 2. B2B: price and credit decisions come from the catalog service (the ERP owns credit).
        if (saga.Order.Customer?.Kind == Contracts.Common.V1.CustomerKind.Business)
        {
            var checking = context.CallActivityAsync<CreditCheckResult>(nameof(CheckCreditActivity), new CreditCheckInput(saga.OrderJson, customer.ErpCustomerId), DependencyRetry);
            await saga.RecordAsync(OrderState.CheckingCredit, null, null);
            var credit = await checking;
            if (!credit.Approved)
            {
                return await saga.HoldAsync("credit-refused", credit.Reason ?? "Credit refused.");
            }
        }

        // 3. Reserve every line or none.
        var reserving = context.CallActivityAsync<ReserveResult>(nameof(ReserveStockActivity),
            new ReserveInput(saga.Order.OrderRef, saga.Order.StoreId, saga.Order.Lines.Select(l => new OrderLineQuantity(l.Sku, l.Quantity)).ToList()),
            DependencyRetry);
        await saga.RecordAsync(OrderState.Reserving, null, null);
        var reservation = await reserving;
        if (!reservation.Reserved)
        {
            return await saga.HoldAsync("stock-short", $"Not enough stock: {reservation.Shortages}");
        }

        saga.ReservationHeld = true;

        // 4. The ERP sales order, looked up by external reference first so a retry never makes a second one.
        var creating = context.CallActivityAsync<ErpOrderResult>(nameof(CreateErpSalesOrderActivity), new ErpOrderInput(saga.OrderJson, reservation.Lines, customer.ErpCustomerId), ErpRetry);
        await saga.RecordAsync(OrderState.AwaitingErpAck, null, null);
        ErpOrderResult erp;
        try
        {
            erp = await creating;
        }
        catch (WorkflowTaskFailedException ex)
        {
            LogStepFailed(logger, saga.Order.OrderRef, "ERP sales order", ex.FailureDetails.ErrorMessage);
            return await saga.FailAsync("erp-unavailable", $"The ERP did not accept the order: {ex.FailureDetails.ErrorMessage}");
        }

        if (!erp.Succeeded)
        {
            return await saga.HoldAsync("erp-validation", $"The ERP refused the order: {erp.ErrorMessage}");
        }

        saga.ErpSalesOrderId = erp.SalesOrderId;

        // 5. The ERP's own reservation now covers the stock: commit ours, confirm to everyone.
        await Task.WhenAll(
            context.CallActivityAsync(nameof(CommitReservationActivity), new CommitInput(saga.Order.OrderRef, erp.SalesOrderId!), DependencyRetry),
            saga.RecordAsync(OrderState.Confirmed, null, new OrderConfirmed { Order = saga.Order, ErpSalesOrderId = erp.SalesOrderId, OccurredAt = saga.Now }),
            saga.NoteAsync($"Storebridge: confirmed in the ERP as sales order {erp.SalesOrderId}."));

        // 6. Payment (unless the store already had it), then shipment — both with durable deadlines.
        if (!IsPaid(saga.Order))
        {
            await saga.RecordAsync(OrderState.AwaitingPayment, null, null);
            var paid = await WaitForStoreAsync(context, saga, IsPaid, context.CurrentUtcDateTime + saga.Options.PaymentTimeout);
            if (paid is WaitResult.Cancelled)
            {
                return await saga.CancelAsync("cancelled in the store while awaiting payment");
            }

            if (paid is WaitResult.TimedOut)
            {
                return await saga.HoldAsync("payment-timeout", $"No payment within {saga.Options.PaymentTimeout}.");
            }
        }

        await Task.WhenAll(
            saga.PublishAsync(new OrderPaid { OrderRef = saga.Order.OrderRef, Payment = saga.Order.Payment, OccurredAt = saga.Now }),
            saga.RecordAsync(OrderState.AwaitingShipment, null, null));

        var deadline = context.CurrentUtcDateTime + saga.Options.ShipmentTimeout;
        var shipmentWait = context.WaitForExternalEventAsync<ShipmentSignal>(OrderWorkflowEvents.ErpShipment, saga.Options.ShipmentTimeout);
        while (true)
        {
            var storeWait = context.WaitForExternalEventAsync<StoreOrderVersion>(OrderWorkflowEvents.StoreOrderUpdated, Remaining(context, deadline));
            var first = await Task.WhenAny(shipmentWait, storeWait);
            if (first == shipmentWait)
            {
                break;
            }

            if (storeWait.IsCanceled || storeWait.IsFaulted)
            {
                return await saga.HoldAsync("shipment-timeout", $"The ERP has not shipped within {saga.Options.ShipmentTimeout}.");
            }

            saga.Update(storeWait.Result);
            if (IsCancelled(saga.Order))
            {
                return await saga.CancelAsync("cancelled in the store before shipment");
            }
        }

        if (shipmentWait.IsCanceled || shipmentWait.IsFaulted)
        {
            return await saga.HoldAsync("shipment-timeout", $"The ERP has not shipped within {saga.Options.ShipmentTimeout}.");
        }

        // 7. Tracking back to the store, completed; finance invoices from orders.shipped.
        var shipment = EventJson.Parse<Shipment>(shipmentWait.Result.ShipmentJson);
        await context.CallActivityAsync(nameof(UpdateStoreOrderActivity), new StoreUpdateInput(saga.Order.StoreId, saga.Order.StoreOrderId,
            WooOrderMapper.ToWooStatus(StoreOrderStatus.Completed),
            $"Storebridge: shipped by {shipment.Carrier}, tracking {shipment.TrackingNumber}."), DependencyRetry);
        await saga.RecordAsync(OrderState.Shipped, null,
            new OrderShipped { Order = saga.Order, ErpSalesOrderId = saga.ErpSalesOrderId, Shipment = shipment, OccurredAt = saga.Now });
        await saga.RecordAsync(OrderState.Completed, null, new OrderCompleted { OrderRef = saga.Order.OrderRef, OccurredAt = saga.Now });
        return new OrderOutcome(OrderState.Completed, null, saga.ErpSalesOrderId);
    }

    private enum WaitResult
    {
        Satisfied,
        Cancelled,
        TimedOut,
    }

    // Store updates arrive in any order and may repeat; each is applied and the condition checked again.
    private static async Task<WaitResult> WaitForStoreAsync(WorkflowContext context, Saga saga, Func<Order, bool> condition, DateTime deadline)
    {
        while (true)
        {
            StoreOrderVersion update;
            try
            {
                update = await context.WaitForExternalEventAsync<StoreOrderVersion>(OrderWorkflowEvents.StoreOrderUpdated, Remaining(context, deadline));
            }
            catch (TaskCanceledException)
            {
                return WaitResult.TimedOut;
            }

            saga.Update(update);
            if (IsCancelled(saga.Order))
            {
                return WaitResult.Cancelled;
            }

            if (condition(saga.Order))
            {
                return WaitResult.Satisfied;
            }
        }
    }

    private static TimeSpan Remaining(WorkflowContext context, DateTime deadline)
    {
        var left = deadline - context.CurrentUtcDateTime;
        return left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1);
    }

    private static bool IsPaid(Order order) =>
        order.Payment?.Paid == true || order.StoreStatus is StoreOrderStatus.Processing or StoreOrderStatus.Completed;

    private static bool IsCancelled(Order order) =>
        order.StoreStatus is StoreOrderStatus.Cancelled or StoreOrderStatus.Refunded or StoreOrderStatus.Failed or StoreOrderStatus.Trash;

    /// <summary>The running order and the compensations it owes; all its I/O goes through activities.</summary>
    private sealed class Saga(WorkflowContext context, Order order, OrderWorkflowInput input)
    {
        // Formatted once per version: every replay of every turn re-runs the code that builds activity inputs.
        private string? _orderJson = input.OrderJson;

        // The order version the record was last given: a transition carries the order only when it changed, which
        // keeps workflow history (replayed on every turn) from holding a copy of the order per step.
        private string? _recordedOrderJson;

        public Order Order { get; private set; } = order;
        public string OrderJson => _orderJson ??= EventJson.Format(Order);
        public bool ReservationHeld { get; set; }
        public string? ErpSalesOrderId { get; set; }
        public OrderWorkflowInput Options { get; } = input;
        public Google.Protobuf.WellKnownTypes.Timestamp Now => Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(context.CurrentUtcDateTime);

        public void Update(StoreOrderVersion update)
        {
            var newer = EventJson.Parse<Order>(update.OrderJson);
            // Versions can arrive out of order; an older one never overwrites a newer.
            if (Order.ModifiedAt is null || newer.ModifiedAt is null || newer.ModifiedAt.ToDateTime() >= Order.ModifiedAt.ToDateTime())
            {
                Order = newer;
                _orderJson = update.OrderJson;
            }
        }

        public Task RecordAsync(OrderState state, string? reason, Google.Protobuf.IMessage? evt)
        {
            var changed = OrderJson == _recordedOrderJson ? null : OrderJson;
            _recordedOrderJson = OrderJson;
            return context.CallActivityAsync(nameof(RecordTransitionActivity), new TransitionInput(
                Order.OrderRef, Order.StoreId, Order.OrderNumber, state, reason, ErpSalesOrderId, changed,
                evt?.Descriptor.FullName, evt is null ? null : EventJson.Format(evt)), DependencyRetry);
        }

        public Task PublishAsync(Google.Protobuf.IMessage evt) =>
            context.CallActivityAsync(nameof(RecordTransitionActivity), new TransitionInput(
                Order.OrderRef, Order.StoreId, Order.OrderNumber, OrderState.Unspecified, null, ErpSalesOrderId, null,
                evt.Descriptor.FullName, EventJson.Format(evt)), DependencyRetry);

        public Task NoteAsync(string note, string? status = null) =>
            context.CallActivityAsync(nameof(UpdateStoreOrderActivity), new StoreUpdateInput(Order.StoreId, Order.StoreOrderId, status, note), DependencyRetry);

        /// <summary>A person must decide: compensate, put the store order on hold with the reason, list it on hold.</summary>
        public async Task<OrderOutcome> HoldAsync(string reasonCode, string message)
        {
            await CompensateAsync(message);
            await NoteAsync($"Storebridge: on hold — {message}", WooOrderMapper.ToWooStatus(StoreOrderStatus.OnHold));
            await RecordAsync(OrderState.OnHold, $"{reasonCode}: {message}",
                new OrderOnHold { OrderRef = Order.OrderRef, ReasonCode = reasonCode, Message = message, OccurredAt = Now });
            return new OrderOutcome(OrderState.OnHold, $"{reasonCode}: {message}", ErpSalesOrderId);
        }

        /// <summary>A dependency stayed down past every retry: compensate and leave the order failed for a replay.</summary>
        public async Task<OrderOutcome> FailAsync(string reasonCode, string message)
        {
            await CompensateAsync(message);
            await NoteAsync($"Storebridge: could not process the order — {message}");
            await RecordAsync(OrderState.Failed, $"{reasonCode}: {message}",
                new OrderRejected { OrderRef = Order.OrderRef, ReasonCode = reasonCode, Message = message, OccurredAt = Now });
            return new OrderOutcome(OrderState.Failed, $"{reasonCode}: {message}", ErpSalesOrderId);
        }

        public async Task<OrderOutcome> CancelAsync(string reason)
        {
            var erpCancelled = ErpSalesOrderId is not null;
            await CompensateAsync(reason);
            var cancelled = new OrderCancelled { OrderRef = Order.OrderRef, Reason = reason, ErpOrderCancelled = erpCancelled, OccurredAt = Now };
            if (Order.Payment?.Paid == true)
            {
                // The customer paid: the money goes back (or is listed as owed), never silently kept.
                var refund = await context.CallActivityAsync<RefundResult>(nameof(RefundCancelledOrderActivity),
                    new RefundInput(Order.OrderRef, Order.StoreId, Order.StoreOrderId, reason), DependencyRetry);
                cancelled.Refund = refund.Outcome;
                cancelled.RefundAmount = Contracts.Common.V1.Money.Parse(refund.Amount, refund.CurrencyCode);
            }
            else
            {
                cancelled.Refund = CancellationRefund.NotPaid;
            }

            await RecordAsync(OrderState.Cancelled, reason, cancelled);
            return new OrderOutcome(OrderState.Cancelled, reason, ErpSalesOrderId);
        }

        // Idempotent undo steps, in reverse order of the steps they undo.
        private async Task CompensateAsync(string reason)
        {
            if (ErpSalesOrderId is not null)
            {
                await context.CallActivityAsync(nameof(CancelErpSalesOrderActivity), new CancelErpOrderInput(ErpSalesOrderId), ErpRetry);
            }

            if (ReservationHeld)
            {
                await context.CallActivityAsync(nameof(ReleaseReservationActivity), new ReleaseInput(Order.OrderRef, reason), DependencyRetry);
                ReservationHeld = false;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order {OrderRef}: {Step} failed after every retry: {Error}")]
    private static partial void LogStepFailed(ILogger logger, string orderRef, string step, string error);
}

