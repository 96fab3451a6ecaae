using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;
using Storebridge.Sandbox.Store;
using Storebridge.WooCommerce.Mapping;
using Storebridge.WooCommerce.Models;

namespace Storebridge.WooCommerce.Tests;

public sealed class ClientAgainstSimulatorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Listing_follows_every_page()
    {
        await using var store = await Sandbox.StartStoreAsync();
        using var services = Sandbox.Services(store, s => s.PageSize = 7);

        var products = await services.Client().ListProductsAsync(cancellationToken: Ct).ToListAsync(Ct);

        var expected = Sandbox.Catalog.Items.Count(i => !i.Disabled);
        Assert.Equal(expected, products.Count);
        Assert.Equal(expected, products.Select(p => p.Id).Distinct().Count());
        Assert.Equal((int)Math.Ceiling(expected / 7.0), store.Count("GET", "products", 200));
    }

    [Fact]
    public async Task Batch_of_250_items_is_split_into_three_calls()
    {
        await using var store = await Sandbox.StartStoreAsync();
        using var services = Sandbox.Services(store);
        var batch = new WooBatch<WooProduct> { Create = [.. Enumerable.Range(1, 250).Select(i => new WooProduct { Name = $"Bulk {i}", Sku = $"BULK-{i:000}", RegularPrice = "5.00" })] };

        var result = await services.Client().BatchProductsAsync(batch, Ct);

        Assert.Equal(3, result.Calls);
        Assert.Equal(3, store.Count("POST", "products/batch", 200));
        Assert.Equal(250, result.Create.Count(r => r.Succeeded));
        Assert.Equal("BULK-250", result.Create[^1].Item!.Sku);
    }

    [Fact]
    public async Task Batch_reports_each_failed_item_and_keeps_the_others()
    {
        await using var store = await Sandbox.StartStoreAsync();
        using var services = Sandbox.Services(store);
        var client = services.Client();
        var existing = (await client.FindProductBySkuAsync(Sandbox.SimpleSku, Ct))!;
        var batch = new WooBatch<WooProduct>
        {
            Create = [new WooProduct { Name = "Duplicate", Sku = Sandbox.SimpleSku }, new WooProduct { Name = "Fresh", Sku = "FRESH-1" }],
            Update = [new WooProduct { Id = existing.Id, RegularPrice = "99.00" }, new WooProduct { Id = 999_999, RegularPrice = "1.00" }],
        };

        var result = await client.BatchProductsAsync(batch, Ct);

        Assert.Equal("product_invalid_sku", result.Create[0].Error!.Code);
        Assert.True(result.Create[1].Succeeded);
        Assert.Equal("99.00", result.Update[0].Item!.RegularPrice);
        Assert.Equal("woocommerce_rest_product_invalid_id", result.Update[1].Error!.Code);
        Assert.Equal(999_999, result.Update[1].Id);
        Assert.Equal(2, result.Failures.Count());
    }

    [Fact]
    public async Task Batch_refused_as_too_large_is_split_further()
    {
        await using var store = await Sandbox.StartStoreAsync(o => o.BatchLimit = 40);
        using var services = Sandbox.Services(store, s => s.BatchLimit = 100);
        var batch = new WooBatch<WooProduct> { Create = [.. Enumerable.Range(1, 100).Select(i => new WooProduct { Name = $"N{i}", Sku = $"N-{i}" })] };

        var result = await services.Client().BatchProductsAsync(batch, Ct);

        // 100 refused, 50 refused, then four calls of 25.
        Assert.Equal(100, result.Create.Count(r => r.Succeeded));
        Assert.Equal(2, store.Count("POST", "products/batch", 413));
        Assert.Equal(4, store.Count("POST", "products/batch", 200));
    }

    [Fact]
    public async Task Throttled_call_is_retried_after_retry_after()
    {
        await using var store = await Sandbox.StartStoreAsync();
        using var services = Sandbox.Services(store);
        var orderId = await store.CheckoutAsync(Sandbox.SimpleSku);
        store.SetFaults(new FaultSettings { ThrottleNextRequests = 1, RetryAfterSeconds = 1 });

        var order = await services.Client().GetOrderAsync(orderId, Ct);

        Assert.Equal(orderId, order.Id);
        Assert.Equal(1, store.Count("GET", "orders/{id}", 429));
        Assert.Equal(1, store.Count("GET", "orders/{id}", 200));
    }

    [Fact]
    public async Task Throttled_post_is_retried_because_the_store_did_not_apply_it()
    {
        await using var store = await Sandbox.StartStoreAsync();
        using var services = Sandbox.Services(store);
        var orderId = await store.CheckoutAsync(Sandbox.SimpleSku);
        store.SetFaults(new FaultSettings { ThrottleNextRequests = 1, RetryAfterSeconds = 0 });

        await services.Client().AddOrderNoteAsync(orderId, "ERP sales order SO-1 created", cancellationToken: Ct);

        Assert.Equal(1, store.Count("POST", "orders/{id}/notes", 429));
        Assert.Equal(1, store.Count("POST", "orders/{id}/notes", 201));
    }

    [Fact]
    public async Task Server_errors_on_reads_are_retried()
    {
        await using var store = await Sandbox.StartStoreAsync();
        using var services = Sandbox.Services(store);
        var client = services.Client();
        var product = (await client.FindProductBySkuAsync(Sandbox.SimpleSku, Ct))!;
        store.SetFaults(new FaultSettings { FailNextRequests = 2 });

        var again = await client.GetProductAsync(product.Id!.Value, Ct);

        Assert.Equal(product.Sku, again.Sku);
        Assert.Equal(2, store.Count("GET", "products/{id}", 500));
        Assert.Equal(1, store.Count("GET", "products/{id}", 200));
    }

    [Fact]
    public async Task Server_error_on_a_note_is_not_retried_because_it_may_have_been_applied()
    {
        await using var store = await Sandbox.StartStoreAsync();
        using var services = Sandbox.Services(store);
        var orderId = await store.CheckoutAsync(Sandbox.SimpleSku);
        store.SetFaults(new FaultSettings { FailNextRequests = 1 });

        var error = await Assert.ThrowsAsync<WooApiException>(() => services.Client().AddOrderNoteAsync(orderId, "note", cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.Equal(1, store.Count("POST", "orders/{id}/notes"));
    }

    [Fact]
    public async Task Circuit_opens_after_repeated_store_failures()
    {
        await using var store = await Sandbox.StartStoreAsync();
        using var services = Sandbox.Services(store, s => s.Resilience = new WooResilienceOptions
        {
            MaxRetryAttempts = 0,
            MinimumThroughput = 2,
            FailureRatio = 0.5,
            SamplingDuration = TimeSpan.FromSeconds(30),
            BreakDuration = TimeSpan.FromSeconds(30),
        });
        var client = services.Client();
        store.SetFaults(new FaultSettings { RouteErrorRates = { ["GET orders/{id}"] = 1.0 } });

        await Assert.ThrowsAsync<WooApiException>(() => client.GetOrderAsync(1, Ct));
        await Assert.ThrowsAsync<WooApiException>(() => client.GetOrderAsync(1, Ct));
        await Assert.ThrowsAsync<BrokenCircuitException>(() => client.GetOrderAsync(1, Ct));

        Assert.Equal(2, store.Count("GET", "orders/{id}"));
    }

    [Fact]
    public async Task Rate_limiter_holds_requests_over_the_rate()
    {
        await using var store = await Sandbox.StartStoreAsync();
        using var services = Sandbox.Services(store, s =>
        {
            s.RequestsPerSecond = 0.01;
            s.Burst = 2;
        });
        var client = services.Client();
        await client.ListWebhooksAsync(Ct);
        await client.ListWebhooksAsync(Ct);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var third = client.ListWebhooksAsync(cancel.Token);
        await Task.Delay(300, Ct);

        Assert.False(third.IsCompleted);
        Assert.Equal(2, store.Count("GET", "webhooks"));
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => third);
        Assert.Equal(2, store.Count("GET", "webhooks"));
    }

    [Theory]
    [InlineData(WooAuthMode.OAuth1HmacSha256)]
    [InlineData(WooAuthMode.OAuth1HmacSha1)]
    public async Task OAuth1_signed_requests_are_verified_by_the_store(WooAuthMode mode)
    {
        await using var store = await Sandbox.StartStoreAsync(o => o.StrictHttpAuth = true);
        using var services = Sandbox.Services(store, s => s.AuthMode = mode);

        var products = await services.Client().ListProductsAsync([new("modified_after", "2020-01-01T00:00:00"), new("status", "publish")], Ct).ToListAsync(Ct);

        Assert.NotEmpty(products);
        Assert.Equal(0, store.Count("GET", "products", 401));
    }

    [Fact]
    public async Task Basic_auth_over_plain_http_is_refused_by_a_strict_store()
    {
        await using var store = await Sandbox.StartStoreAsync(o => o.StrictHttpAuth = true);
        using var services = Sandbox.Services(store, s => s.AuthMode = WooAuthMode.Basic);

        var error = await Assert.ThrowsAsync<WooApiException>(() => services.Client().ListWebhooksAsync(Ct));

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Equal("woocommerce_rest_cannot_view", error.Code);
    }

    [Fact]
    public async Task Wrong_secret_is_rejected_once_with_the_woocommerce_error()
    {
        await using var store = await Sandbox.StartStoreAsync();
        using var services = Sandbox.Services(store, s =>
        {
            s.AuthMode = WooAuthMode.OAuth1HmacSha256;
            s.ConsumerSecret = "cs_wrong";
        });

        var error = await Assert.ThrowsAsync<WooApiException>(() => services.Client().ListWebhooksAsync(Ct));

        Assert.Equal("woocommerce_rest_authentication_error", error.Code);
        Assert.Equal(1, store.Count("GET", "webhooks", 401));
    }

    [Fact]
    public async Task Query_string_keys_authenticate()
    {
        await using var store = await Sandbox.StartStoreAsync();
        using var services = Sandbox.Services(store, s => s.AuthMode = WooAuthMode.QueryString);

        Assert.Empty(await services.Client().ListWebhooksAsync(Ct));
    }

    [Theory]
    [InlineData(WooAuthMode.QueryString)]
    [InlineData(WooAuthMode.Basic)]
    [InlineData(WooAuthMode.OAuth1HmacSha256)]
    public async Task Credentials_never_reach_the_logs_even_when_calls_fail_and_retry(WooAuthMode mode)
    {
        await using var store = await Sandbox.StartStoreAsync();
        using var services = Sandbox.Services(store, s => s.AuthMode = mode, more: s => s.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddFakeLogging()));
        store.SetFaults(new FaultSettings { FailNextRequests = 1, ThrottleNextRequests = 1, RetryAfterSeconds = 0 });

        await services.Client().ListWebhooksAsync(Ct);
        await Assert.ThrowsAsync<WooApiException>(() => services.Client().GetOrderAsync(424242, Ct));

        var logs = services.GetRequiredService<FakeLogCollector>().GetSnapshot();
        Assert.NotEmpty(logs);
        Assert.All(logs, record =>
        {
            Assert.DoesNotContain(store.Options.ConsumerSecret, record.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("consumer_secret", record.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("oauth_signature", record.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Modified_after_lists_only_orders_changed_since_the_cursor()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero));
        await using var store = await Sandbox.StartStoreAsync(o => o.TimeProvider = time);
        using var services = Sandbox.Services(store, time: time);
        var client = services.Client();
        var early = await store.CheckoutAsync(Sandbox.SimpleSku);
        var touched = await store.CheckoutAsync(Sandbox.SimpleSku);
        time.Advance(TimeSpan.FromMinutes(5));
        var cursor = time.GetUtcNow();
        time.Advance(TimeSpan.FromMinutes(5));
        await client.UpdateOrderStatusAsync(touched, "completed", Ct);
        time.Advance(TimeSpan.FromMinutes(1));
        var late = await store.CheckoutAsync(Sandbox.VariantSku);

        var changed = await client.ListOrdersModifiedAfterAsync(cursor, Ct).ToListAsync(Ct);

        Assert.Equal([touched, late], changed.Select(o => o.Id!.Value));
        Assert.DoesNotContain(early, changed.Select(o => o.Id!.Value));
    }

    [Fact]
    public async Task Variations_are_listed_created_and_updated()
    {
        await using var store = await Sandbox.StartStoreAsync();
        using var services = Sandbox.Services(store, s => s.PageSize = 2);
        var client = services.Client();
        var parent = store.Stock(Sandbox.VariantSku)!.ProductId;
        var before = await client.ListVariationsAsync(parent, cancellationToken: Ct).ToListAsync(Ct);

        var created = await client.CreateVariationAsync(parent, new WooVariation { Sku = "NEW-VAR-1", RegularPrice = "19.99", ManageStock = true, StockQuantity = 4 }, Ct);
        var updated = await client.UpdateVariationAsync(parent, created.Id!.Value, new WooVariation { SalePrice = "14.99" }, Ct);
        var after = await client.ListVariationsAsync(parent, cancellationToken: Ct).ToListAsync(Ct);

        Assert.Equal(Sandbox.Catalog.Items.Single(i => i.Variants.Any(v => v.Sku == Sandbox.VariantSku)).Variants.Count, before.Count);
        Assert.Equal(parent, created.ParentId);
        Assert.Equal("14.99", updated.Price);
        Assert.Equal(before.Count + 1, after.Count);
        Assert.Equal("14.99", (await client.GetVariationAsync(parent, created.Id.Value, Ct)).SalePrice);
    }

    [Fact]
    public async Task Stock_updates_reach_products_and_variations()
    {
        await using var store = await Sandbox.StartStoreAsync();
        using var services = Sandbox.Services(store);
        var simple = store.Stock(Sandbox.SimpleSku)!;
        var variant = store.Stock(Sandbox.VariantSku)!;

        var results = await services.Client().SetStockAsync(
        [
            new WooStockUpdate(simple.ProductId, null, 7),
            new WooStockUpdate(variant.ProductId, variant.VariationId, 0),
            new WooStockUpdate(variant.ProductId, 424_242, 3),
        ], Ct);

        Assert.Equal(7, store.Stock(Sandbox.SimpleSku)!.StockQuantity);
        Assert.Equal(0, store.Stock(Sandbox.VariantSku)!.StockQuantity);
        Assert.Equal("outofstock", store.Stock(Sandbox.VariantSku)!.StockStatus);
        Assert.Equal("woocommerce_rest_product_variation_invalid_id", Assert.Single(results, r => r.Error is not null).Error!.Code);
    }

    [Fact]
    public async Task Orders_notes_refunds_and_status_round_trip()
    {
        await using var store = await Sandbox.StartStoreAsync();
        using var services = Sandbox.Services(store);
        var client = services.Client();
        var orderId = await store.CheckoutAsync(Sandbox.SimpleSku, quantity: 2);
        var order = await client.GetOrderAsync(orderId, Ct);

        await client.AddOrderNoteAsync(orderId, "Reserved in ERP", cancellationToken: Ct);
        var refund = await client.CreateRefundAsync(orderId, new WooRefund
        {
            Reason = "damaged",
            LineItems = [new WooRefundLine { Id = order.LineItems![0].Id, Quantity = 1, RefundTotal = "1.00" }],
            ApiRestock = true,
        }, Ct);
        var updated = await client.UpdateOrderStatusAsync(orderId, "completed", Ct);

        Assert.Equal("processing", order.Status);
        Assert.Equal("1.00", refund.Amount);
        Assert.Equal("completed", updated.Status);
        Assert.Equal("-1.00", Assert.Single(updated.Refunds!).Total);
        Assert.Contains(await client.ListOrderNotesAsync(orderId, Ct), n => n.Note == "Reserved in ERP");
        Assert.Single(await client.ListRefundsAsync(orderId, Ct));
    }

    [Fact]
    public async Task Missing_order_raises_the_stores_error_code()
    {
        await using var store = await Sandbox.StartStoreAsync();
        using var services = Sandbox.Services(store);

        var error = await Assert.ThrowsAsync<WooApiException>(() => services.Client().GetOrderAsync(987_654, Ct));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Equal("woocommerce_rest_shop_order_invalid_id", error.Code);
        Assert.Equal(1, store.Count("GET", "orders/{id}"));
    }

    [Fact]
    public async Task Customers_are_created_read_and_listed_by_email()
    {
        await using var store = await Sandbox.StartStoreAsync();
        using var services = Sandbox.Services(store);
        var client = services.Client();

        var created = await client.CreateCustomerAsync(new WooCustomer { Email = "new.buyer@example.com", FirstName = "New", Billing = new WooAddress { Company = "Buyer BV", Country = "NL" } }, Ct);
        var found = await client.ListCustomersAsync([new("email", "new.buyer@example.com")], Ct).ToListAsync(Ct);

        Assert.Equal("Buyer BV", (await client.GetCustomerAsync(created.Id!.Value, Ct)).Billing!.Company);
        Assert.Equal(created.Id, Assert.Single(found).Id);
    }

    [Fact]
    public async Task Disabled_webhook_is_reactivated()
    {
        await using var store = await Sandbox.StartStoreAsync();
        using var services = Sandbox.Services(store);
        var client = services.Client();
        var webhook = await client.CreateWebhookAsync(new WooWebhook { Name = "orders", Topic = "order.updated", DeliveryUrl = "http://127.0.0.1:9/hook", Status = "disabled" }, Ct);

        var reactivated = await client.ReactivateWebhookAsync(webhook.Id!.Value, Ct);

        Assert.Equal("disabled", webhook.Status);
        Assert.Equal("active", reactivated.Status);
        Assert.Equal("active", Assert.Single(await client.ListWebhooksAsync(Ct)).Status);
    }

    [Fact]
    public async Task Ensure_webhook_creates_then_leaves_alone_then_reactivates()
    {
        await using var store = await Sandbox.StartStoreAsync();
        using var services = Sandbox.Services(store);
        var client = services.Client();
        var url = new Uri("http://127.0.0.1:9/webhooks/woocommerce");

        var first = await client.EnsureWebhookAsync("order.updated", url, "s3cret", cancellationToken: Ct);
        var second = await client.EnsureWebhookAsync("order.updated", url, "s3cret", cancellationToken: Ct);
        await Sandbox.Eventually(() => Task.FromResult(store.Deliveries.Any(d => d.Topic == "ping")));
        using (var http = new HttpClient { BaseAddress = store.BaseUrl })
        {
            http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{store.Options.ConsumerKey}:{store.Options.ConsumerSecret}")));
            using var disable = await http.PutAsync($"wp-json/wc/v3/webhooks/{first.Webhook.Id}", System.Net.Http.Json.JsonContent.Create(new { status = "disabled" }), Ct);
        }

        var third = await client.EnsureWebhookAsync("order.updated", url, "s3cret", cancellationToken: Ct);

        Assert.Equal(WooWebhookAction.Created, first.Action);
        Assert.Equal(WooWebhookAction.None, second.Action);
        Assert.Equal(WooWebhookAction.Reactivated, third.Action);
        Assert.Equal("active", third.Webhook.Status);
        Assert.Equal(0, third.Webhook.FailureCount);
        Assert.Single(await client.ListWebhooksAsync(Ct));
    }

    [Fact]
    public async Task Simulator_order_maps_to_a_canonical_business_order()
    {
        await using var store = await Sandbox.StartStoreAsync();
        using var services = Sandbox.Services(store);
        var business = Sandbox.Catalog.Customers.First(c => c.Kind == Storebridge.Sandbox.Seed.SeedCustomerKind.Business);
        var orderId = await store.CheckoutAsync(Sandbox.VariantSku, quantity: 3, customerId: 2);

        var json = await services.Client().GetOrderJsonAsync(orderId, Ct);
        var result = WooOrderMapper.Map(Sandbox.StoreId, json);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal($"sandbox-{orderId}", result.Order!.OrderRef);
        Assert.Equal(Contracts.Common.V1.CustomerKind.Business, result.Order.Customer.Kind);
        Assert.Equal(business.Email, result.Order.Customer.Email);
        Assert.Equal(Sandbox.VariantSku, result.Order.Lines[0].Sku);
        Assert.Equal(3, result.Order.Lines[0].Quantity);
    }
}
