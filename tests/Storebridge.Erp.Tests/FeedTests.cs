namespace Storebridge.Erp.Tests;

public class FeedTests
{
    [Fact]
    public async Task Stock_feed_pages_through_every_bin_once_despite_equal_timestamps()
    {
        await using var h = await ErpHarness.StartAsync();
        var seen = new List<(string, string)>();
        string? cursor = null;
        bool hasMore;
        do
        {
            // Every seeded bin shares one modified timestamp: only the name tie-break keeps pages apart.
            var page = await h.Erp.GetStockChangesAsync(cursor, maxLevels: 37, TestContext.Current.CancellationToken);
            Assert.True(page.Changes.Count <= 37);
            seen.AddRange(page.Changes.Select(l => (l.Sku, l.WarehouseId)));
            cursor = page.Cursor;
            hasMore = page.HasMore;
        }
        while (hasMore);

        Assert.Equal(h.Data.Stock.Count, seen.Count);
        Assert.Equal(h.Data.Stock.Select(s => (s.Sku, s.WarehouseId)).Order(), seen.Order());
    }

    [Fact]
    public async Task Stock_feed_after_a_cursor_returns_only_what_moved()
    {
        await using var h = await ErpHarness.StartAsync();
        var start = await h.Erp.GetStockChangesAsync(null, 10_000, TestContext.Current.CancellationToken);
        var sku = h.StockedSku();
        var onHand = h.Data.Stock.Single(s => s.Sku == sku && s.WarehouseId == ErpHarness.Newark).OnHand;

        var quiet = await h.Erp.GetStockChangesAsync(start.Cursor, 10_000, TestContext.Current.CancellationToken);
        await h.PostAdminAsync("__admin/stock", new { sku, warehouse = ErpHarness.Newark, delta = 6 });
        await h.Erp.CreateSalesOrderAsync(h.Order("store-1-3001", h.GoodBusiness(), sku, quantity: 2), TestContext.Current.CancellationToken);
        var moved = await h.Erp.GetStockChangesAsync(quiet.Cursor, 10_000, TestContext.Current.CancellationToken);
        var after = await h.Erp.GetStockChangesAsync(moved.Cursor, 10_000, TestContext.Current.CancellationToken);

        Assert.False(start.HasMore);
        Assert.Empty(quiet.Changes);
        var level = Assert.Single(moved.Changes);
        Assert.Equal(sku, level.Sku);
        Assert.Equal(onHand + 6, level.OnHand);
        Assert.Equal(2, level.ErpReserved);
        Assert.Equal(onHand + 4, level.Available);
        Assert.Empty(after.Changes);
    }

    [Fact]
    public async Task A_foreign_cursor_is_an_argument_error()
    {
        await using var h = await ErpHarness.StartAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => h.Erp.GetStockChangesAsync("2026-01-01", 10, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Shipments_appear_in_the_feed_with_order_reference_carrier_and_tracking()
    {
        await using var h = await ErpHarness.StartAsync();
        var sku = h.StockedSku();
        var start = await h.Erp.GetShipmentChangesAsync(null, 50, TestContext.Current.CancellationToken);
        var order = await h.Erp.CreateSalesOrderAsync(h.Order("store-1-3002", h.GoodBusiness(), sku, quantity: 3), TestContext.Current.CancellationToken);

        await h.PostAdminAsync("__admin/ship", new { salesOrder = order.Document.Id, carrier = "UPS", trackingNumber = "1Z999AA10123456784" });
        var page = await h.Erp.GetShipmentChangesAsync(start.Cursor, 50, TestContext.Current.CancellationToken);
        var shipped = await h.Erp.GetSalesOrderAsync(order.Document.Id, TestContext.Current.CancellationToken);

        Assert.Empty(start.Changes);
        var shipment = Assert.Single(page.Changes);
        Assert.Equal("store-1-3002", shipment.OrderRef);
        Assert.Equal(order.Document.Id, shipment.ErpSalesOrderId);
        Assert.Equal("UPS", shipment.Shipment.Carrier);
        Assert.Equal("1Z999AA10123456784", shipment.Shipment.TrackingNumber);
        Assert.Equal((sku, 3, ErpHarness.Newark), (shipment.Shipment.Lines[0].Sku, shipment.Shipment.Lines[0].Quantity, shipment.Shipment.Lines[0].WarehouseId));
        Assert.Equal(SalesOrderStatus.ToBill, shipped!.Status);
        Assert.Equal(3m, shipped.Lines[0].DeliveredQuantity);
    }

    [Fact]
    public async Task Item_feed_returns_every_product_with_variants_and_prices()
    {
        await using var h = await ErpHarness.StartAsync();

        var page = await h.Erp.GetItemChangesAsync(null, 1000, TestContext.Current.CancellationToken);
        var template = h.Data.Items.First(i => i.HasVariants);
        var item = page.Changes.Single(i => i.Sku == template.Sku);
        var variant = item.Variants.Single(v => v.Sku == template.Variants[0].Sku);

        Assert.False(page.HasMore);
        Assert.Equal(h.Data.Items.Select(i => i.Sku).Order(), page.Changes.Select(i => i.Sku).Order());
        Assert.True(item.HasVariants);
        Assert.Equal(template.Variants.Count, item.Variants.Count);
        Assert.Equal(template.Variants[0].Attributes.ToDictionary(a => a.Key, a => a.Value), variant.Attributes);
        Assert.Equal(template.ItemGroup, item.ItemGroup);
        Assert.Equal(template.TaxClass, item.TaxClass);
        var retail = variant.Prices.Single(p => p.PriceList == "Standard Selling" && p.CustomerId.Length == 0);
        Assert.Equal(h.Data.FindPrice(variant.Sku, "Standard Selling")!.Rate.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture), retail.Price_.Amount);
    }

    [Fact]
    public async Task Item_feed_pages_by_product_and_a_changed_variant_brings_back_its_template()
    {
        await using var h = await ErpHarness.StartAsync();
        var first = await h.Erp.GetItemChangesAsync(null, 10, TestContext.Current.CancellationToken);
        var rest = await h.Erp.GetItemChangesAsync(first.Cursor, 1000, TestContext.Current.CancellationToken);
        var template = h.Data.Items.First(i => i.HasVariants);

        using var http = new HttpClient { BaseAddress = h.Simulator.BaseUrl };
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", h.Simulator.AuthorizationHeader);
        using var update = await http.PutAsync($"api/resource/Item/{template.Variants[1].Sku}",
            new StringContent("{\"disabled\": 1}", System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        update.EnsureSuccessStatusCode();
        var changed = await h.Erp.GetItemChangesAsync(rest.Cursor, 1000, TestContext.Current.CancellationToken);

        Assert.Equal(10, first.Changes.Count);
        Assert.True(first.HasMore);
        Assert.Equal(h.Data.Items.Count, first.Changes.Count + rest.Changes.Count);
        var item = Assert.Single(changed.Changes);
        Assert.Equal(template.Sku, item.Sku);
        Assert.True(item.Variants.Single(v => v.Sku == template.Variants[1].Sku).Disabled);
    }

    [Fact]
    public async Task Variant_sku_lookup_returns_its_template_and_unknown_sku_is_null()
    {
        await using var h = await ErpHarness.StartAsync();
        var template = h.Data.Items.First(i => i.HasVariants);

        var item = await h.Erp.GetItemAsync(template.Variants[0].Sku, TestContext.Current.CancellationToken);
        var missing = await h.Erp.GetItemAsync("NOPE-1", TestContext.Current.CancellationToken);

        Assert.Equal(template.Sku, item!.Sku);
        Assert.Null(missing);
    }

    [Fact]
    public async Task Customer_prices_replace_list_prices_only_for_that_customer()
    {
        await using var h = await ErpHarness.StartAsync();
        var special = h.Data.Prices.First(p => p.CustomerId is not null && p.ValidFrom is null);
        var listRate = h.Data.FindPrice(special.Sku, special.PriceList)!.Rate;

        var forCustomer = await h.Erp.GetPricesAsync(new PriceQuery(special.PriceList, [special.Sku], special.CustomerId), TestContext.Current.CancellationToken);
        var forOthers = await h.Erp.GetPricesAsync(new PriceQuery(special.PriceList, [special.Sku], "CUST-00099"), TestContext.Current.CancellationToken);

        Assert.Equal(special.Rate, decimal.Parse(Assert.Single(forCustomer).Price_.Amount, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(special.CustomerId, forCustomer[0].CustomerId);
        Assert.Equal(listRate, decimal.Parse(Assert.Single(forOthers).Price_.Amount, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_store_customer_is_linked_to_its_erp_account_by_email()
    {
        await using var h = await ErpHarness.StartAsync();
        var seed = h.Data.Customers.Single(c => c.Id == h.GoodBusiness());

        var found = await h.Erp.FindCustomerIdByEmailAsync(seed.Email, TestContext.Current.CancellationToken);
        var unknown = await h.Erp.FindCustomerIdByEmailAsync("nobody@example.invalid", TestContext.Current.CancellationToken);

        Assert.Equal(seed.Id, found);
        Assert.Null(unknown);
    }

    [Fact]
    public async Task Customer_credit_shows_limit_and_exposure_that_grows_with_open_orders()
    {
        await using var h = await ErpHarness.StartAsync();
        var seed = h.Data.Customers.Single(c => c.Id == h.GoodBusiness());

        var before = await h.Erp.GetCustomerAsync(seed.Id, TestContext.Current.CancellationToken);
        var order = await h.Erp.CreateSalesOrderAsync(h.Order("store-1-3003", seed.Id, h.StockedSku(), quantity: 4, price: 25m), TestContext.Current.CancellationToken);
        var after = await h.Erp.GetCustomerAsync(seed.Id, TestContext.Current.CancellationToken);
        var consumer = await h.Erp.GetCustomerAsync(h.Data.Customers.First(c => c.Kind == Sandbox.Seed.SeedCustomerKind.Consumer).Id, TestContext.Current.CancellationToken);
        var unknown = await h.Erp.GetCustomerAsync("CUST-99999", TestContext.Current.CancellationToken);

        Assert.Equal(Contracts.Common.V1.CustomerKind.Business, before!.Customer.Kind);
        Assert.Equal(seed.CreditLimit, before.Credit!.Limit);
        Assert.Equal(seed.OutstandingAmount, before.Credit.Exposure);
        Assert.Equal(seed.OutstandingAmount + 100m, after!.Credit!.Exposure);
        Assert.Equal("100.00", order.Document.GrandTotal.Amount);
        Assert.True(after.Credit.Allows(after.Credit.Available));
        Assert.False(after.Credit.Allows(after.Credit.Available + 0.01m));
        Assert.Null(consumer!.Credit);
        Assert.Null(unknown);
    }
}
