namespace Storebridge.Contracts;

/// <summary>The pub/sub component every service publishes to and subscribes from.</summary>
public static class PubSub
{
    /// <summary>Name of the Dapr pub/sub component (components/*/pubsub.yaml).</summary>
    public const string Name = "pubsub";
}

/// <summary>
/// Every topic Storebridge publishes: <c>&lt;domain&gt;.&lt;event&gt;</c>. The schema version travels in the
/// CloudEvent type (<see cref="EventCatalog"/>), so a topic name never changes with a new version.
/// </summary>
public static class Topics
{
    public const string OrdersReceived = "orders.received";
    public const string OrdersConfirmed = "orders.confirmed";
    public const string OrdersOnHold = "orders.on-hold";
    public const string OrdersRejected = "orders.rejected";
    public const string OrdersPaid = "orders.paid";
    public const string OrdersShipped = "orders.shipped";
    public const string OrdersCompleted = "orders.completed";
    public const string OrdersCancelled = "orders.cancelled";

    public const string InventoryAvailabilityChanged = "inventory.availability-changed";
    public const string InventoryReserved = "inventory.reserved";
    public const string InventoryReservationCommitted = "inventory.reservation-committed";
    public const string InventoryReservationReleased = "inventory.reservation-released";
    public const string InventoryReservationExpired = "inventory.reservation-expired";

    public const string CatalogItemPublished = "catalog.item-published";
    public const string CatalogPriceChanged = "catalog.price-changed";
    public const string CatalogPublishFailed = "catalog.publish-failed";

    public const string FinanceInvoicePosted = "finance.invoice-posted";
    public const string FinancePaymentRecorded = "finance.payment-recorded";
    public const string FinanceCreditNotePosted = "finance.credit-note-posted";
    public const string FinanceTotalsMismatch = "finance.totals-mismatch";

    public const string ReturnsRequested = "returns.requested";
    public const string ReturnsAuthorised = "returns.authorised";
    public const string ReturnsReceived = "returns.received";
    public const string ReturnsInspected = "returns.inspected";
    public const string ReturnsRefunded = "returns.refunded";
    public const string ReturnsRejected = "returns.rejected";

    public const string ErpStockChanged = "erp.stock-changed";
    public const string ErpShipmentCreated = "erp.shipment-created";
    public const string ErpItemChanged = "erp.item-changed";
    public const string ErpCustomerChanged = "erp.customer-changed";

    /// <summary>Topics a service publishes to itself (durable hand-offs), not canonical events for subscribers.</summary>
    public static class Internal
    {
        /// <summary>A store order delivery is in the orders inbox and waits to start or signal its workflow.</summary>
        public const string OrdersIntakeAccepted = "orders.internal.intake-accepted";
    }
}
