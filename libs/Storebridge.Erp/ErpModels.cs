using Storebridge.Contracts.Catalog.V1;
using Storebridge.Contracts.Common.V1;
using Storebridge.Contracts.Erp.V1;
using Storebridge.Contracts.Inventory.V1;

namespace Storebridge.Erp;

/// <summary>A sales order to create in the ERP. <see cref="ExternalRef"/> makes the create idempotent.</summary>
/// <param name="ExternalRef">Stable reference of the order outside the ERP ("{storeId}-{orderId}").</param>
/// <param name="CustomerId">ERP customer id.</param>
/// <param name="CurrencyCode">ISO 4217 currency of the order.</param>
/// <param name="DeliveryDate">Promised delivery date.</param>
/// <param name="Lines">Order lines; at least one.</param>
/// <param name="Taxes">Tax amounts as the store computed them, one per rate; empty when none.</param>
/// <param name="OrderDate">Order date; the ERP's today when null.</param>
/// <param name="PriceList">Price list; the customer's default when null.</param>
public sealed record SalesOrderRequest(
    string ExternalRef,
    string CustomerId,
    string CurrencyCode,
    DateOnly DeliveryDate,
    IReadOnlyList<SalesOrderLineRequest> Lines,
    IReadOnlyList<TaxCharge>? Taxes = null,
    DateOnly? OrderDate = null,
    string? PriceList = null);

/// <summary>One line of a <see cref="SalesOrderRequest"/>.</summary>
/// <param name="Sku">Item code of a sellable SKU (not a template).</param>
/// <param name="Quantity">Positive quantity.</param>
/// <param name="WarehouseId">Warehouse to deliver from.</param>
/// <param name="UnitPrice">Unit price excluding tax; the ERP's price list rate when null.</param>
public sealed record SalesOrderLineRequest(string Sku, int Quantity, string WarehouseId, decimal? UnitPrice = null);

/// <summary>A tax amount on a document.</summary>
/// <param name="Description">Label, e.g. the store's rate code "US-CA-STATE TAX-1".</param>
/// <param name="Amount">Amount in the document currency.</param>
public sealed record TaxCharge(string Description, decimal Amount);

/// <summary>Where a sales order stands in the ERP.</summary>
public enum SalesOrderStatus
{
    /// <summary>Saved, not submitted: not binding, reserves nothing.</summary>
    Draft,

    /// <summary>Submitted; nothing or part delivered and billed.</summary>
    Open,

    /// <summary>Delivered in full, not billed in full.</summary>
    ToBill,

    /// <summary>Billed, not delivered in full.</summary>
    ToDeliver,

    /// <summary>Delivered and billed.</summary>
    Completed,

    /// <summary>Closed early by the ERP's users.</summary>
    Closed,

    /// <summary>On hold in the ERP.</summary>
    OnHold,

    /// <summary>Cancelled.</summary>
    Cancelled,
}

/// <summary>A sales order as the ERP holds it.</summary>
/// <param name="Id">ERP document id.</param>
/// <param name="ExternalRef">The reference it was created with.</param>
/// <param name="CustomerId">ERP customer id.</param>
/// <param name="Status">Status.</param>
/// <param name="GrandTotal">Total including tax.</param>
/// <param name="PercentDelivered">0..100.</param>
/// <param name="PercentBilled">0..100.</param>
/// <param name="Lines">Lines with delivered quantities.</param>
/// <param name="ModifiedAt">Last change in the ERP.</param>
public sealed record SalesOrder(
    string Id,
    string ExternalRef,
    string CustomerId,
    SalesOrderStatus Status,
    Money GrandTotal,
    decimal PercentDelivered,
    decimal PercentBilled,
    IReadOnlyList<SalesOrderLine> Lines,
    DateTimeOffset ModifiedAt);

/// <summary>A line of a <see cref="SalesOrder"/>.</summary>
/// <param name="LineId">ERP row id.</param>
/// <param name="Sku">Item code.</param>
/// <param name="Quantity">Ordered quantity.</param>
/// <param name="DeliveredQuantity">Delivered so far.</param>
/// <param name="UnitPrice">Unit price excluding tax.</param>
/// <param name="WarehouseId">Warehouse.</param>
public sealed record SalesOrderLine(string LineId, string Sku, decimal Quantity, decimal DeliveredQuantity, Money UnitPrice, string WarehouseId);

/// <summary>The outcome of an idempotent create.</summary>
/// <typeparam name="T">The document type.</typeparam>
/// <param name="Document">The document, as the ERP holds it after the call.</param>
/// <param name="Created">False when a document with the same external reference already existed (an earlier attempt or call made it).</param>
public sealed record ErpWriteResult<T>(T Document, bool Created);

/// <summary>What cancelling a sales order did.</summary>
public enum SalesOrderCancelOutcome
{
    /// <summary>It was a draft and was deleted (drafts cannot be cancelled).</summary>
    DraftDeleted,

    /// <summary>It was submitted and is now cancelled (its reservations released).</summary>
    Cancelled,

    /// <summary>It was already cancelled.</summary>
    AlreadyCancelled,

    /// <summary>No such order.</summary>
    NotFound,
}

/// <summary>A customer with its credit position (businesses; null credit for consumers without a limit).</summary>
/// <param name="Customer">The canonical customer.</param>
/// <param name="Credit">Credit limit and exposure, or null when the customer has no limit.</param>
public sealed record CustomerAccount(Customer Customer, CreditStatus? Credit);

/// <summary>A customer's credit position.</summary>
/// <param name="Limit">Credit limit.</param>
/// <param name="Exposure">Unpaid invoices plus the unbilled part of open sales orders.</param>
/// <param name="CurrencyCode">Currency of limit and exposure.</param>
/// <param name="BypassCheck">The ERP does not enforce the limit on sales orders for this customer.</param>
public sealed record CreditStatus(decimal Limit, decimal Exposure, string CurrencyCode, bool BypassCheck)
{
    /// <summary>Credit still available (may be negative when over the limit).</summary>
    public decimal Available => Limit - Exposure;

    /// <summary>Whether an order of <paramref name="amount"/> fits the limit, as the ERP will judge it on submit.</summary>
    public bool Allows(decimal amount) => BypassCheck || Exposure + amount <= Limit;
}

/// <summary>A page of a change feed.</summary>
/// <typeparam name="T">What changed.</typeparam>
/// <param name="Changes">Changes in the order they happened.</param>
/// <param name="Cursor">Opaque position to pass to the next call; store it after processing <paramref name="Changes"/>.</param>
/// <param name="HasMore">True when more changes are waiting (call again right away).</param>
public sealed record ErpChanges<T>(IReadOnlyList<T> Changes, string Cursor, bool HasMore);

/// <summary>Which prices to read.</summary>
/// <param name="PriceList">Price list name.</param>
/// <param name="Skus">SKUs; all SKUs of the list when null.</param>
/// <param name="CustomerId">When set, the customer's own prices replace list prices where they exist.</param>
/// <param name="On">Only prices valid on this day; all when null.</param>
public sealed record PriceQuery(string PriceList, IReadOnlyCollection<string>? Skus = null, string? CustomerId = null, DateOnly? On = null);

/// <summary>Shorthands for the canonical types the system API returns.</summary>
public static class ErpTypes
{
    /// <summary>A canonical money value.</summary>
    public static Money Money(decimal amount, string currencyCode) => new()
    {
        CurrencyCode = currencyCode,
        Amount = amount.ToString("0.00##", System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The events a change feed page maps to: one <see cref="StockChanged"/> per page.</summary>
    public static StockChanged ToEvent(this ErpChanges<StockLevel> page, DateTimeOffset occurredAt) => new()
    {
        Levels = { page.Changes },
        Cursor = page.Cursor,
        OccurredAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(occurredAt),
    };
}
