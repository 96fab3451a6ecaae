using Storebridge.Sandbox.Erp.Faults;

namespace Storebridge.Erp.Tests;

public class ResilienceTests
{
    [Fact]
    public async Task An_outage_is_retried_then_surfaces_as_unavailable()
    {
        await using var h = await ErpHarness.StartAsync(o => o.MaxRetries = 2);
        await h.PostAdminAsync("__admin/outage", new { seconds = 600 });

        var error = await Assert.ThrowsAsync<ErpException>(() => h.Erp.GetCustomerAsync("CUST-00001", TestContext.Current.CancellationToken));
        var stats = await h.StatsAsync();

        Assert.Equal(ErpErrorKind.Unavailable, error.Kind);
        Assert.True(error.IsTransient);
        Assert.Equal(503, error.StatusCode);
        Assert.Equal(3, stats["GET /api/resource/Customer/CUST-00001 -> 503"]);
    }

    [Fact]
    public async Task Creates_under_an_outage_retry_the_whole_lookup_and_never_post_blindly()
    {
        await using var h = await ErpHarness.StartAsync(o =>
        {
            o.MaxRetries = 1;
            o.CreateAttempts = 3;
        });
        h.Simulator.Faults = new ErpFaults { Errors = [new RouteErrorFault { Route = "POST /api/resource/Sales Order", Rate = 1.0, Status = 503 }] };

        var error = await Assert.ThrowsAsync<ErpException>(() =>
            h.Erp.CreateSalesOrderAsync(h.Order("store-1-2001", h.GoodBusiness(), h.StockedSku()), TestContext.Current.CancellationToken));
        var stats = await h.StatsAsync();

        Assert.Equal(ErpErrorKind.Unavailable, error.Kind);
        // One POST per create attempt, each after a fresh lookup: never a POST retried on its own.
        Assert.Equal(3, ErpHarness.Count(stats, "POST /api/resource/Sales Order"));
        Assert.Equal(3, ErpHarness.Count(stats, "GET /api/resource/Sales Order -> 200"));
    }

    [Fact]
    public async Task Flaky_reads_succeed_through_retries()
    {
        await using var h = await ErpHarness.StartAsync(o => o.MaxRetries = 10, s => s.Faults = new ErpFaults
        {
            Errors = [new RouteErrorFault { Route = "GET /api/resource/Customer", Rate = 0.5, Status = 500 }],
        });

        for (var i = 0; i < 5; i++)
        {
            var account = await h.Erp.GetCustomerAsync("CUST-00002", TestContext.Current.CancellationToken);
            Assert.NotNull(account);
        }

        var stats = await h.StatsAsync();
        Assert.Equal(5, stats["GET /api/resource/Customer/CUST-00002 -> 200"]);
    }

    [Fact]
    public async Task Rate_limiting_surfaces_as_rate_limited_with_the_retry_after()
    {
        await using var h = await ErpHarness.StartAsync(o => o.MaxRetries = 0, s => s.Faults = new ErpFaults
        {
            RateLimit = new RateLimitFault { Rate = 1.0, RetryAfterSeconds = 30 },
        });

        var error = await Assert.ThrowsAsync<ErpException>(() => h.Erp.GetItemAsync("TSH-1001", TestContext.Current.CancellationToken));

        Assert.Equal(ErpErrorKind.RateLimited, error.Kind);
        Assert.Equal(TimeSpan.FromSeconds(30), error.RetryAfter);
    }

    [Fact]
    public async Task Wrong_credentials_are_unauthenticated_and_not_retried()
    {
        await using var h = await ErpHarness.StartAsync(o => o.ApiSecret = "wrong-secret");

        var error = await Assert.ThrowsAsync<ErpException>(() => h.Erp.PingAsync(TestContext.Current.CancellationToken));
        var stats = await h.StatsAsync();

        Assert.Equal(ErpErrorKind.Unauthenticated, error.Kind);
        Assert.DoesNotContain("wrong-secret", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, ErpHarness.Count(stats, "GET /api/method/frappe.auth.get_logged_user"));
    }

    [Fact]
    public async Task Read_only_credentials_are_permission_denied_on_writes()
    {
        await using var h = await ErpHarness.StartAsync(o =>
        {
            o.ApiKey = "sandbox-readonly-key";
            o.ApiSecret = "sandbox-readonly-secret";
        });

        var error = await Assert.ThrowsAsync<ErpException>(() =>
            h.Erp.CreateSalesOrderAsync(h.Order("store-1-2002", h.GoodBusiness(), h.StockedSku()), TestContext.Current.CancellationToken));

        Assert.Equal(ErpErrorKind.PermissionDenied, error.Kind);
    }

    [Fact]
    public async Task Repeated_failures_open_the_circuit_and_calls_fail_fast_without_reaching_the_erp()
    {
        await using var h = await ErpHarness.StartAsync(o =>
        {
            o.MaxRetries = 0;
            o.CircuitBreakerMinimumThroughput = 2;
            o.CircuitBreakerFailureRatio = 0.5;
            o.CircuitBreakerBreakDuration = TimeSpan.FromMinutes(5);
        });
        await h.PostAdminAsync("__admin/outage", new { seconds = 600 });
        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<ErpException>(() => h.Erp.GetItemAsync("TSH-1001", TestContext.Current.CancellationToken));
        }

        using (var clear = await h.Admin.DeleteAsync("__admin/faults", TestContext.Current.CancellationToken))
        {
            clear.EnsureSuccessStatusCode();
        }

        var reached = ErpHarness.Count(await h.StatsAsync(), "GET /api/resource/Item/TSH-1001");
        var error = await Assert.ThrowsAsync<ErpException>(() => h.Erp.GetItemAsync("TSH-1001", TestContext.Current.CancellationToken));
        var reachedAfter = ErpHarness.Count(await h.StatsAsync(), "GET /api/resource/Item/TSH-1001");

        Assert.Equal(ErpErrorKind.Unavailable, error.Kind);
        Assert.Contains("circuit open", error.Message, StringComparison.Ordinal);
        Assert.Equal(reached, reachedAfter);
        Assert.True(reached < 3, $"the open circuit should have stopped calls reaching the ERP, but {reached} did");
    }

    [Fact]
    public async Task A_slow_erp_times_out_as_unavailable()
    {
        await using var h = await ErpHarness.StartAsync(
            o =>
            {
                o.MaxRetries = 0;
                o.AttemptTimeout = TimeSpan.FromMilliseconds(200);
            },
            s => s.Faults = new ErpFaults { Latency = new LatencyFault { MinMs = 5_000, MaxMs = 5_000 } });

        var error = await Assert.ThrowsAsync<ErpException>(() => h.Erp.PingAsync(TestContext.Current.CancellationToken));

        Assert.Equal(ErpErrorKind.Unavailable, error.Kind);
        Assert.Contains("timed out", error.Message, StringComparison.Ordinal);
    }
}
