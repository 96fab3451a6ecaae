using Storebridge.Contracts.Orders.V1;

namespace Storebridge.Orders.Workflows;

// Workflow and activity payloads are JSON-serialised by the Dapr SDK and kept in workflow history: plain records,
// canonical orders as protobuf JSON strings. Renaming a field changes running instances' history — add, don't rename.

/// <summary>
/// Input of <see cref="OrderToCashWorkflow"/>: the canonical order as protobuf JSON and the deadlines in force when it
/// started (workflow code cannot read settings: it must replay identically, so they travel in its history).
/// </summary>
public sealed record OrderWorkflowInput(string OrderJson, TimeSpan PaymentTimeout, TimeSpan ShipmentTimeout);

/// <summary>A newer version of the store order, raised into the running workflow.</summary>
public sealed record StoreOrderVersion(string OrderJson);

/// <summary>How an order's workflow ended.</summary>
public sealed record OrderOutcome(OrderState State, string? Reason, string? ErpSalesOrderId);

/// <summary>Records a transition in orders' state and publishes its canonical event (when it has one).</summary>
public sealed record TransitionInput(
    string OrderRef,
    string StoreId,
    string OrderNumber,
    OrderState State,
    string? Reason,
    string? ErpSalesOrderId,
    string? OrderJson,
    string? EventType,
    string? EventJson);

/// <summary>Asks which ERP account the order is booked to.</summary>
public sealed record CustomerInput(string OrderJson);

/// <summary>The ERP customer id, or why none could be found.</summary>
public sealed record CustomerResolution(string? ErpCustomerId, string? Problem);

/// <summary>Asks the catalog service whether a B2B customer's credit covers the order.</summary>
public sealed record CreditCheckInput(string OrderJson, string ErpCustomerId);

public sealed record CreditCheckResult(bool Approved, string? Reason);

/// <summary>A SKU and quantity of an order.</summary>
public sealed record OrderLineQuantity(string Sku, int Quantity);

public sealed record ReserveInput(string OrderRef, string StoreId, IReadOnlyList<OrderLineQuantity> Lines);

/// <summary>A reserved quantity and the warehouse it comes from.</summary>
public sealed record ReservedLine(string Sku, string WarehouseId, int Quantity);

public sealed record ReserveResult(bool Reserved, IReadOnlyList<ReservedLine> Lines, string? Shortages);

public sealed record ErpOrderInput(string OrderJson, IReadOnlyList<ReservedLine> Lines, string ErpCustomerId);

/// <summary>The ERP sales order, or the ERP's own words for why it refused the order (validation, credit).</summary>
public sealed record ErpOrderResult(bool Succeeded, string? SalesOrderId, string? ErrorMessage);

public sealed record CommitInput(string OrderRef, string SalesOrderId);

public sealed record ReleaseInput(string OrderRef, string Reason);

public sealed record CancelErpOrderInput(string SalesOrderId);

/// <summary>Settle the money of a paid order that was cancelled.</summary>
public sealed record RefundInput(string OrderRef, string StoreId, string StoreOrderId, string Reason);

/// <summary>What became of the customer's money; the amount is a decimal string in the order's currency.</summary>
public sealed record RefundResult(CancellationRefund Outcome, string Amount, string CurrencyCode);

/// <summary>A status and/or a note for the store order; either may be null.</summary>
public sealed record StoreUpdateInput(string StoreId, string StoreOrderId, string? Status, string? Note);

/// <summary>Shipment details raised into the workflow from <c>erp.shipment-created</c>, as protobuf JSON.</summary>
public sealed record ShipmentSignal(string ShipmentJson);

/// <summary>Names of the external events the workflow waits for.</summary>
public static class OrderWorkflowEvents
{
    /// <summary>A newer version of the store order (paid, cancelled, address changed); payload <see cref="StoreOrderVersion"/>.</summary>
    public const string StoreOrderUpdated = "store-order-updated";

    /// <summary>The ERP shipped the order; payload <see cref="ShipmentSignal"/>.</summary>
    public const string ErpShipment = "erp-shipment";
}
