using System.Net;
using System.Text.Json;
using Storebridge.WooCommerce;
using Storebridge.WooCommerce.Http;
using Storebridge.WooCommerce.Models;
using static Storebridge.Sandbox.Store.Tests.TestStore;

namespace Storebridge.Sandbox.Store.Tests;

public sealed class RestApiTests
{
    [Fact]
    public async Task Request_without_credentials_is_refused_with_cannot_view()
    {
        await using var store = await StartAsync();
        using var http = new HttpClient { BaseAddress = store.BaseUrl };

        using var response = await http.GetAsync("wp-json/wc/v3/orders", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = await response.ReadAsync<WooError>();
        Assert.Equal("woocommerce_rest_cannot_view", error.Code);
        Assert.Equal(401, error.Data!.Status);
    }

    [Fact]
    public async Task Wrong_consumer_key_is_an_authentication_error()
    {
        await using var store = await StartAsync();
        using var http = new HttpClient { BaseAddress = store.BaseUrl };

        using var response = await http.GetAsync("wp-json/wc/v3/orders?consumer_key=ck_nope&consumer_secret=cs_nope", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("woocommerce_rest_authentication_error", (await response.ReadAsync<WooError>()).Code);
    }

    [Fact]
    public async Task Replayed_oauth_nonce_is_refused()
    {
        await using var store = await StartAsync();
        using var http = new HttpClient();
        var signed = WooOAuth1.Sign(HttpMethod.Get, new Uri(store.BaseUrl, "wp-json/wc/v3/webhooks"), store.Options.ConsumerKey, store.Options.ConsumerSecret, WooOAuth1.HmacSha256, DateTimeOffset.UtcNow, "nonce-1");

        using var first = await http.GetAsync(signed, Ct);
        using var replay = await http.GetAsync(signed, Ct);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Contains("nonce", (await replay.ReadAsync<WooError>()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oauth_timestamp_outside_fifteen_minutes_is_refused()
    {
        await using var store = await StartAsync();
        using var http = new HttpClient();
        var signed = WooOAuth1.Sign(HttpMethod.Get, new Uri(store.BaseUrl, "wp-json/wc/v3/webhooks"), store.Options.ConsumerKey, store.Options.ConsumerSecret, WooOAuth1.HmacSha256, DateTimeOffset.UtcNow.AddMinutes(-20), "nonce-2");

        using var response = await http.GetAsync(signed, Ct);

        Assert.Equal("Invalid timestamp.", (await response.ReadAsync<WooError>()).Message);
    }

    [Fact]
    public async Task Incomplete_oauth_parameters_are_named_in_the_error()
    {
        await using var store = await StartAsync();
        using var http = new HttpClient { BaseAddress = store.BaseUrl };

        using var response = await http.GetAsync($"wp-json/wc/v3/orders?oauth_consumer_key={store.Options.ConsumerKey}&oauth_nonce=n1", Ct);

        var error = await response.ReadAsync<WooError>();
        Assert.Equal("woocommerce_rest_authentication_missing_parameter", error.Code);
        Assert.Equal("Missing OAuth parameters oauth_timestamp, oauth_signature, oauth_signature_method", error.Message);
    }

    [Fact]
    public async Task Lists_carry_total_headers_and_prev_next_links()
    {
        await using var store = await StartAsync();
        using var http = store.Http();
        var total = Catalog.Items.Count(i => !i.Disabled);

        using var response = await http.GetAsync("wp-json/wc/v3/products?per_page=5&page=2&status=publish", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(total.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Headers.GetValues("X-WP-Total").Single());
        Assert.Equal(((int)Math.Ceiling(total / 5.0)).ToString(System.Globalization.CultureInfo.InvariantCulture), response.Headers.GetValues("X-WP-TotalPages").Single());
        var link = response.Headers.GetValues("Link").Single();
        Assert.Contains("page=1>; rel=\"prev\"", link, StringComparison.Ordinal);
        Assert.Contains("page=3>; rel=\"next\"", link, StringComparison.Ordinal);
        Assert.Contains("status=publish", link, StringComparison.Ordinal);
        Assert.Equal(5, (await response.ReadAsync<List<WooProduct>>()).Count);
    }

    [Fact]
    public async Task Page_past_the_end_and_oversized_pages_are_refused()
    {
        await using var store = await StartAsync();
        using var http = store.Http();

        using var pastEnd = await http.GetAsync("wp-json/wc/v3/products?per_page=100&page=9", Ct);
        using var tooBig = await http.GetAsync("wp-json/wc/v3/products?per_page=101", Ct);

        Assert.Equal("rest_post_invalid_page_number", (await pastEnd.ReadAsync<WooError>()).Code);
        Assert.Equal(HttpStatusCode.BadRequest, tooBig.StatusCode);
        Assert.Equal("rest_invalid_param", (await tooBig.ReadAsync<WooError>()).Code);
    }

    [Fact]
    public async Task Batch_over_the_limit_is_refused_with_413_and_changes_nothing()
    {
        await using var store = await StartAsync();
        using var http = store.Http();
        var items = Enumerable.Range(1, 101).Select(i => new WooProduct { Name = $"X{i}", Sku = $"X-{i}" }).ToList();

        using var response = await http.PostJsonAsync("wp-json/wc/v3/products/batch", new { create = items });
        using var lookup = await http.GetAsync("wp-json/wc/v3/products?sku=X-1", Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var error = await response.ReadAsync<WooError>();
        Assert.Equal("woocommerce_rest_request_entity_too_large", error.Code);
        Assert.Equal(413, error.Data!.Status);
        Assert.Empty(await lookup.ReadAsync<List<WooProduct>>());
    }

    [Fact]
    public async Task Batch_items_fail_one_by_one()
    {
        await using var store = await StartAsync();
        using var http = store.Http();

        using var response = await http.PostJsonAsync("wp-json/wc/v3/products/batch", new
        {
            create = new[] { new WooProduct { Name = "Dup", Sku = SimpleSku }, new WooProduct { Name = "New", Sku = "NEW-1" } },
            delete = new[] { 424242L },
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadAsync<JsonElement>();
        Assert.Equal("product_invalid_sku", body.GetProperty("create")[0].GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("NEW-1", body.GetProperty("create")[1].GetProperty("sku").GetString());
        Assert.Equal(404, body.GetProperty("delete")[0].GetProperty("error").GetProperty("data").GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Unknown_order_answers_the_woocommerce_error_body()
    {
        await using var store = await StartAsync();
        using var http = store.Http();

        using var response = await http.GetAsync("wp-json/wc/v3/orders/999999", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("""{"code":"woocommerce_rest_shop_order_invalid_id","message":"Invalid ID.","data":{"status":404}}""", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Outage_window_answers_503_until_it_ends()
    {
        await using var store = await StartAsync();
        using var http = store.Http();
        store.SetFaults(new FaultSettings { Outages = [new OutageWindow { StartAfterSeconds = 0, DurationSeconds = 3600 }] });

        using var down = await http.GetAsync("wp-json/wc/v3/orders", Ct);
        store.SetFaults(new FaultSettings());
        using var up = await http.GetAsync("wp-json/wc/v3/orders", Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal(HttpStatusCode.OK, up.StatusCode);
    }

    [Fact]
    public async Task Route_error_rate_hits_only_its_route()
    {
        await using var store = await StartAsync();
        using var http = store.Http();
        using var set = await http.PostJsonAsync("__admin/faults", new FaultSettings { RouteErrorRates = { ["GET orders"] = 1.0 } });

        using var orders = await http.GetAsync("wp-json/wc/v3/orders", Ct);
        using var products = await http.GetAsync("wp-json/wc/v3/products", Ct);
        using var current = await http.GetAsync("__admin/faults", Ct);

        Assert.Equal(HttpStatusCode.InternalServerError, orders.StatusCode);
        Assert.Equal(HttpStatusCode.OK, products.StatusCode);
        Assert.Equal(1.0, (await current.ReadAsync<FaultSettings>()).RouteErrorRates["GET orders"]);
    }

    [Fact]
    public async Task Throttle_answers_429_with_retry_after()
    {
        await using var store = await StartAsync(o => o.Faults = new FaultSettings { ThrottleNextRequests = 1, RetryAfterSeconds = 7 });
        using var http = store.Http();

        using var throttled = await http.GetAsync("wp-json/wc/v3/orders", Ct);
        using var next = await http.GetAsync("wp-json/wc/v3/orders", Ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), throttled.Headers.RetryAfter!.Delta);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }
}
