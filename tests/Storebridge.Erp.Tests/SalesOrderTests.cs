using Storebridge.Sandbox.Erp.Faults;

namespace Storebridge.Erp.Tests;

public class SalesOrderTests
{
    [Fact]
    public async Task Creating_the_same_order_twice_makes_one_submitted_sales_order()
    {
        await using var h = await ErpHarness.StartAsync();
        var request = h.Order("store-1-1001", h.GoodBusiness(), h.StockedSku());

        var first = await h.Erp.CreateSalesOrderAsync(request, TestContext.Current.CancellationToken);
        var second = await h.Erp.CreateSalesOrderAsync(request, TestContext.Current.CancellationToken);
        var stats = await h.StatsAsync();

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(first.Document.Id, second.Document.Id);
        Assert.Equal(SalesOrderStatus.Open, second.Document.Status);
        Assert.Equal("store-1-1001", second.Document.ExternalRef);
        Assert.Equal(1, ErpHarness.Count(stats, "POST /api/resource/Sales Order"));
    }

    [Fact]
    public async Task A_lost_create_response_is_found_by_the_retry_instead_of_duplicated()
    {
        await using var h = await ErpHarness.StartAsync();
        h.Simulator.Faults = new ErpFaults
        {
            Errors = [new RouteErrorFault { Route = "POST /api/resource/Sales Order", Rate = 1.0, Status = 502, AfterCommit = true }],
        };

        var result = await h.Erp.CreateSalesOrderAsync(h.Order("store-1-1002", h.GoodBusiness(), h.StockedSku()), TestContext.Current.CancellationToken);
        var stats = await h.StatsAsync();
        var found = await h.Erp.FindSalesOrderAsync("store-1-1002", TestContext.Current.CancellationToken);

        Assert.Equal(SalesOrderStatus.Open, result.Document.Status);
        Assert.Equal(1, ErpHarness.Count(stats, "POST /api/resource/Sales Order"));
        Assert.Equal(result.Document.Id, found!.Id);
    }

    [Fact]
    public async Task Prices_default_from_the_customer_price_list_and_explicit_prices_win()
    {
        await using var h = await ErpHarness.StartAsync();
        var customer = h.GoodBusiness();
        var sku = h.StockedSku();
        var listPrice = h.Data.FindPrice(sku, h.Data.Customers.Single(c => c.Id == customer).PriceList, customer)!.Rate;

        var listed = await h.Erp.CreateSalesOrderAsync(h.Order("store-1-1003", customer, sku, quantity: 3), TestContext.Current.CancellationToken);
        var priced = await h.Erp.CreateSalesOrderAsync(h.Order("store-1-1004", customer, sku, quantity: 3, price: 9.5m), TestContext.Current.CancellationToken);

        Assert.Equal(listPrice, decimal.Parse(listed.Document.Lines[0].UnitPrice.Amount, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("28.50", priced.Document.GrandTotal.Amount);
        Assert.Equal("USD", priced.Document.GrandTotal.CurrencyCode);
    }

    [Fact]
    public async Task Credit_limit_refusal_is_a_validation_error_with_the_erp_messages_and_a_draft_to_clean_up()
    {
        await using var h = await ErpHarness.StartAsync();
        var customer = h.ExhaustedBusiness();
        var request = h.Order("store-1-1005", customer, h.StockedSku(), quantity: 10, price: 1_000m);

        var error = await Assert.ThrowsAsync<ErpException>(() => h.Erp.CreateSalesOrderAsync(request, TestContext.Current.CancellationToken));
        var draft = await h.Erp.FindSalesOrderAsync("store-1-1005", TestContext.Current.CancellationToken);
        var cleanup = await h.Erp.CancelSalesOrderAsync(error.DocumentId!, TestContext.Current.CancellationToken);
        var gone = await h.Erp.FindSalesOrderAsync("store-1-1005", TestContext.Current.CancellationToken);

        Assert.Equal(ErpErrorKind.Validation, error.Kind);
        Assert.False(error.IsTransient);
        Assert.Equal(417, error.StatusCode);
        Assert.StartsWith($"Credit limit has been crossed for customer {customer} (", error.Messages[0], StringComparison.Ordinal);
        Assert.Contains("/100,000.00)", error.Messages[0], StringComparison.Ordinal);
        Assert.Equal(SalesOrderStatus.Draft, draft!.Status);
        Assert.Equal(draft.Id, error.DocumentId);
        Assert.Equal(SalesOrderCancelOutcome.DraftDeleted, cleanup);
        Assert.Null(gone);
    }

    [Fact]
    public async Task Cancelling_is_idempotent_and_releases_the_reservation()
    {
        await using var h = await ErpHarness.StartAsync();
        var sku = h.StockedSku();
        var created = await h.Erp.CreateSalesOrderAsync(h.Order("store-1-1006", h.GoodBusiness(), sku, quantity: 5), TestContext.Current.CancellationToken);
        var reserved = (await h.Erp.GetStockLevelsAsync([sku], TestContext.Current.CancellationToken)).Single(l => l.WarehouseId == ErpHarness.Newark).ErpReserved;

        var first = await h.Erp.CancelSalesOrderAsync(created.Document.Id, TestContext.Current.CancellationToken);
        var second = await h.Erp.CancelSalesOrderAsync(created.Document.Id, TestContext.Current.CancellationToken);
        var missing = await h.Erp.CancelSalesOrderAsync("SAL-ORD-1999-00001", TestContext.Current.CancellationToken);
        var released = (await h.Erp.GetStockLevelsAsync([sku], TestContext.Current.CancellationToken)).Single(l => l.WarehouseId == ErpHarness.Newark).ErpReserved;
        var order = await h.Erp.GetSalesOrderAsync(created.Document.Id, TestContext.Current.CancellationToken);

        Assert.Equal(SalesOrderCancelOutcome.Cancelled, first);
        Assert.Equal(SalesOrderCancelOutcome.AlreadyCancelled, second);
        Assert.Equal(SalesOrderCancelOutcome.NotFound, missing);
        Assert.Equal(reserved - 5, released);
        Assert.Equal(SalesOrderStatus.Cancelled, order!.Status);
    }

    [Fact]
    public async Task Unknown_item_is_a_validation_error_naming_it()
    {
        await using var h = await ErpHarness.StartAsync();

        var error = await Assert.ThrowsAsync<ErpException>(() =>
            h.Erp.CreateSalesOrderAsync(h.Order("store-1-1007", h.GoodBusiness(), "NOPE-0001"), TestContext.Current.CancellationToken));

        Assert.Equal(ErpErrorKind.Validation, error.Kind);
        Assert.Equal("LinkValidationError", error.RemoteErrorType);
        Assert.Equal("Could not find Item: NOPE-0001", Assert.Single(error.Messages));
    }

    [Theory]
    [InlineData("", "CUST-00002", 1)]
    [InlineData("store-1-1", "", 1)]
    [InlineData("store-1-1", "CUST-00002", 0)]
    public async Task Malformed_requests_are_refused_before_calling_the_erp(string externalRef, string customer, int quantity)
    {
        await using var h = await ErpHarness.StartAsync();

        await Assert.ThrowsAnyAsync<ArgumentException>(() =>
            h.Erp.CreateSalesOrderAsync(h.Order(externalRef, customer, "TSH-1001-XS-BLK", quantity), TestContext.Current.CancellationToken));
        Assert.Equal(0, ErpHarness.Count(await h.StatsAsync(), "POST"));
    }
}
