using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Storebridge.Erp.ErpNext;

namespace Storebridge.Erp.Tests;

public class RecordedPayloadTests
{
    private const string Secret = "s3cr3t-never-logged";

    private static (IErpSystem Erp, ServiceProvider Services) Build(RecordedResponses responses, Action<ErpNextOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Trace).AddFakeLogging());
        services.AddErpNext(o =>
            {
                o.BaseUrl = new Uri("https://erp.example.com");
                o.ApiKey = "k3y";
                o.ApiSecret = Secret;
                o.Company = "Storebridge Demo Inc.";
                o.MaxRetries = 2;
                o.RetryDelay = TimeSpan.FromMilliseconds(1);
                o.CreateAttempts = 1;
                configure?.Invoke(o);
            })
            .ConfigurePrimaryHttpMessageHandler(() => responses);
        var provider = services.BuildServiceProvider();
        return (provider.GetRequiredService<IErpSystem>(), provider);
    }

    [Theory]
    [InlineData("error-417-credit-limit.json", 417, ErpErrorKind.Validation, "ValidationError")]
    [InlineData("error-417-timestamp.json", 417, ErpErrorKind.Concurrency, "TimestampMismatchError")]
    [InlineData("error-417-mandatory.json", 417, ErpErrorKind.Validation, "MandatoryError")]
    [InlineData("error-409-duplicate.json", 409, ErpErrorKind.Conflict, "DuplicateEntryError")]
    [InlineData("error-404-not-found.json", 404, ErpErrorKind.NotFound, "DoesNotExistError")]
    [InlineData("error-403-permission.json", 403, ErpErrorKind.PermissionDenied, "PermissionError")]
    [InlineData("error-401-authentication.json", 401, ErpErrorKind.Unauthenticated, "AuthenticationError")]
    [InlineData("error-502-nginx.html", 502, ErpErrorKind.Unavailable, null)]
    public void Frappe_error_bodies_map_to_typed_errors(string fixture, int status, ErpErrorKind kind, string? excType)
    {
        var error = FrappeErrors.ToException((HttpStatusCode)status, RecordedResponses.Fixture(fixture), null, "test");

        Assert.Equal(kind, error.Kind);
        Assert.Equal(status, error.StatusCode);
        Assert.Equal(excType, error.RemoteErrorType);
        Assert.Equal(excType is not null, error.Messages.Count > 0);
    }

    [Fact]
    public void Server_messages_are_decoded_twice_and_stripped_of_markup()
    {
        var (excType, exception, messages) = FrappeErrors.Decode(RecordedResponses.Fixture("error-417-credit-limit.json"));
        var duplicate = FrappeErrors.Decode(RecordedResponses.Fixture("error-409-duplicate.json")).Messages;

        Assert.Equal("ValidationError", excType);
        Assert.StartsWith("frappe.exceptions.ValidationError", exception, StringComparison.Ordinal);
        Assert.Equal(
            [
                "Credit limit has been crossed for customer Acme Hardware Ltd (12,500.00/10,000.00)",
                "Please contact any of the following users to extend the credit limits for Acme Hardware Ltd: accounts@example.com",
            ],
            messages);
        Assert.Equal("Customer Acme Hardware Ltd already exists", Assert.Single(duplicate));
    }

    [Fact]
    public void Bodies_without_server_messages_fall_back_to_the_exception_line()
    {
        var (_, _, messages) = FrappeErrors.Decode("{\"exc_type\": \"ValidationError\", \"exception\": \"frappe.exceptions.ValidationError: Row #1: Qty must be positive\"}");
        var (_, _, none) = FrappeErrors.Decode("not json at all");

        Assert.Equal("Row #1: Qty must be positive", Assert.Single(messages));
        Assert.Empty(none);
    }

    [Fact]
    public async Task A_recorded_sales_order_maps_to_the_canonical_sales_order()
    {
        var responses = new RecordedResponses().On(HttpMethod.Get, "/api/resource/Sales Order/SAL-ORD-2025-00042", HttpStatusCode.OK, "sales-order.json");
        var (erp, services) = Build(responses);
        await using var _ = services;

        var order = await erp.GetSalesOrderAsync("SAL-ORD-2025-00042", TestContext.Current.CancellationToken);

        Assert.NotNull(order);
        Assert.Equal("store-1-58213", order.ExternalRef);
        Assert.Equal("Acme Hardware Ltd", order.CustomerId);
        Assert.Equal(SalesOrderStatus.Open, order.Status);
        Assert.Equal("80.28", order.GrandTotal.Amount);
        Assert.Equal(2, order.Lines.Count);
        Assert.Equal(("TSH-1001-M-BLK", 2m, "16.73", "Newark DC - SBD"), (order.Lines[0].Sku, order.Lines[0].Quantity, order.Lines[0].UnitPrice.Amount, order.Lines[0].WarehouseId));
        Assert.Equal(1m, order.Lines[1].DeliveredQuantity);
        Assert.Equal(new DateTimeOffset(2025, 3, 4, 10, 15, 2, 123, 456, TimeSpan.Zero), order.ModifiedAt);
        Assert.Equal("token k3y:" + Secret, responses.Requests.Single().Authorization);
    }

    [Fact]
    public async Task Recorded_bins_map_to_stock_levels()
    {
        var responses = new RecordedResponses().On(HttpMethod.Get, "/api/resource/Bin", HttpStatusCode.OK, "bin-list.json");
        var (erp, services) = Build(responses);
        await using var _ = services;

        var levels = await erp.GetStockLevelsAsync(["TSH-1001-M-BLK", "COF-1015-250G"], TestContext.Current.CancellationToken);

        Assert.Equal(3, levels.Count);
        Assert.Equal((14L, 2L, 12L), (levels[0].OnHand, levels[0].ErpReserved, levels[0].Available));
        Assert.Equal((0L, 3L, 0L), (levels[1].OnHand, levels[1].ErpReserved, levels[1].Available));
        Assert.Equal(7L, levels[2].OnHand);
        var query = Uri.UnescapeDataString(responses.Requests.Single().PathAndQuery);
        Assert.Contains("filters=[[\"item_code\",\"in\",[\"TSH-1001-M-BLK\",\"COF-1015-250G\"]]]", query, StringComparison.Ordinal);
        Assert.Contains("limit_page_length=", query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recorded_customer_and_open_documents_give_the_credit_exposure()
    {
        var responses = new RecordedResponses()
            .On(HttpMethod.Get, "/api/resource/Customer/Acme Hardware Ltd", HttpStatusCode.OK, "customer.json")
            .On(HttpMethod.Get, "/api/resource/Sales Invoice?", HttpStatusCode.OK, "sales-invoice-outstanding-list.json")
            .On(HttpMethod.Get, "/api/resource/Sales Order?", HttpStatusCode.OK, "sales-order-unbilled-list.json");
        var (erp, services) = Build(responses);
        await using var _ = services;

        var account = await erp.GetCustomerAsync("Acme Hardware Ltd", TestContext.Current.CancellationToken);

        Assert.Equal(Contracts.Common.V1.CustomerKind.Business, account!.Customer.Kind);
        Assert.Equal("10000.00", account.Customer.CreditLimit.Amount);
        Assert.Equal(10_000m, account.Credit!.Limit);
        // 4200 + 1299.50 unpaid, 80.28 + 60% of 1000 unbilled.
        Assert.Equal(6179.78m, account.Credit.Exposure);
        Assert.Equal(3820.22m, account.Credit.Available);
    }

    [Fact]
    public async Task Create_looks_up_by_external_reference_then_inserts_a_draft_then_submits_with_modified()
    {
        var responses = new RecordedResponses()
            .On(HttpMethod.Get, "/api/resource/Sales Order?", HttpStatusCode.OK, "{\"data\": []}")
            .On(HttpMethod.Post, "/api/resource/Sales Order", HttpStatusCode.OK, DraftOf("sales-order.json"))
            .On(HttpMethod.Put, "/api/resource/Sales Order/SAL-ORD-2025-00042", HttpStatusCode.OK, "sales-order.json");
        var (erp, services) = Build(responses);
        await using var _ = services;
        var request = new SalesOrderRequest("store-1-58213", "Acme Hardware Ltd", "USD", new DateOnly(2025, 3, 11),
            [new SalesOrderLineRequest("TSH-1001-M-BLK", 2, "Newark DC - SBD")], [new TaxCharge("US-NY-STATE TAX-1", 5.43m)]);

        var result = await erp.CreateSalesOrderAsync(request, TestContext.Current.CancellationToken);

        Assert.True(result.Created);
        Assert.Equal(SalesOrderStatus.Open, result.Document.Status);
        Assert.Equal([HttpMethod.Get, HttpMethod.Post, HttpMethod.Put], responses.Requests.Select(r => r.Method));
        Assert.Contains("filters=[[\"po_no\",\"=\",\"store-1-58213\"],[\"docstatus\",\"!=\",2]]", Uri.UnescapeDataString(responses.Requests[0].PathAndQuery), StringComparison.Ordinal);
        var posted = JsonNode.Parse(responses.Requests[1].Body!)!;
        Assert.Equal("store-1-58213", (string)posted["po_no"]!);
        Assert.Null(posted["docstatus"]);
        Assert.Equal("Sales Tax - SBD", (string)posted["taxes"]![0]!["account_head"]!);
        var submit = JsonNode.Parse(responses.Requests[2].Body!)!;
        Assert.Equal(1, (int)submit["docstatus"]!);
        Assert.Equal("2025-03-04 10:15:01.000000", (string)submit["modified"]!);
    }

    [Fact]
    public async Task A_proxy_error_page_on_reads_is_retried_then_unavailable()
    {
        var responses = new RecordedResponses().On(HttpMethod.Get, "/api/resource/Item/", HttpStatusCode.BadGateway, "error-502-nginx.html", "text/html");
        var (erp, services) = Build(responses, o => o.MaxRetries = 2);
        await using var _ = services;

        var error = await Assert.ThrowsAsync<ErpException>(() => erp.GetItemAsync("TSH-1001", TestContext.Current.CancellationToken));

        Assert.Equal(ErpErrorKind.Unavailable, error.Kind);
        Assert.Equal(3, responses.Count(HttpMethod.Get, "/api/resource/Item/TSH-1001"));
    }

    [Fact]
    public async Task A_failed_insert_is_never_retried_at_the_http_level()
    {
        var responses = new RecordedResponses()
            .On(HttpMethod.Get, "/api/resource/Sales Order?", HttpStatusCode.OK, "{\"data\": []}")
            .On(HttpMethod.Post, "/api/resource/Sales Order", HttpStatusCode.ServiceUnavailable, "error-502-nginx.html", "text/html");
        var (erp, services) = Build(responses, o =>
        {
            o.MaxRetries = 3;
            o.CreateAttempts = 1;
        });
        await using var _ = services;

        var error = await Assert.ThrowsAsync<ErpException>(() => erp.CreateSalesOrderAsync(
            new SalesOrderRequest("store-1-1", "Acme Hardware Ltd", "USD", new DateOnly(2025, 3, 11), [new SalesOrderLineRequest("TSH-1001-M-BLK", 1, "Newark DC - SBD")]),
            TestContext.Current.CancellationToken));

        Assert.Equal(ErpErrorKind.Unavailable, error.Kind);
        Assert.Equal(1, responses.Count(HttpMethod.Post, "/api/resource/Sales Order"));
    }

    [Fact]
    public async Task Rate_limited_reads_wait_and_retry_using_retry_after()
    {
        var calls = 0;
        var responses = new RecordedResponses();
        responses.On(HttpMethod.Get, "/api/resource/Item/", HttpStatusCode.TooManyRequests, "{}", header: ("Retry-After", "0"));
        var (erp, services) = Build(responses, o => o.MaxRetries = 1);
        await using var _ = services;

        var error = await Assert.ThrowsAsync<ErpException>(() => erp.GetItemAsync("TSH-1001", TestContext.Current.CancellationToken));
        calls = responses.Count(HttpMethod.Get, "/api/resource/Item/TSH-1001");

        Assert.Equal(ErpErrorKind.RateLimited, error.Kind);
        Assert.Equal(TimeSpan.Zero, error.RetryAfter);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task Credentials_never_reach_the_logs()
    {
        var responses = new RecordedResponses().On(HttpMethod.Get, "/api/resource/Sales Order/", HttpStatusCode.Forbidden, "error-403-permission.json");
        var (erp, services) = Build(responses);
        await using var _ = services;

        var error = await Assert.ThrowsAsync<ErpException>(() => erp.GetSalesOrderAsync("SAL-ORD-2025-00042", TestContext.Current.CancellationToken));
        var logs = services.GetFakeLogCollector().GetSnapshot();

        Assert.Equal(ErpErrorKind.PermissionDenied, error.Kind);
        Assert.NotEmpty(logs);
        Assert.Contains(logs, l => l.Message.Contains("Insufficient Permission for Sales Order", StringComparison.Ordinal));
        Assert.All(logs, l => Assert.DoesNotContain(Secret, l.Category + "::" + l.Message + string.Join(",", l.StructuredState ?? []), StringComparison.Ordinal));
    }

    [Fact]
    public void Missing_configuration_fails_at_start_with_a_clear_message()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddErpNext(o => o.ApiKey = "k");
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => provider.GetRequiredService<IErpSystem>());

        Assert.Contains("BaseUrl", error.Message, StringComparison.Ordinal);
    }

    private static string DraftOf(string fixture)
    {
        var doc = JsonNode.Parse(RecordedResponses.Fixture(fixture))!;
        doc["data"]!["docstatus"] = 0;
        doc["data"]!["status"] = "Draft";
        doc["data"]!["modified"] = "2025-03-04 10:15:01.000000";
        return doc.ToJsonString();
    }
}
