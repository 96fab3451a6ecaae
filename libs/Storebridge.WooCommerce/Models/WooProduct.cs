using System.Text.Json.Serialization;

namespace Storebridge.WooCommerce.Models;

/// <summary>A product (REST v3 <c>products</c>). Unset properties are left out of writes.</summary>
public sealed class WooProduct
{
    /// <summary>Product id.</summary>
    public long? Id { get; set; }

    /// <summary>Name.</summary>
    public string? Name { get; set; }

    /// <summary>URL slug.</summary>
    public string? Slug { get; set; }

    /// <summary><c>simple</c>, <c>variable</c>, <c>grouped</c> or <c>external</c>.</summary>
    public string? Type { get; set; }

    /// <summary><c>publish</c>, <c>draft</c>, <c>pending</c>, <c>private</c>.</summary>
    public string? Status { get; set; }

    /// <summary>Stock keeping unit.</summary>
    public string? Sku { get; set; }

    /// <summary>Current price (read-only).</summary>
    public string? Price { get; set; }

    /// <summary>Regular price.</summary>
    public string? RegularPrice { get; set; }

    /// <summary>Sale price.</summary>
    public string? SalePrice { get; set; }

    /// <summary><c>taxable</c>, <c>shipping</c> or <c>none</c>.</summary>
    public string? TaxStatus { get; set; }

    /// <summary>Tax class.</summary>
    public string? TaxClass { get; set; }

    /// <summary>Whether the store tracks stock for the product.</summary>
    [JsonConverter(typeof(WooManageStockConverter))]
    public bool? ManageStock { get; set; }

    /// <summary>Stock quantity; may be negative after overselling.</summary>
    public int? StockQuantity { get; set; }

    /// <summary><c>instock</c>, <c>outofstock</c> or <c>onbackorder</c>.</summary>
    public string? StockStatus { get; set; }

    /// <summary><c>no</c>, <c>notify</c> or <c>yes</c>.</summary>
    public string? Backorders { get; set; }

    /// <summary>Variation ids (variable products).</summary>
    public List<long>? Variations { get; set; }

    /// <summary>Categories.</summary>
    public List<WooCategoryRef>? Categories { get; set; }

    /// <summary>Attributes.</summary>
    public List<WooProductAttribute>? Attributes { get; set; }

    /// <summary>Creation date, site time.</summary>
    public DateTime? DateCreated { get; set; }

    /// <summary>Creation date, UTC.</summary>
    public DateTime? DateCreatedGmt { get; set; }

    /// <summary>Last modification, site time.</summary>
    public DateTime? DateModified { get; set; }

    /// <summary>Last modification, UTC.</summary>
    public DateTime? DateModifiedGmt { get; set; }

    /// <summary>Meta data.</summary>
    public List<WooMetaData>? MetaData { get; set; }
}

/// <summary>A product variation (REST v3 <c>products/{id}/variations</c>).</summary>
public sealed class WooVariation
{
    /// <summary>Variation id.</summary>
    public long? Id { get; set; }

    /// <summary>Parent product id (read-only; the URL carries it).</summary>
    public long? ParentId { get; set; }

    /// <summary>Stock keeping unit.</summary>
    public string? Sku { get; set; }

    /// <summary>Current price (read-only).</summary>
    public string? Price { get; set; }

    /// <summary>Regular price.</summary>
    public string? RegularPrice { get; set; }

    /// <summary>Sale price.</summary>
    public string? SalePrice { get; set; }

    /// <summary><c>publish</c> or <c>private</c>.</summary>
    public string? Status { get; set; }

    /// <summary>Tax class.</summary>
    public string? TaxClass { get; set; }

    /// <summary>Whether the variation tracks its own stock (<see langword="null"/> when WooCommerce says <c>"parent"</c>).</summary>
    [JsonConverter(typeof(WooManageStockConverter))]
    public bool? ManageStock { get; set; }

    /// <summary>Stock quantity.</summary>
    public int? StockQuantity { get; set; }

    /// <summary><c>instock</c>, <c>outofstock</c> or <c>onbackorder</c>.</summary>
    public string? StockStatus { get; set; }

    /// <summary><c>no</c>, <c>notify</c> or <c>yes</c>.</summary>
    public string? Backorders { get; set; }

    /// <summary>The option chosen for each variation attribute.</summary>
    public List<WooVariationAttribute>? Attributes { get; set; }

    /// <summary>Last modification, UTC.</summary>
    public DateTime? DateModifiedGmt { get; set; }

    /// <summary>Last modification, site time.</summary>
    public DateTime? DateModified { get; set; }

    /// <summary>Meta data.</summary>
    public List<WooMetaData>? MetaData { get; set; }
}

/// <summary>A category reference on a product.</summary>
public sealed class WooCategoryRef
{
    /// <summary>Category id.</summary>
    public long Id { get; set; }

    /// <summary>Name.</summary>
    public string? Name { get; set; }

    /// <summary>Slug.</summary>
    public string? Slug { get; set; }
}

/// <summary>A product attribute and its options.</summary>
public sealed class WooProductAttribute
{
    /// <summary>Attribute id (0 for custom attributes).</summary>
    public long Id { get; set; }

    /// <summary>Name.</summary>
    public string? Name { get; set; }

    /// <summary>Whether variations use it.</summary>
    public bool Variation { get; set; }

    /// <summary>Options.</summary>
    public List<string>? Options { get; set; }
}

/// <summary>A variation's choice for one attribute.</summary>
public sealed class WooVariationAttribute
{
    /// <summary>Attribute id.</summary>
    public long Id { get; set; }

    /// <summary>Name.</summary>
    public string? Name { get; set; }

    /// <summary>Chosen option.</summary>
    public string? Option { get; set; }
}

/// <summary>A customer (REST v3 <c>customers</c>).</summary>
public sealed class WooCustomer
{
    /// <summary>Customer (WordPress user) id.</summary>
    public long? Id { get; set; }

    /// <summary>Email.</summary>
    public string? Email { get; set; }

    /// <summary>First name.</summary>
    public string? FirstName { get; set; }

    /// <summary>Last name.</summary>
    public string? LastName { get; set; }

    /// <summary>Role, usually <c>customer</c>.</summary>
    public string? Role { get; set; }

    /// <summary>Login name.</summary>
    public string? Username { get; set; }

    /// <summary>Billing address.</summary>
    public WooAddress? Billing { get; set; }

    /// <summary>Shipping address.</summary>
    public WooAddress? Shipping { get; set; }

    /// <summary>Creation date, UTC.</summary>
    public DateTime? DateCreatedGmt { get; set; }

    /// <summary>Last modification, UTC.</summary>
    public DateTime? DateModifiedGmt { get; set; }

    /// <summary>Meta data (for example a VAT number).</summary>
    public List<WooMetaData>? MetaData { get; set; }
}

/// <summary>A webhook (REST v3 <c>webhooks</c>).</summary>
public sealed class WooWebhook
{
    /// <summary>Webhook id.</summary>
    public long? Id { get; set; }

    /// <summary>Friendly name.</summary>
    public string? Name { get; set; }

    /// <summary><c>active</c>, <c>paused</c> or <c>disabled</c>.</summary>
    public string? Status { get; set; }

    /// <summary>Topic, for example <c>order.updated</c>.</summary>
    public string? Topic { get; set; }

    /// <summary>Resource part of the topic (read-only).</summary>
    public string? Resource { get; set; }

    /// <summary>Event part of the topic (read-only).</summary>
    public string? Event { get; set; }

    /// <summary>Delivery URL.</summary>
    public string? DeliveryUrl { get; set; }

    /// <summary>Signing secret (write-only in WooCommerce).</summary>
    public string? Secret { get; set; }

    /// <summary>Consecutive delivery failures (not in WooCommerce's REST schema; the simulator reports it).</summary>
    public int? FailureCount { get; set; }

    /// <summary>Creation date, UTC.</summary>
    public DateTime? DateCreatedGmt { get; set; }

    /// <summary>Last modification, UTC.</summary>
    public DateTime? DateModifiedGmt { get; set; }
}
