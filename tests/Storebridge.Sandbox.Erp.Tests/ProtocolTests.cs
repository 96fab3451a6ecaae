using System.Net;
using System.Text.Json.Nodes;
using Storebridge.Sandbox.Erp.Faults;
using static Storebridge.Sandbox.Erp.Tests.SimulatorClient;

namespace Storebridge.Sandbox.Erp.Tests;

public class ProtocolTests
{
    [Fact]
    public async Task Lists_return_names_by_default_and_page_with_limit_start()
    {
        await using var erp = await StartAsync();
        var all = erp.Data.Items.Count + erp.Data.Items.Sum(i => i.Variants.Count);

        var defaultPage = (await erp.OkAsync(HttpMethod.Get, Resource("Item")))["data"]!.AsArray();
        var pages = new List<string>();
        for (var start = 0; ; start += 50)
        {
            var page = (await erp.OkAsync(HttpMethod.Get, Resource("Item") + Query(("order_by", "name asc"), ("limit_start", start.ToString()), ("limit_page_length", "50"))))["data"]!.AsArray();
            pages.AddRange(page.Select(r => (string)r!["name"]!));
            if (page.Count < 50)
            {
                break;
            }
        }

        Assert.Equal(20, defaultPage.Count);
        Assert.All(defaultPage, row => Assert.Equal(["name"], row!.AsObject().Select(p => p.Key)));
        Assert.Equal(all, pages.Count);
        Assert.Equal(pages.Order(StringComparer.Ordinal), pages);
        Assert.Equal(all, pages.Distinct().Count());
    }

    [Fact]
    public async Task Fields_filters_and_order_by_work_like_frappe()
    {
        await using var erp = await StartAsync();
        var template = erp.Data.Items.First(i => i.HasVariants);

        var variants = (await erp.OkAsync(HttpMethod.Get, Resource("Item") + Query(
            ("fields", new[] { "name", "variant_of", "disabled" }),
            ("filters", new[] { new[] { "Item", "variant_of", "=", template.Sku } }),
            ("order_by", "name desc"),
            ("limit_page_length", "0"))))["data"]!.AsArray();
        var dictFilter = (await erp.OkAsync(HttpMethod.Get, Resource("Item") + Query(
            ("filters", new Dictionary<string, string> { ["variant_of"] = template.Sku }),
            ("limit_page_length", "0"))))["data"]!.AsArray();
        var like = (await erp.OkAsync(HttpMethod.Get, Resource("Item") + Query(
            ("filters", new[] { new[] { "name", "like", template.Sku + "-%" } }),
            ("limit_page_length", "0"))))["data"]!.AsArray();

        Assert.Equal(template.Variants.Count, variants.Count);
        Assert.Equal(template.Variants.Select(v => v.Sku).OrderDescending(StringComparer.Ordinal), variants.Select(v => (string)v!["name"]!));
        Assert.All(variants, v => Assert.Equal(3, v!.AsObject().Count));
        Assert.Equal(template.Variants.Count, dictFilter.Count);
        Assert.Equal(template.Variants.Count, like.Count);
    }

    [Fact]
    public async Task Missing_token_is_403_wrong_secret_is_401_and_read_only_users_cannot_write()
    {
        await using var erp = await StartAsync();
        using var anonymous = new HttpClient { BaseAddress = erp.Simulator.BaseUrl };
        using var wrong = new HttpClient { BaseAddress = erp.Simulator.BaseUrl };
        wrong.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"token {erp.Simulator.ApiKey}:not-the-secret");
        using var readOnly = new HttpClient { BaseAddress = erp.Simulator.BaseUrl };
        readOnly.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "token sandbox-readonly-key:sandbox-readonly-secret");

        var (anonymousStatus, anonymousBody) = await erp.SendAsync(HttpMethod.Get, Resource("Customer"), client: anonymous);
        var (wrongStatus, wrongBody) = await erp.SendAsync(HttpMethod.Get, Resource("Customer"), client: wrong);
        var (readStatus, _) = await erp.SendAsync(HttpMethod.Get, Resource("Customer"), client: readOnly);
        var (writeStatus, writeBody) = await erp.SendAsync(HttpMethod.Post, Resource("Customer"), new { customer_name = "Nope" }, readOnly);

        Assert.Equal(HttpStatusCode.Forbidden, anonymousStatus);
        Assert.Equal("PermissionError", (string)anonymousBody["exc_type"]!);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongStatus);
        Assert.Equal("AuthenticationError", (string)wrongBody["exc_type"]!);
        Assert.Equal(HttpStatusCode.OK, readStatus);
        Assert.Equal(HttpStatusCode.Forbidden, writeStatus);
        Assert.Equal("PermissionError", (string)writeBody["exc_type"]!);
    }

    [Theory]
    [InlineData("{\"customer\": ", "application/json", "not valid JSON")]
    [InlineData("[1,2,3]", "application/json", "must be a JSON object")]
    [InlineData("customer=CUST-00001", "application/x-www-form-urlencoded", "must be JSON")]
    public async Task Bad_bodies_get_a_clear_417_and_never_a_500(string body, string contentType, string expected)
    {
        await using var erp = await StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, Resource("Sales Order"))
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, contentType),
        };

        using var response = await erp.Http.SendAsync(request, TestContext.Current.CancellationToken);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsObject();

        Assert.Equal(HttpStatusCode.ExpectationFailed, response.StatusCode);
        Assert.Contains(expected, ServerMessages(json).Single(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("filters", "[[\"name\",\"=\"")]
    [InlineData("filters", "[[\"name\",\"drop table\",\"x\"]]")]
    [InlineData("fields", "[\"name; drop\"]")]
    [InlineData("limit_start", "-5")]
    [InlineData("order_by", "name sideways")]
    public async Task Bad_list_parameters_get_a_clear_417(string parameter, string value)
    {
        await using var erp = await StartAsync();

        var (status, body) = await erp.SendAsync(HttpMethod.Get, Resource("Item") + $"?{parameter}={Uri.EscapeDataString(value)}");

        Assert.Equal(HttpStatusCode.ExpectationFailed, status);
        Assert.NotEmpty(ServerMessages(body).Single());
    }

    [Fact]
    public async Task Body_over_the_limit_is_413()
    {
        await using var erp = await StartAsync(o => o.MaxRequestBodyBytes = 1024);
        var big = new { customer = new string('x', 4096) };

        var (status, _) = await erp.SendAsync(HttpMethod.Post, Resource("Customer"), big);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
    }

    [Fact]
    public async Task Outage_window_answers_503_html_until_it_ends()
    {
        await using var erp = await StartAsync();
        await erp.OkAsync(HttpMethod.Post, "__admin/outage", new { seconds = 600 });

        var (down, body) = await erp.SendAsync(HttpMethod.Get, Resource("Item"));
        await erp.SendAsync(HttpMethod.Delete, "__admin/faults");
        var (up, _) = await erp.SendAsync(HttpMethod.Get, Resource("Item"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, down);
        Assert.Contains("nginx", (string)body["raw"]!, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, up);
    }

    [Fact]
    public async Task Rate_limit_answers_429_with_retry_after()
    {
        await using var erp = await StartAsync(o => o.Faults = new ErpFaults { RateLimit = new RateLimitFault { Rate = 1.0, RetryAfterSeconds = 7 } });
        using var request = new HttpRequestMessage(HttpMethod.Get, Resource("Item"));

        using var response = await erp.Http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Error_rate_applies_only_to_the_matching_route()
    {
        await using var erp = await StartAsync();
        erp.Simulator.Faults = new ErpFaults { Errors = [new RouteErrorFault { Route = "GET /api/resource/Bin", Rate = 1.0, Status = 500 }] };

        var (bins, body) = await erp.SendAsync(HttpMethod.Get, Resource("Bin"));
        var (items, _) = await erp.SendAsync(HttpMethod.Get, Resource("Item"));

        Assert.Equal(HttpStatusCode.InternalServerError, bins);
        Assert.Equal("OperationalError", (string)body["exc_type"]!);
        Assert.Equal(HttpStatusCode.OK, items);
    }

    [Fact]
    public async Task After_commit_fault_applies_the_write_but_loses_the_response()
    {
        await using var erp = await StartAsync();
        erp.Simulator.Faults = new ErpFaults { Errors = [new RouteErrorFault { Route = "POST /api/resource/Customer", Rate = 1.0, Status = 502, AfterCommit = true }] };

        var (status, _) = await erp.SendAsync(HttpMethod.Post, Resource("Customer"), new { customer_name = "Lost Response Ltd" });
        erp.Simulator.Faults = new ErpFaults();
        var stored = await erp.GetDocAsync("Customer", "Lost Response Ltd");

        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.Equal("Lost Response Ltd", (string)stored["customer_name"]!);
    }

    [Fact]
    public async Task Slow_batch_delays_long_lists_only()
    {
        await using var erp = await StartAsync(o => o.Faults = new ErpFaults { SlowBatch = new SlowBatchFault { MsPerRow = 1_000, MinRows = 10 } });
        using var impatient = new HttpClient { BaseAddress = erp.Simulator.BaseUrl, Timeout = TimeSpan.FromSeconds(3) };
        impatient.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", erp.Simulator.AuthorizationHeader);

        var (shortList, _) = await erp.SendAsync(HttpMethod.Get, Resource("Item") + Query(("limit_page_length", "5")), client: impatient);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => erp.SendAsync(HttpMethod.Get, Resource("Item") + Query(("limit_page_length", "50")), client: impatient));

        Assert.Equal(HttpStatusCode.OK, shortList);
    }

    [Fact]
    public async Task Admin_faults_reject_nonsense_and_keep_the_previous_settings()
    {
        await using var erp = await StartAsync();

        var (status, body) = await erp.SendAsync(HttpMethod.Post, "__admin/faults", new { errors = new[] { new { route = "*", rate = 3.0, status = 500 } } });
        var (shipStatus, _) = await erp.SendAsync(HttpMethod.Post, "__admin/ship", new { salesOrder = "SAL-ORD-1999-00001" });
        var (items, _) = await erp.SendAsync(HttpMethod.Get, Resource("Item"));

        Assert.Equal(HttpStatusCode.ExpectationFailed, status);
        Assert.Contains("between 0 and 1", ServerMessages(body).Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, shipStatus);
        Assert.Equal(HttpStatusCode.OK, items);
    }

    [Theory]
    [InlineData("__admin/faults", "{\"errors\": 12")]
    [InlineData("__admin/ship", "{}")]
    [InlineData("__admin/stock", "{\"sku\": \"TSH-1001-XS-BLK\", \"warehouse\": \"Newark DC - SBD\"}")]
    [InlineData("__admin/stock", "{\"sku\": \"NOPE\", \"warehouse\": \"Newark DC - SBD\", \"delta\": 1}")]
    [InlineData("__admin/outage", "{\"seconds\": -1}")]
    public async Task Bad_admin_requests_get_a_4xx_never_a_500(string path, string body)
    {
        await using var erp = await StartAsync();

        var (status, _) = await erp.SendAsync(HttpMethod.Post, path, body);

        Assert.InRange((int)status, 400, 499);
    }

    [Fact]
    public async Task Simulator_refuses_to_listen_beyond_loopback()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => ErpSimulator.StartAsync(new ErpSimulatorOptions { Urls = "http://0.0.0.0:0" }, TestContext.Current.CancellationToken));
    }
}
