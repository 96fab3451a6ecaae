using System.Net;
using Storebridge.WooCommerce.Models;
using static Storebridge.Sandbox.Store.Tests.TestStore;

namespace Storebridge.Sandbox.Store.Tests;

public sealed class CheckoutTests
{
    [Fact]
    public async Task Concurrent_checkouts_on_stale_stock_oversell()
    {
        await using var store = await StartAsync();
        await store.SetStockAsync(SimpleSku, 1);
        using var hold = store.HoldCheckouts();

        var first = store.CheckoutAsync(SimpleSku);
        var second = store.CheckoutAsync(SimpleSku);
        await hold.WaitForHeldAsync(2, Ct);
        hold.Release();
        using var a = await first;
        using var b = await second;

        Assert.Equal(HttpStatusCode.Created, a.StatusCode);
        Assert.Equal(HttpStatusCode.Created, b.StatusCode);
        var stock = store.Stock(SimpleSku)!;
        Assert.Equal(-1, stock.StockQuantity);
        Assert.Equal("outofstock", stock.StockStatus);
    }

    [Fact]
    public async Task Checkout_after_the_stock_is_gone_is_refused()
    {
        await using var store = await StartAsync();
        await store.SetStockAsync(SimpleSku, 1);
        await store.CheckoutOrderAsync(SimpleSku);

        using var refused = await store.CheckoutAsync(SimpleSku);

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("woocommerce_not_enough_stock", (await refused.ReadAsync<WooError>()).Code);
        Assert.Equal(0, store.Stock(SimpleSku)!.StockQuantity);
    }

    [Fact]
    public async Task Paid_checkout_reduces_stock_and_notes_it()
    {
        await using var store = await StartAsync();
        await store.SetStockAsync(SimpleSku, 10);

        var orderId = await store.CheckoutOrderAsync(SimpleSku, quantity: 3);
        using var http = store.Http();
        var order = await (await http.GetAsync($"wp-json/wc/v3/orders/{orderId}", Ct)).ReadAsync<WooOrder>();
        var notes = await (await http.GetAsync($"__admin/orders/{orderId}/notes", Ct)).ReadAsync<List<WooOrderNote>>();

        Assert.Equal("processing", order.Status);
        Assert.NotNull(order.DatePaidGmt);
        Assert.Equal(7, store.Stock(SimpleSku)!.StockQuantity);
        Assert.Contains(notes, n => n.Note!.StartsWith("Stock levels reduced", StringComparison.Ordinal));
        Assert.Contains(notes, n => n.Note == "Order status changed from Pending payment to Processing.");
    }

    [Fact]
    public async Task Cancelling_an_order_restores_its_stock()
    {
        await using var store = await StartAsync();
        await store.SetStockAsync(SimpleSku, 10);
        var orderId = await store.CheckoutOrderAsync(SimpleSku, quantity: 4);
        using var http = store.Http();

        using var response = await http.PutJsonAsync($"wp-json/wc/v3/orders/{orderId}", new { status = "cancelled" });

        Assert.Equal("cancelled", (await response.ReadAsync<WooOrder>()).Status);
        Assert.Equal(10, store.Stock(SimpleSku)!.StockQuantity);
    }

    [Fact]
    public async Task Full_refund_with_restock_marks_the_order_refunded()
    {
        await using var store = await StartAsync();
        await store.SetStockAsync(SimpleSku, 10);
        var orderId = await store.CheckoutOrderAsync(SimpleSku, quantity: 2);
        using var http = store.Http();
        var order = await (await http.GetAsync($"wp-json/wc/v3/orders/{orderId}", Ct)).ReadAsync<WooOrder>();

        using var tooMuch = await http.PostJsonAsync($"wp-json/wc/v3/orders/{orderId}/refunds", new { amount = "100000.00" });
        using var refund = await http.PostJsonAsync($"wp-json/wc/v3/orders/{orderId}/refunds", new
        {
            amount = order.Total,
            reason = "returned",
            api_restock = true,
            line_items = new[] { new { id = order.LineItems![0].Id, quantity = 2, refund_total = order.LineItems[0].Total } },
        });
        var after = await (await http.GetAsync($"wp-json/wc/v3/orders/{orderId}", Ct)).ReadAsync<WooOrder>();

        Assert.Equal("woocommerce_rest_cannot_create_order_refund", (await tooMuch.ReadAsync<WooError>()).Code);
        Assert.Equal(HttpStatusCode.Created, refund.StatusCode);
        Assert.Equal("refunded", after.Status);
        Assert.Equal("-" + order.Total, Assert.Single(after.Refunds!).Total);
        Assert.Equal(10, store.Stock(SimpleSku)!.StockQuantity);
    }

    [Fact]
    public async Task Business_checkout_uses_the_customer_price_and_carries_vat_meta()
    {
        await using var store = await StartAsync();
        var business = Catalog.Customers.First(c => c.Kind == Seed.SeedCustomerKind.Business);
        var expected = Catalog.FindPrice(SimpleSku, business.PriceList, business.Id)!.Rate;

        using var response = await store.CheckoutAsync(SimpleSku, quantity: 1, customerId: 2);
        var order = await response.ReadAsync<WooOrder>();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(business.Company, order.Billing!.Company);
        Assert.Equal(expected, decimal.Parse(order.LineItems![0].Subtotal!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("on-hold", order.Status);
        if (business.TaxId.Length > 0)
        {
            Assert.Contains(order.MetaData!, m => m.Key == "_billing_vat" && m.StringValue == business.TaxId);
        }
    }
}
