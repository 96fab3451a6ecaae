using Dapr.Workflow;
using Google.Protobuf.WellKnownTypes;
using Storebridge.Contracts;
using Storebridge.Contracts.Common.V1;
using Storebridge.Contracts.Orders.V1;
using Storebridge.Orders.Workflows;
using Storebridge.Orders.Workflows.Activities;

namespace Storebridge.Orders.Tests.Workflows;

public class OrderToCashWorkflowTests
{
    private static readonly DateTime Start = new(2026, 11, 27, 9, 0, 0, DateTimeKind.Utc);

    private static Order NewOrder(StoreOrderStatus status = StoreOrderStatus.Processing, bool paid = true, CustomerKind kind = CustomerKind.Consumer, int minute = 0)
    {
        var order = new Order
        {
            OrderRef = "s1-100",
            StoreId = "s1",
            StoreOrderId = "100",
            OrderNumber = "100",
            StoreStatus = status,
            CurrencyCode = "USD",
            Customer = new Customer { Kind = kind, ErpCustomerId = kind == CustomerKind.Business ? "CUST-00001" : "" },
            Totals = new OrderTotals { Total = Money.From(59.80m, "USD") },
            Payment = new PaymentInfo { Paid = paid, Method = "bacs" },
            ModifiedAt = Timestamp.FromDateTime(Start.AddMinutes(minute)),
        };
        order.Lines.Add(new OrderLine { LineId = "1", Sku = "TSH-1001-M-BLK", Quantity = 2, Total = Money.From(49.90m, "USD") });
        return order;
    }

    private static OrderWorkflowInput Input(Order order) => new(EventJson.Format(order), TimeSpan.FromDays(3), TimeSpan.FromDays(14));

    private static StoreOrderVersion Version(Order order) => new(EventJson.Format(order));

    private static ShipmentSignal Shipped() => new(EventJson.Format(new Shipment { ShipmentId = "DN-1", Carrier = "UPS", TrackingNumber = "1Z999" }));

    /// <summary>Every activity answers as on a good day; tests override the ones their story is about.</summary>
    private static ScriptedWorkflowContext HappyContext() => new ScriptedWorkflowContext("s1-100", Start)
        .OnActivity(nameof(RecordTransitionActivity), _ => true)
        .OnActivity(nameof(ResolveCustomerActivity), _ => new CustomerResolution("CUST-00021", null))
        .OnActivity(nameof(CheckCreditActivity), _ => new CreditCheckResult(true, null))
        .OnActivity(nameof(ReserveStockActivity), _ => new ReserveResult(true, [new ReservedLine("TSH-1001-M-BLK", "Newark DC - SBD", 2)], null))
        .OnActivity(nameof(CreateErpSalesOrderActivity), _ => new ErpOrderResult(true, "SAL-ORD-0001", null))
        .OnActivity(nameof(CommitReservationActivity), _ => true)
        .OnActivity(nameof(ReleaseReservationActivity), _ => true)
        .OnActivity(nameof(CancelErpSalesOrderActivity), _ => "Cancelled")
        .OnActivity(nameof(UpdateStoreOrderActivity), _ => true)
        .OnActivity(nameof(RefundCancelledOrderActivity), _ => new RefundResult(CancellationRefund.Refunded, "59.80", "USD"));

    private static async Task<OrderOutcome> RunAsync(ScriptedWorkflowContext context, Order order) =>
        await new OrderToCashWorkflow().RunAsync(context, Input(order)).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

    private static List<OrderState> States(ScriptedWorkflowContext context) =>
        context.Inputs<TransitionInput>(nameof(RecordTransitionActivity)).Where(t => t.State != OrderState.Unspecified).Select(t => t.State).ToList();

    private static List<string> Events(ScriptedWorkflowContext context) =>
        context.Inputs<TransitionInput>(nameof(RecordTransitionActivity)).Where(t => t.EventType is not null).Select(t => t.EventType!.Split('.')[^1]).ToList();

    private static int CallsTo(ScriptedWorkflowContext context, string activity) => context.Calls.Count(c => c.Name == activity);

    [Fact]
    public async Task A_paid_consumer_order_is_reserved_confirmed_shipped_and_completed()
    {
        var context = HappyContext().Raise(OrderWorkflowEvents.ErpShipment, Shipped());

        var outcome = await RunAsync(context, NewOrder());

        Assert.Equal(new OrderOutcome(OrderState.Completed, null, "SAL-ORD-0001"), outcome);
        Assert.Equal([OrderState.Received, OrderState.Reserving, OrderState.AwaitingErpAck, OrderState.Confirmed,
            OrderState.AwaitingShipment, OrderState.Shipped, OrderState.Completed], States(context));
        Assert.Equal(["OrderReceived", "OrderConfirmed", "OrderPaid", "OrderShipped", "OrderCompleted"], Events(context));
        Assert.Equal(0, CallsTo(context, nameof(CheckCreditActivity)));
        Assert.Equal(0, CallsTo(context, nameof(ReleaseReservationActivity)));
        var completed = context.Inputs<StoreUpdateInput>(nameof(UpdateStoreOrderActivity)).Last();
        Assert.Equal("completed", completed.Status);
        Assert.Contains("1Z999", completed.Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_erp_order_is_created_from_the_reserved_warehouse_and_committed_with_its_id()
    {
        var context = HappyContext().Raise(OrderWorkflowEvents.ErpShipment, Shipped());

        await RunAsync(context, NewOrder());

        var erp = Assert.Single(context.Inputs<ErpOrderInput>(nameof(CreateErpSalesOrderActivity)));
        Assert.Equal("Newark DC - SBD", Assert.Single(erp.Lines).WarehouseId);
        Assert.Equal(new CommitInput("s1-100", "SAL-ORD-0001"), Assert.Single(context.Inputs<CommitInput>(nameof(CommitReservationActivity))));
    }

    [Fact]
    public async Task An_unpaid_order_waits_for_the_store_to_report_payment()
    {
        var paidLater = NewOrder(StoreOrderStatus.Processing, paid: true, minute: 5);
        var context = HappyContext()
            .Raise(OrderWorkflowEvents.StoreOrderUpdated, Version(NewOrder(StoreOrderStatus.OnHold, paid: false, minute: 2)))
            .Raise(OrderWorkflowEvents.StoreOrderUpdated, Version(paidLater))
            .Raise(OrderWorkflowEvents.ErpShipment, Shipped());

        var outcome = await RunAsync(context, NewOrder(StoreOrderStatus.Pending, paid: false));

        Assert.Equal(OrderState.Completed, outcome.State);
        Assert.Contains(OrderState.AwaitingPayment, States(context));
    }

    [Fact]
    public async Task No_payment_before_the_deadline_puts_the_order_on_hold_and_gives_everything_back()
    {
        var context = HappyContext();

        var outcome = await RunAsync(context, NewOrder(StoreOrderStatus.Pending, paid: false));

        Assert.Equal(OrderState.OnHold, outcome.State);
        Assert.StartsWith("payment-timeout", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(1, CallsTo(context, nameof(CancelErpSalesOrderActivity)));
        Assert.Equal(1, CallsTo(context, nameof(ReleaseReservationActivity)));
    }

    [Fact]
    public async Task A_business_order_whose_credit_is_refused_goes_on_hold_before_reserving()
    {
        var context = HappyContext().OnActivity(nameof(CheckCreditActivity), _ => new CreditCheckResult(false, "Credit limit 10,000.00 exceeded."));

        var outcome = await RunAsync(context, NewOrder(kind: CustomerKind.Business));

        Assert.Equal(OrderState.OnHold, outcome.State);
        Assert.Equal(0, CallsTo(context, nameof(ReserveStockActivity)));
        var hold = context.Inputs<StoreUpdateInput>(nameof(UpdateStoreOrderActivity)).Last();
        Assert.Equal("on-hold", hold.Status);
        Assert.Contains("Credit limit 10,000.00 exceeded.", hold.Note, StringComparison.Ordinal);
        Assert.Equal("OrderOnHold", Events(context)[^1]);
    }

    [Fact]
    public async Task A_business_order_without_an_erp_account_goes_on_hold_before_anything_is_held()
    {
        var context = HappyContext().OnActivity(nameof(ResolveCustomerActivity), _ => new CustomerResolution(null, "No ERP customer has the e-mail address a@b.c."));

        var outcome = await RunAsync(context, NewOrder(kind: CustomerKind.Business));

        Assert.Equal(OrderState.OnHold, outcome.State);
        Assert.StartsWith("customer-unlinked", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(0, CallsTo(context, nameof(ReserveStockActivity)));
        Assert.Equal(0, CallsTo(context, nameof(CheckCreditActivity)));
    }

    [Fact]
    public async Task The_resolved_erp_account_is_the_one_credit_is_checked_for_and_the_order_is_booked_to()
    {
        var context = HappyContext()
            .OnActivity(nameof(ResolveCustomerActivity), _ => new CustomerResolution("CUST-00007", null))
            .Raise(OrderWorkflowEvents.ErpShipment, Shipped());

        await RunAsync(context, NewOrder(kind: CustomerKind.Business));

        Assert.Equal("CUST-00007", Assert.Single(context.Inputs<CreditCheckInput>(nameof(CheckCreditActivity))).ErpCustomerId);
        Assert.Equal("CUST-00007", Assert.Single(context.Inputs<ErpOrderInput>(nameof(CreateErpSalesOrderActivity))).ErpCustomerId);
    }

    [Fact]
    public async Task A_business_order_with_credit_continues_like_any_other()
    {
        var context = HappyContext().Raise(OrderWorkflowEvents.ErpShipment, Shipped());

        var outcome = await RunAsync(context, NewOrder(kind: CustomerKind.Business));

        Assert.Equal(OrderState.Completed, outcome.State);
        Assert.Equal(1, CallsTo(context, nameof(CheckCreditActivity)));
        Assert.Contains(OrderState.CheckingCredit, States(context));
    }

    [Fact]
    public async Task Short_stock_puts_the_order_on_hold_without_touching_the_erp()
    {
        var context = HappyContext().OnActivity(nameof(ReserveStockActivity), _ => new ReserveResult(false, [], "TSH-1001-M-BLK wanted 2, available 1"));

        var outcome = await RunAsync(context, NewOrder());

        Assert.Equal(OrderState.OnHold, outcome.State);
        Assert.StartsWith("stock-short", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(0, CallsTo(context, nameof(CreateErpSalesOrderActivity)));
        // All-or-nothing: nothing was held, so there is nothing to release.
        Assert.Equal(0, CallsTo(context, nameof(ReleaseReservationActivity)));
    }

    [Fact]
    public async Task An_erp_validation_error_releases_the_stock_and_tells_the_store_the_erps_words()
    {
        const string erpMessage = "Item TSH-1001-M-BLK is disabled.";
        var context = HappyContext().OnActivity(nameof(CreateErpSalesOrderActivity), _ => new ErpOrderResult(false, null, erpMessage));

        var outcome = await RunAsync(context, NewOrder());

        Assert.Equal(OrderState.OnHold, outcome.State);
        Assert.StartsWith("erp-validation", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(1, CallsTo(context, nameof(ReleaseReservationActivity)));
        Assert.Equal(0, CallsTo(context, nameof(CancelErpSalesOrderActivity)));
        Assert.Equal(0, CallsTo(context, nameof(CommitReservationActivity)));
        Assert.Contains(erpMessage, context.Inputs<StoreUpdateInput>(nameof(UpdateStoreOrderActivity)).Last().Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_erp_that_stays_down_past_every_retry_fails_the_order_and_releases_its_stock()
    {
        var context = HappyContext().OnActivity(nameof(CreateErpSalesOrderActivity),
            _ => throw new WorkflowTaskFailedException("failed", new WorkflowTaskFailureDetails("ErpException", "The ERP is unavailable.", null)));

        var outcome = await RunAsync(context, NewOrder());

        Assert.Equal(OrderState.Failed, outcome.State);
        Assert.Equal(1, CallsTo(context, nameof(ReleaseReservationActivity)));
        Assert.Equal("OrderRejected", Events(context)[^1]);
    }

    [Fact]
    public async Task Cancelled_in_the_store_while_awaiting_payment_cancels_the_erp_order_and_releases_stock()
    {
        var context = HappyContext().Raise(OrderWorkflowEvents.StoreOrderUpdated, Version(NewOrder(StoreOrderStatus.Cancelled, paid: false, minute: 3)));

        var outcome = await RunAsync(context, NewOrder(StoreOrderStatus.Pending, paid: false));

        Assert.Equal(OrderState.Cancelled, outcome.State);
        Assert.Equal(new CancelErpOrderInput("SAL-ORD-0001"), Assert.Single(context.Inputs<CancelErpOrderInput>(nameof(CancelErpSalesOrderActivity))));
        Assert.Equal(1, CallsTo(context, nameof(ReleaseReservationActivity)));
        var cancelled = context.Inputs<TransitionInput>(nameof(RecordTransitionActivity)).Last();
        Assert.True(EventJson.Parse<OrderCancelled>(cancelled.EventJson!).ErpOrderCancelled);
    }

    [Fact]
    public async Task Cancelled_in_the_store_before_shipment_compensates_instead_of_completing()
    {
        var context = HappyContext()
            .Raise(OrderWorkflowEvents.StoreOrderUpdated, Version(NewOrder(StoreOrderStatus.Cancelled, minute: 4)))
            .Raise(OrderWorkflowEvents.ErpShipment, Shipped());

        var outcome = await RunAsync(context, NewOrder());

        Assert.Equal(OrderState.Cancelled, outcome.State);
        Assert.Equal(1, CallsTo(context, nameof(CancelErpSalesOrderActivity)));
        Assert.DoesNotContain(OrderState.Shipped, States(context));
    }

    [Fact]
    public async Task An_older_store_version_arriving_late_does_not_undo_a_newer_one()
    {
        var context = HappyContext()
            .Raise(OrderWorkflowEvents.StoreOrderUpdated, Version(NewOrder(StoreOrderStatus.Processing, paid: true, minute: 10)))
            .Raise(OrderWorkflowEvents.StoreOrderUpdated, Version(NewOrder(StoreOrderStatus.Cancelled, paid: false, minute: 1)))
            .Raise(OrderWorkflowEvents.ErpShipment, Shipped());

        var outcome = await RunAsync(context, NewOrder(StoreOrderStatus.Pending, paid: false));

        Assert.Equal(OrderState.Completed, outcome.State);
    }

    [Fact]
    public async Task An_order_already_cancelled_in_the_store_reserves_nothing()
    {
        var context = HappyContext();

        var outcome = await RunAsync(context, NewOrder(StoreOrderStatus.Cancelled, paid: false));

        Assert.Equal(OrderState.Cancelled, outcome.State);
        Assert.Equal(0, CallsTo(context, nameof(ReserveStockActivity)));
        Assert.Equal(0, CallsTo(context, nameof(ReleaseReservationActivity)));
    }

    [Fact]
    public async Task No_shipment_before_the_deadline_puts_the_order_on_hold()
    {
        var context = HappyContext();

        var outcome = await RunAsync(context, NewOrder());

        Assert.Equal(OrderState.OnHold, outcome.State);
        Assert.StartsWith("shipment-timeout", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_paid_order_cancelled_before_shipment_gets_its_money_back_and_says_so()
    {
        var context = HappyContext()
            .Raise(OrderWorkflowEvents.StoreOrderUpdated, Version(NewOrder(StoreOrderStatus.Cancelled, paid: true, minute: 4)));

        var outcome = await RunAsync(context, NewOrder());

        Assert.Equal(OrderState.Cancelled, outcome.State);
        Assert.Equal(new RefundInput("s1-100", "s1", "100", "cancelled in the store before shipment"),
            Assert.Single(context.Inputs<RefundInput>(nameof(RefundCancelledOrderActivity))));
        var cancelled = EventJson.Parse<OrderCancelled>(context.Inputs<TransitionInput>(nameof(RecordTransitionActivity)).Last().EventJson!);
        Assert.Equal(CancellationRefund.Refunded, cancelled.Refund);
        Assert.Equal("59.80", cancelled.RefundAmount.Amount);
    }

    [Fact]
    public async Task An_unpaid_order_cancelled_in_the_store_owes_no_refund()
    {
        var context = HappyContext();

        await RunAsync(context, NewOrder(StoreOrderStatus.Cancelled, paid: false));

        Assert.Equal(0, CallsTo(context, nameof(RefundCancelledOrderActivity)));
        var cancelled = EventJson.Parse<OrderCancelled>(context.Inputs<TransitionInput>(nameof(RecordTransitionActivity)).Last().EventJson!);
        Assert.Equal(CancellationRefund.NotPaid, cancelled.Refund);
    }
}
