using System.Text;
using System.Text.Json.Nodes;
using Storebridge.Contracts.Common.V1;
using Storebridge.Contracts.Orders.V1;
using Storebridge.WooCommerce.Mapping;

namespace Storebridge.WooCommerce.Tests;

public sealed class OrderMapperTests
{
    private static readonly string DocumentedOrder = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "woocommerce-order-727.json"));

    private static OrderMappingResult MapDocumented(Action<JsonObject>? change = null)
    {
        var json = JsonNode.Parse(DocumentedOrder)!.AsObject();
        change?.Invoke(json);
        return WooOrderMapper.Map("shop-eu", Encoding.UTF8.GetBytes(json.ToJsonString()));
    }

    [Fact]
    public void Documented_order_maps_to_the_canonical_order()
    {
        var result = MapDocumented();

        Assert.True(result.Succeeded, result.Error);
        var order = result.Order!;
        Assert.Equal("shop-eu-727", order.OrderRef);
        Assert.Equal("727", order.StoreOrderId);
        Assert.Equal(StoreOrderStatus.Processing, order.StoreStatus);
        Assert.Equal("USD", order.CurrencyCode);
        Assert.Equal("rest-api", order.CreatedVia);
        Assert.Equal(new DateTime(2017, 3, 22, 19, 28, 2, DateTimeKind.Utc), order.CreatedAt.ToDateTime());
        Assert.Equal("29.35", order.Totals.Total.Amount);
        Assert.Equal("USD", order.Totals.Total.CurrencyCode);
        Assert.Equal("1.35", order.Totals.TotalTax.Amount);
        Assert.Equal("10.00", order.Totals.ShippingTotal.Amount);
        Assert.True(order.Payment.Paid);
        Assert.Equal("bacs", order.Payment.Method);
        Assert.Equal(CustomerKind.Consumer, order.Customer.Kind);
        Assert.Equal("john.doe@example.com", order.Customer.Email);
        Assert.Equal("", order.Customer.StoreCustomerId);
        Assert.Equal("969 Market", order.BillingAddress.Line1);
        Assert.Equal("94103", order.ShippingAddress.PostalCode);
        Assert.Equal("US", order.ShippingAddress.CountryCode);
    }

    [Fact]
    public void Documented_order_keeps_line_level_taxes_and_variation_attributes()
    {
        var order = MapDocumented().Order!;

        Assert.Equal(2, order.Lines.Count);
        var simple = order.Lines[0];
        Assert.Equal("315", simple.LineId);
        Assert.Equal("", simple.Sku);
        Assert.Equal("", simple.VariationId);
        Assert.Equal(2, simple.Quantity);
        Assert.Equal("3.00", simple.UnitPrice.Amount);
        Assert.Equal("0.45", Assert.Single(simple.Taxes).Total.Amount);
        var variation = order.Lines[1];
        Assert.Equal("Bar3", variation.Sku);
        Assert.Equal("23", variation.VariationId);
        Assert.Equal("0.9", variation.Taxes[0].Total.Amount);
        Assert.Equal("75", variation.Taxes[0].RateId);
        Assert.Equal("black", variation.Attributes["color"]);
        Assert.Equal("M Test", variation.Attributes["size"]);
        var tax = Assert.Single(order.TaxLines);
        Assert.Equal("US-CA-STATE TAX", tax.RateCode);
        Assert.Equal("1.35", tax.TaxTotal.Amount);
        var shipping = Assert.Single(order.ShippingLines);
        Assert.Equal("flat_rate", shipping.MethodId);
        Assert.Equal("10.00", shipping.Total.Amount);
    }

    [Fact]
    public void Company_in_billing_makes_a_business_customer()
    {
        var order = MapDocumented(json => json["billing"]!["company"] = "Acme GmbH").Order!;

        Assert.Equal(CustomerKind.Business, order.Customer.Kind);
        Assert.Equal("Acme GmbH", order.Customer.DisplayName);
    }

    [Fact]
    public void Vat_meta_makes_a_business_customer_and_carries_the_tax_id()
    {
        var order = MapDocumented(json =>
        {
            json["meta_data"] = new JsonArray(
                new JsonObject { ["id"] = 1, ["key"] = "_billing_vat", ["value"] = "DE123456789" },
                new JsonObject { ["id"] = 2, ["key"] = "_po_number", ["value"] = "PO-77" });
        }).Order!;

        Assert.Equal(CustomerKind.Business, order.Customer.Kind);
        Assert.Equal("DE123456789", order.Customer.TaxId);
        Assert.Equal("DE123456789", order.Metadata["vat_id"]);
        Assert.Equal("PO-77", order.Metadata["purchase_order"]);
    }

    [Fact]
    public void Refunds_fees_and_coupons_are_carried_with_positive_refund_amounts()
    {
        var order = MapDocumented(json =>
        {
            json["refunds"] = new JsonArray(new JsonObject { ["id"] = 730, ["reason"] = "damaged", ["total"] = "-5.50" });
            json["fee_lines"] = new JsonArray(new JsonObject { ["id"] = 9, ["name"] = "Gift wrap", ["total"] = "2.00", ["total_tax"] = "0.00", ["taxes"] = new JsonArray() });
            json["coupon_lines"] = new JsonArray(new JsonObject { ["id"] = 10, ["code"] = "promo10", ["discount"] = "1.80", ["discount_tax"] = "0.14" });
        }).Order!;

        var refund = Assert.Single(order.Refunds);
        Assert.Equal("5.50", refund.Amount.Amount);
        Assert.Equal("damaged", refund.Reason);
        Assert.Equal("Gift wrap", Assert.Single(order.FeeLines).Name);
        Assert.Equal("1.80", Assert.Single(order.CouponLines).Discount.Amount);
    }

    [Theory]
    [InlineData("status", "shipped", "order 727: status 'shipped' is not a WooCommerce order status")]
    [InlineData("currency", "dollars", "order 727: currency 'dollars' is not an ISO 4217 code")]
    [InlineData("total", "29,35", "order 727: total '29,35' is not a decimal amount")]
    public void Malformed_order_fields_are_rejected_with_a_precise_reason(string field, string value, string reason)
    {
        var result = MapDocumented(json => json[field] = value);

        Assert.False(result.Succeeded);
        Assert.Equal(reason, result.Error);
    }

    [Fact]
    public void Line_with_zero_quantity_is_rejected_naming_the_line()
    {
        var result = MapDocumented(json => json["line_items"]![1]!["quantity"] = 0);

        Assert.Equal("order 727: line_items[1] (id 316): quantity 0 is not positive", result.Error);
    }

    [Fact]
    public void Order_without_lines_is_rejected()
    {
        var result = MapDocumented(json => json["line_items"] = new JsonArray());

        Assert.Equal("order 727: has no line items", result.Error);
    }

    [Fact]
    public void Truncated_json_is_rejected_not_thrown()
    {
        var result = WooOrderMapper.Map("shop-eu", Encoding.UTF8.GetBytes(DocumentedOrder[..400]));

        Assert.False(result.Succeeded);
        Assert.StartsWith("order JSON is malformed", result.Error);
    }

    [Fact]
    public void Missing_id_is_rejected()
    {
        var result = MapDocumented(json => json.Remove("id"));

        Assert.Equal("id is missing or not positive", result.Error);
    }
}
