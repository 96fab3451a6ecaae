using Storebridge.Contracts.Catalog.V1;
using Storebridge.Contracts.Erp.V1;
using Storebridge.Contracts.Finance.V1;
using Storebridge.Contracts.Inventory.V1;

namespace Storebridge.Erp;

/// <summary>
/// The ERP as Storebridge services see it: canonical types in, canonical types out, no ERP vocabulary.
/// Every write carries an external reference and is looked up before it is created, so a retried or
/// duplicated call returns the existing document instead of making a second one. Failures surface as
/// <see cref="ErpException"/> with an <see cref="ErpErrorKind"/>; argument errors as <see cref="ArgumentException"/>.
/// </summary>
public interface IErpSystem
{
    /// <summary>Checks that the ERP answers and the credentials work.</summary>
    Task PingAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Items (with their variants and prices) changed after <paramref name="cursor"/>; null starts from the beginning.
    /// Prices include customer-specific ones (<c>CustomerId</c> set); filter them out before publishing list prices.
    /// </summary>
    Task<ErpChanges<Item>> GetItemChangesAsync(string? cursor, int maxItems = 50, CancellationToken cancellationToken = default);

    /// <summary>One item with variants and prices by SKU; a variant SKU returns its template item. Null when unknown.</summary>
    Task<Item?> GetItemAsync(string sku, CancellationToken cancellationToken = default);

    /// <summary>The effective price per SKU of a price list, the customer's own price where there is one.</summary>
    Task<IReadOnlyList<Price>> GetPricesAsync(PriceQuery query, CancellationToken cancellationToken = default);

    /// <summary>Stock levels (on hand and ERP-reserved per SKU and warehouse) changed after <paramref name="cursor"/>.</summary>
    Task<ErpChanges<StockLevel>> GetStockChangesAsync(string? cursor, int maxLevels = 500, CancellationToken cancellationToken = default);

    /// <summary>Current stock levels of some SKUs in every warehouse.</summary>
    Task<IReadOnlyList<StockLevel>> GetStockLevelsAsync(IReadOnlyCollection<string> skus, CancellationToken cancellationToken = default);

    /// <summary>A customer with credit limit and exposure; null when unknown.</summary>
    Task<CustomerAccount?> GetCustomerAsync(string customerId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The id of the enabled customer with this e-mail address, or null. How a store customer is linked to its ERP
    /// account when the store does not carry the ERP id; the oldest wins if the ERP holds duplicates.
    /// </summary>
    Task<string?> FindCustomerIdByEmailAsync(string email, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates and submits a sales order, idempotently by <see cref="SalesOrderRequest.ExternalRef"/>. A refused
    /// submit (credit limit) throws <see cref="ErpErrorKind.Validation"/> and leaves a draft (its id in
    /// <see cref="ErpException.DocumentId"/>) that a later call submits or <see cref="CancelSalesOrderAsync"/> removes.
    /// </summary>
    Task<ErpWriteResult<SalesOrder>> CreateSalesOrderAsync(SalesOrderRequest request, CancellationToken cancellationToken = default);

    /// <summary>A sales order by ERP id; null when unknown.</summary>
    Task<SalesOrder?> GetSalesOrderAsync(string salesOrderId, CancellationToken cancellationToken = default);

    /// <summary>The live (not cancelled) sales order created with an external reference; null when none.</summary>
    Task<SalesOrder?> FindSalesOrderAsync(string externalRef, CancellationToken cancellationToken = default);

    /// <summary>Cancels a submitted sales order or deletes a draft. Idempotent.</summary>
    Task<SalesOrderCancelOutcome> CancelSalesOrderAsync(string salesOrderId, CancellationToken cancellationToken = default);

    /// <summary>Shipments (submitted delivery notes) changed after <paramref name="cursor"/>. A shipment can appear again when the ERP touches it later; handle by shipment id.</summary>
    Task<ErpChanges<ShipmentCreated>> GetShipmentChangesAsync(string? cursor, int maxShipments = 50, CancellationToken cancellationToken = default);

    /// <summary>Posts (creates and submits) a sales invoice, idempotently by <see cref="Invoice.ExternalRef"/>; returns it with the ERP's id and totals.</summary>
    Task<ErpWriteResult<Invoice>> PostInvoiceAsync(Invoice invoice, CancellationToken cancellationToken = default);

    /// <summary>Posts a payment against an invoice, idempotently by <see cref="Payment.ExternalRef"/>.</summary>
    Task<ErpWriteResult<Payment>> PostPaymentAsync(Payment payment, CancellationToken cancellationToken = default);

    /// <summary>Posts a credit note against an invoice, idempotently by <see cref="CreditNote.ExternalRef"/>. Line quantities and amounts are positive.</summary>
    Task<ErpWriteResult<CreditNote>> PostCreditNoteAsync(CreditNote creditNote, CancellationToken cancellationToken = default);
}
