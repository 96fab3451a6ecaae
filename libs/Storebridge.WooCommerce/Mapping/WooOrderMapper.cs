using System.Globalization;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Storebridge.Contracts.Common.V1;
using Storebridge.Contracts.Orders.V1;
using Storebridge.WooCommerce.Models;

namespace Storebridge.WooCommerce.Mapping;

/// <summary>The outcome of mapping a store order: the canonical order, or why the store order is malformed.</summary>
/// <param name="Order">The canonical order when mapping succeeded.</param>
/// <param name="Error">A precise reason ("line_items[1] (id 316): quantity 0 is not positive") when it failed.</param>
/// <param name="Source">The store order as read, whenever the JSON could be read (also when mapping it failed).</param>
public sealed record OrderMappingResult(Order? Order, string? Error, WooOrder? Source = null)
{
    /// <summary>Whether mapping succeeded.</summary>
    public bool Succeeded => Order is not null;
}

/// <summary>Maps a WooCommerce order (REST v3 / webhook JSON) to the canonical <see cref="Order"/>.</summary>
public static class WooOrderMapper
{
    /// <summary>Meta keys that carry a VAT / tax registration number (common EU VAT plugins).</summary>
    public static readonly IReadOnlyList<string> VatMetaKeys =
        ["_billing_vat", "billing_vat", "_vat_number", "vat_number", "_billing_vat_number", "_billing_eu_vat_number", "_eu_vat_number", "VAT Number"];

    /// <summary>Meta keys that carry the customer's purchase order number.</summary>
    public static readonly IReadOnlyList<string> PurchaseOrderMetaKeys = ["_po_number", "po_number", "purchase_order_number", "_purchase_order_number"];

    private static readonly Dictionary<string, StoreOrderStatus> Statuses = new(StringComparer.Ordinal)
    {
        ["pending"] = StoreOrderStatus.Pending,
        ["processing"] = StoreOrderStatus.Processing,
        ["on-hold"] = StoreOrderStatus.OnHold,
        ["completed"] = StoreOrderStatus.Completed,
        ["cancelled"] = StoreOrderStatus.Cancelled,
        ["refunded"] = StoreOrderStatus.Refunded,
        ["failed"] = StoreOrderStatus.Failed,
        ["checkout-draft"] = StoreOrderStatus.CheckoutDraft,
        ["trash"] = StoreOrderStatus.Trash,
    };

    /// <summary>The WooCommerce status string of a canonical status (for writing status back).</summary>
    public static string ToWooStatus(StoreOrderStatus status) =>
        Statuses.FirstOrDefault(p => p.Value == status).Key ?? throw new ArgumentOutOfRangeException(nameof(status), status, "No WooCommerce status.");

    /// <summary>Maps raw order JSON (a webhook body or a GET response).</summary>
    public static OrderMappingResult Map(string storeId, ReadOnlySpan<byte> json)
    {
        WooOrder? order;
        try
        {
            order = JsonSerializer.Deserialize<WooOrder>(json, WooJson.Options);
        }
        catch (JsonException ex)
        {
            return Fail($"order JSON is malformed{(ex.Path is null ? "" : " at " + ex.Path)}: {ex.Message}");
        }
        catch (InvalidOperationException ex)
        {
            // A string that is not valid UTF-8 (after the signature matched): malformed, not a server error.
            return Fail($"order JSON is malformed: {ex.Message}");
        }

        return order is null ? Fail("order JSON is null") : Map(storeId, order);
    }

    public static OrderMappingResult Map(string storeId, JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            return Fail($"order JSON is a {json.ValueKind}, not an object");
        }

        try
        {
            var order = json.Deserialize<WooOrder>(WooJson.Options);
            return order is null ? Fail("order JSON is null") : Map(storeId, order);
        }
        catch (JsonException ex)
        {
            return Fail($"order JSON is malformed{(ex.Path is null ? "" : " at " + ex.Path)}: {ex.Message}");
        }
    }

    /// <summary>Maps a parsed order.</summary>
    public static OrderMappingResult Map(string storeId, WooOrder source)
    {
        ArgumentNullException.ThrowIfNull(source);
        try
        {
            return new OrderMappingResult(MapOrder(storeId, source), null, source);
        }
        catch (MappingException ex)
        {
            return new OrderMappingResult(null, ex.Message, source);
        }
    }

    private static OrderMappingResult Fail(string reason) => new(null, reason);

    private static Order MapOrder(string storeId, WooOrder source)
    {
        if (string.IsNullOrWhiteSpace(storeId))
        {
            throw new MappingException("store id is empty");
        }

        if (source.Id is not > 0)
        {
            throw new MappingException("id is missing or not positive");
        }

        var id = source.Id.Value.ToString(CultureInfo.InvariantCulture);
        var where = $"order {id}: ";
        if (source.Status is null || !Statuses.TryGetValue(source.Status, out var status))
        {
            throw new MappingException($"{where}status '{source.Status}' is not a WooCommerce order status");
        }

        var currency = source.Currency?.Trim().ToUpperInvariant() ?? "";
        if (currency.Length != 3 || !currency.All(char.IsAsciiLetterUpper))
        {
            throw new MappingException($"{where}currency '{source.Currency}' is not an ISO 4217 code");
        }

        if (source.LineItems is not { Count: > 0 })
        {
            throw new MappingException($"{where}has no line items");
        }

        Money M(string? value, string field, bool required = false) => ToMoney(value, currency, where + field, required);

        var order = new Order
        {
            OrderRef = $"{storeId}-{id}",
            StoreId = storeId,
            StoreOrderId = id,
            OrderNumber = string.IsNullOrEmpty(source.Number) ? id : source.Number,
            StoreStatus = status,
            CurrencyCode = currency,
            PricesIncludeTax = source.PricesIncludeTax ?? false,
            BillingAddress = ToAddress(source.Billing),
            ShippingAddress = ToAddress(source.Shipping),
            CustomerNote = source.CustomerNote ?? "",
            CreatedVia = source.CreatedVia ?? "",
            Totals = new OrderTotals
            {
                DiscountTotal = M(source.DiscountTotal, "discount_total"),
                DiscountTax = M(source.DiscountTax, "discount_tax"),
                ShippingTotal = M(source.ShippingTotal, "shipping_total"),
                ShippingTax = M(source.ShippingTax, "shipping_tax"),
                CartTax = M(source.CartTax, "cart_tax"),
                TotalTax = M(source.TotalTax, "total_tax"),
                Total = M(source.Total, "total", required: true),
            },
            Payment = new PaymentInfo
            {
                Method = source.PaymentMethod ?? "",
                MethodTitle = source.PaymentMethodTitle ?? "",
                TransactionId = source.TransactionId ?? "",
                Paid = source.DatePaidGmt is not null || source.DatePaid is not null,
            },
        };

        if (Utc(source.DateCreatedGmt, source.DateCreated) is { } created)
        {
            order.CreatedAt = created;
        }
        else
        {
            throw new MappingException($"{where}date_created is missing");
        }

        if (Utc(source.DateModifiedGmt, source.DateModified) is { } modified)
        {
            order.ModifiedAt = modified;
        }

        if (Utc(source.DateCompletedGmt, source.DateCompleted) is { } completed)
        {
            order.CompletedAt = completed;
        }

        if (Utc(source.DatePaidGmt, source.DatePaid) is { } paid)
        {
            order.Payment.PaidAt = paid;
        }

        var meta = source.MetaData ?? [];
        var vat = FirstMeta(meta, VatMetaKeys);
        var po = FirstMeta(meta, PurchaseOrderMetaKeys);
        if (vat is not null)
        {
            order.Metadata["vat_id"] = vat;
        }

        if (po is not null)
        {
            order.Metadata["purchase_order"] = po;
        }

        var company = source.Billing?.Company?.Trim() ?? "";
        var business = company.Length > 0 || vat is not null;
        var name = $"{source.Billing?.FirstName} {source.Billing?.LastName}".Trim();
        order.Customer = new Customer
        {
            StoreCustomerId = source.CustomerId is > 0 ? source.CustomerId.Value.ToString(CultureInfo.InvariantCulture) : "",
            Kind = business ? CustomerKind.Business : CustomerKind.Consumer,
            Email = source.Billing?.Email ?? "",
            DisplayName = business && company.Length > 0 ? company : name,
            Company = company,
            TaxId = vat ?? "",
            BillingAddress = order.BillingAddress.Clone(),
        };

        for (var i = 0; i < source.LineItems.Count; i++)
        {
            order.Lines.Add(ToLine(source.LineItems[i], $"{where}line_items[{i}]", currency));
        }

        foreach (var (line, i) in (source.ShippingLines ?? []).Select((l, i) => (l, i)))
        {
            var at = $"shipping_lines[{i}].";
            var shipping = new ShippingLine
            {
                LineId = Id(line.Id),
                MethodId = line.MethodId ?? "",
                MethodTitle = line.MethodTitle ?? "",
                Total = M(line.Total, at + "total", required: true),
                TotalTax = M(line.TotalTax, at + "total_tax"),
            };
            shipping.Taxes.AddRange(ToTaxes(line.Taxes, currency, where + at));
            order.ShippingLines.Add(shipping);
        }

        foreach (var (line, i) in (source.FeeLines ?? []).Select((l, i) => (l, i)))
        {
            var at = $"fee_lines[{i}].";
            var fee = new FeeLine
            {
                LineId = Id(line.Id),
                Name = line.Name ?? "",
                TaxClass = line.TaxClass ?? "",
                Total = M(line.Total, at + "total", required: true),
                TotalTax = M(line.TotalTax, at + "total_tax"),
            };
            fee.Taxes.AddRange(ToTaxes(line.Taxes, currency, where + at));
            order.FeeLines.Add(fee);
        }

        foreach (var (line, i) in (source.CouponLines ?? []).Select((l, i) => (l, i)))
        {
            var at = $"coupon_lines[{i}].";
            if (string.IsNullOrWhiteSpace(line.Code))
            {
                throw new MappingException($"{where}{at}code is empty");
            }

            order.CouponLines.Add(new CouponLine
            {
                LineId = Id(line.Id),
                Code = line.Code,
                Discount = M(line.Discount, at + "discount", required: true),
                DiscountTax = M(line.DiscountTax, at + "discount_tax"),
            });
        }

        foreach (var (line, i) in (source.TaxLines ?? []).Select((l, i) => (l, i)))
        {
            var at = $"tax_lines[{i}].";
            order.TaxLines.Add(new TaxLine
            {
                LineId = Id(line.Id),
                RateId = Id(line.RateId),
                RateCode = line.RateCode ?? "",
                Label = line.Label ?? "",
                RatePercent = line.RatePercent ?? "",
                Compound = line.Compound ?? false,
                TaxTotal = M(line.TaxTotal, at + "tax_total"),
                ShippingTaxTotal = M(line.ShippingTaxTotal, at + "shipping_tax_total"),
            });
        }

        foreach (var (refund, i) in (source.Refunds ?? []).Select((r, i) => (r, i)))
        {
            var amount = ParseDecimal(refund.Total, $"{where}refunds[{i}].total", required: true);
            order.Refunds.Add(new RefundSummary
            {
                RefundId = refund.Id.ToString(CultureInfo.InvariantCulture),
                Reason = refund.Reason ?? "",
                Amount = new Money { CurrencyCode = currency, Amount = Format(Math.Abs(amount)) },
            });
        }

        return order;
    }

    private static OrderLine ToLine(WooLineItem item, string where, string currency)
    {
        if (item.Quantity is not > 0)
        {
            throw new MappingException($"{where} (id {item.Id}): quantity {item.Quantity?.ToString(CultureInfo.InvariantCulture) ?? "missing"} is not positive");
        }

        if (item.ProductId is not > 0)
        {
            throw new MappingException($"{where} (id {item.Id}): product_id is missing (product deleted?)");
        }

        var at = $"{where} (id {item.Id}).";
        var subtotal = ParseDecimal(item.Subtotal, at + "subtotal", required: true);
        var line = new OrderLine
        {
            LineId = Id(item.Id),
            Sku = item.Sku ?? "",
            ProductId = Id(item.ProductId),
            VariationId = item.VariationId is > 0 ? Id(item.VariationId) : "",
            Name = item.Name ?? "",
            Quantity = item.Quantity.Value,
            UnitPrice = new Money { CurrencyCode = currency, Amount = UnitPrice(subtotal, item.Quantity.Value, Scale(item.Subtotal!)) },
            Subtotal = ToMoney(item.Subtotal, currency, at + "subtotal", true),
            SubtotalTax = ToMoney(item.SubtotalTax, currency, at + "subtotal_tax", false),
            Total = ToMoney(item.Total, currency, at + "total", true),
            TotalTax = ToMoney(item.TotalTax, currency, at + "total_tax", false),
            TaxClass = item.TaxClass ?? "",
        };
        line.Taxes.AddRange(ToTaxes(item.Taxes, currency, at));
        foreach (var meta in item.MetaData ?? [])
        {
            // Hidden meta starts with "_"; the rest are the variation attributes the customer chose.
            if (meta.Key.StartsWith('_') || meta.StringValue is null)
            {
                continue;
            }

            var key = !string.IsNullOrEmpty(meta.DisplayKey) ? meta.DisplayKey : meta.Key.StartsWith("pa_", StringComparison.Ordinal) ? meta.Key[3..] : meta.Key;
            var value = meta.DisplayValue is { ValueKind: JsonValueKind.String } display ? display.GetString()! : meta.StringValue;
            line.Attributes[key] = value;
        }

        return line;
    }

    private static IEnumerable<LineTax> ToTaxes(List<WooLineTax>? taxes, string currency, string where) =>
        (taxes ?? []).Select((t, i) => new LineTax
        {
            RateId = t.Id.ToString(CultureInfo.InvariantCulture),
            Total = ToMoney(string.IsNullOrEmpty(t.Total) ? "0" : t.Total, currency, $"{where}taxes[{i}].total", false),
            Subtotal = ToMoney(string.IsNullOrEmpty(t.Subtotal) ? "0" : t.Subtotal, currency, $"{where}taxes[{i}].subtotal", false),
        });

    private static Address ToAddress(WooAddress? address) => address is null ? new Address() : new Address
    {
        FirstName = address.FirstName ?? "",
        LastName = address.LastName ?? "",
        Company = address.Company ?? "",
        Line1 = address.Address1 ?? "",
        Line2 = address.Address2 ?? "",
        City = address.City ?? "",
        Region = address.State ?? "",
        PostalCode = address.Postcode ?? "",
        CountryCode = address.Country?.ToUpperInvariant() ?? "",
        Email = address.Email ?? "",
        Phone = address.Phone ?? "",
    };

    private static string? FirstMeta(List<WooMetaData> meta, IReadOnlyList<string> keys) =>
        keys.Select(k => meta.FirstOrDefault(m => string.Equals(m.Key, k, StringComparison.OrdinalIgnoreCase))?.StringValue)
            .FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim();

    private static Timestamp? Utc(DateTime? gmt, DateTime? local)
    {
        // The _gmt twin is UTC; without it, the site-local value is the best there is (sites mostly run in UTC).
        var value = gmt ?? local;
        return value is null ? null : Timestamp.FromDateTime(DateTime.SpecifyKind(value.Value, DateTimeKind.Utc));
    }

    private static string Id(long? id) => id?.ToString(CultureInfo.InvariantCulture) ?? "";

    private static Money ToMoney(string? value, string currency, string field, bool required) =>
        new() { CurrencyCode = currency, Amount = Format(ParseDecimal(value, field, required)) };

    private static decimal ParseDecimal(string? value, string field, bool required)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return required ? throw new MappingException($"{field} is missing") : 0m;
        }

        if (!decimal.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var parsed))
        {
            throw new MappingException($"{field} '{value}' is not a decimal amount");
        }

        return parsed;
    }

    private static string Format(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    private static int Scale(string value)
    {
        var dot = value.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? 0 : value.Length - dot - 1;
    }

    // Price of one unit: exact when it divides, else rounded two places beyond the store's precision.
    private static string UnitPrice(decimal subtotal, int quantity, int scale)
    {
        var unit = subtotal / quantity;
        var places = Math.Max(scale, 2);
        var rounded = Math.Round(unit, places, MidpointRounding.AwayFromZero);
        return Format(rounded == unit ? rounded : Math.Round(unit, places + 2, MidpointRounding.AwayFromZero));
    }

    private sealed class MappingException(string message) : Exception(message);
}
