namespace Storebridge.WooCommerce.Models;

/// <summary>An order (REST v3 <c>orders</c>), the same shape a webhook delivers.</summary>
public sealed class WooOrder
{
    /// <summary>Order id.</summary>
    public long? Id { get; set; }

    /// <summary>Parent order id.</summary>
    public long? ParentId { get; set; }

    /// <summary>Order number shown to the customer.</summary>
    public string? Number { get; set; }

    /// <summary>Order key.</summary>
    public string? OrderKey { get; set; }

    /// <summary><c>checkout</c>, <c>admin</c>, <c>rest-api</c>...</summary>
    public string? CreatedVia { get; set; }

    /// <summary>WooCommerce version that last updated the order.</summary>
    public string? Version { get; set; }

    /// <summary>Status: pending, processing, on-hold, completed, cancelled, refunded, failed, checkout-draft, trash.</summary>
    public string? Status { get; set; }

    /// <summary>ISO 4217 currency.</summary>
    public string? Currency { get; set; }

    /// <summary>Creation, site time.</summary>
    public DateTime? DateCreated { get; set; }

    /// <summary>Creation, UTC.</summary>
    public DateTime? DateCreatedGmt { get; set; }

    /// <summary>Last change, site time.</summary>
    public DateTime? DateModified { get; set; }

    /// <summary>Last change, UTC.</summary>
    public DateTime? DateModifiedGmt { get; set; }

    /// <summary>Discount total.</summary>
    public string? DiscountTotal { get; set; }

    /// <summary>Discount tax.</summary>
    public string? DiscountTax { get; set; }

    /// <summary>Shipping total.</summary>
    public string? ShippingTotal { get; set; }

    /// <summary>Shipping tax.</summary>
    public string? ShippingTax { get; set; }

    /// <summary>Sum of line item taxes.</summary>
    public string? CartTax { get; set; }

    /// <summary>Grand total.</summary>
    public string? Total { get; set; }

    /// <summary>Sum of all taxes.</summary>
    public string? TotalTax { get; set; }

    /// <summary>Whether prices included tax at checkout.</summary>
    public bool? PricesIncludeTax { get; set; }

    /// <summary>Customer id; 0 for guests.</summary>
    public long? CustomerId { get; set; }

    /// <summary>Note the customer left.</summary>
    public string? CustomerNote { get; set; }

    /// <summary>Billing address.</summary>
    public WooAddress? Billing { get; set; }

    /// <summary>Shipping address.</summary>
    public WooAddress? Shipping { get; set; }

    /// <summary>Payment method id.</summary>
    public string? PaymentMethod { get; set; }

    /// <summary>Payment method title.</summary>
    public string? PaymentMethodTitle { get; set; }

    /// <summary>Gateway transaction id.</summary>
    public string? TransactionId { get; set; }

    /// <summary>Payment date, site time.</summary>
    public DateTime? DatePaid { get; set; }

    /// <summary>Payment date, UTC.</summary>
    public DateTime? DatePaidGmt { get; set; }

    /// <summary>Completion date, site time.</summary>
    public DateTime? DateCompleted { get; set; }

    /// <summary>Completion date, UTC.</summary>
    public DateTime? DateCompletedGmt { get; set; }

    /// <summary>Meta data.</summary>
    public List<WooMetaData>? MetaData { get; set; }

    /// <summary>Product lines.</summary>
    public List<WooLineItem>? LineItems { get; set; }

    /// <summary>Tax summary per rate.</summary>
    public List<WooTaxLine>? TaxLines { get; set; }

    /// <summary>Shipping lines.</summary>
    public List<WooShippingLine>? ShippingLines { get; set; }

    /// <summary>Fee lines.</summary>
    public List<WooFeeLine>? FeeLines { get; set; }

    /// <summary>Coupon lines.</summary>
    public List<WooCouponLine>? CouponLines { get; set; }

    /// <summary>Refunds recorded against the order.</summary>
    public List<WooOrderRefundRef>? Refunds { get; set; }

    /// <summary>Write-only: mark paid (moves to processing and reduces stock).</summary>
    public bool? SetPaid { get; set; }
}

/// <summary>A product line of an order.</summary>
public sealed class WooLineItem
{
    /// <summary>Line id.</summary>
    public long? Id { get; set; }

    /// <summary>Product name.</summary>
    public string? Name { get; set; }

    /// <summary>Product id.</summary>
    public long? ProductId { get; set; }

    /// <summary>Variation id, 0 for simple products.</summary>
    public long? VariationId { get; set; }

    /// <summary>Quantity ordered.</summary>
    public int? Quantity { get; set; }

    /// <summary>Tax class.</summary>
    public string? TaxClass { get; set; }

    /// <summary>Line subtotal before discounts, excl. tax.</summary>
    public string? Subtotal { get; set; }

    /// <summary>Subtotal tax.</summary>
    public string? SubtotalTax { get; set; }

    /// <summary>Line total after discounts, excl. tax.</summary>
    public string? Total { get; set; }

    /// <summary>Total tax.</summary>
    public string? TotalTax { get; set; }

    /// <summary>Tax per rate.</summary>
    public List<WooLineTax>? Taxes { get; set; }

    /// <summary>Meta data (variation attributes among them).</summary>
    public List<WooMetaData>? MetaData { get; set; }

    /// <summary>SKU; may be empty.</summary>
    public string? Sku { get; set; }

    /// <summary>Unit price (WooCommerce sends a number).</summary>
    public string? Price { get; set; }
}

/// <summary>One rate's tax on a line.</summary>
public sealed class WooLineTax
{
    /// <summary>Tax rate id.</summary>
    public long Id { get; set; }

    /// <summary>Tax total.</summary>
    public string? Total { get; set; }

    /// <summary>Tax subtotal.</summary>
    public string? Subtotal { get; set; }
}

/// <summary>An order-level tax line.</summary>
public sealed class WooTaxLine
{
    /// <summary>Line id.</summary>
    public long? Id { get; set; }

    /// <summary>Rate code.</summary>
    public string? RateCode { get; set; }

    /// <summary>Rate id.</summary>
    public long? RateId { get; set; }

    /// <summary>Label.</summary>
    public string? Label { get; set; }

    /// <summary>Whether the rate is compound.</summary>
    public bool? Compound { get; set; }

    /// <summary>Tax total on items.</summary>
    public string? TaxTotal { get; set; }

    /// <summary>Tax total on shipping.</summary>
    public string? ShippingTaxTotal { get; set; }

    /// <summary>Rate percentage (newer versions send a number).</summary>
    public string? RatePercent { get; set; }
}

/// <summary>A shipping line.</summary>
public sealed class WooShippingLine
{
    /// <summary>Line id.</summary>
    public long? Id { get; set; }

    /// <summary>Method title.</summary>
    public string? MethodTitle { get; set; }

    /// <summary>Method id.</summary>
    public string? MethodId { get; set; }

    /// <summary>Total excl. tax.</summary>
    public string? Total { get; set; }

    /// <summary>Tax.</summary>
    public string? TotalTax { get; set; }

    /// <summary>Tax per rate.</summary>
    public List<WooLineTax>? Taxes { get; set; }
}

/// <summary>A fee line.</summary>
public sealed class WooFeeLine
{
    /// <summary>Line id.</summary>
    public long? Id { get; set; }

    /// <summary>Fee name.</summary>
    public string? Name { get; set; }

    /// <summary>Tax class.</summary>
    public string? TaxClass { get; set; }

    /// <summary>Tax status.</summary>
    public string? TaxStatus { get; set; }

    /// <summary>Total excl. tax.</summary>
    public string? Total { get; set; }

    /// <summary>Tax.</summary>
    public string? TotalTax { get; set; }

    /// <summary>Tax per rate.</summary>
    public List<WooLineTax>? Taxes { get; set; }
}

/// <summary>A coupon line.</summary>
public sealed class WooCouponLine
{
    /// <summary>Line id.</summary>
    public long? Id { get; set; }

    /// <summary>Coupon code.</summary>
    public string? Code { get; set; }

    /// <summary>Discount.</summary>
    public string? Discount { get; set; }

    /// <summary>Discount tax.</summary>
    public string? DiscountTax { get; set; }
}

/// <summary>The summary of a refund inside an order (<c>total</c> is negative).</summary>
public sealed class WooOrderRefundRef
{
    /// <summary>Refund id.</summary>
    public long Id { get; set; }

    /// <summary>Reason.</summary>
    public string? Reason { get; set; }

    /// <summary>Refunded amount as a negative string (<c>"-10.00"</c>).</summary>
    public string? Total { get; set; }
}

/// <summary>An order note (REST v3 <c>orders/{id}/notes</c>).</summary>
public sealed class WooOrderNote
{
    /// <summary>Note id.</summary>
    public long? Id { get; set; }

    /// <summary>Author (read-only).</summary>
    public string? Author { get; set; }

    /// <summary>Creation, UTC.</summary>
    public DateTime? DateCreatedGmt { get; set; }

    /// <summary>Text.</summary>
    public string? Note { get; set; }

    /// <summary>Whether the customer sees it (and gets an email).</summary>
    public bool? CustomerNote { get; set; }
}

/// <summary>A refund (REST v3 <c>orders/{id}/refunds</c>).</summary>
public sealed class WooRefund
{
    /// <summary>Refund id.</summary>
    public long? Id { get; set; }

    /// <summary>Creation, UTC.</summary>
    public DateTime? DateCreatedGmt { get; set; }

    /// <summary>Refunded amount (positive).</summary>
    public string? Amount { get; set; }

    /// <summary>Reason.</summary>
    public string? Reason { get; set; }

    /// <summary>User who refunded (read-only).</summary>
    public long? RefundedBy { get; set; }

    /// <summary>Whether the payment gateway refunded it (read-only).</summary>
    public bool? RefundedPayment { get; set; }

    /// <summary>Refunded lines.</summary>
    public List<WooRefundLine>? LineItems { get; set; }

    /// <summary>Write-only: ask the gateway to refund.</summary>
    public bool? ApiRefund { get; set; }

    /// <summary>Write-only: put refunded items back in stock.</summary>
    public bool? ApiRestock { get; set; }
}

/// <summary>A refunded line.</summary>
public sealed class WooRefundLine
{
    /// <summary>The order line id.</summary>
    public long? Id { get; set; }

    /// <summary>Product id (read-only).</summary>
    public long? ProductId { get; set; }

    /// <summary>Refunded quantity (read: negative).</summary>
    public int? Quantity { get; set; }

    /// <summary>Refunded total excl. tax.</summary>
    public string? RefundTotal { get; set; }

    /// <summary>Refunded tax per rate (write).</summary>
    public List<WooRefundTax>? RefundTax { get; set; }
}

/// <summary>Refunded tax for one rate.</summary>
public sealed class WooRefundTax
{
    /// <summary>Tax rate id.</summary>
    public long Id { get; set; }

    /// <summary>Amount.</summary>
    public string? RefundTotal { get; set; }
}
