using System.Net;
using System.Text;
using Dapr;
using Dapr.Client;
using Grpc.Core;
using Storebridge.Sidecar.Hosting;

namespace Storebridge.Sidecar.Tests;

public sealed class StateTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DaprClient_saves_reads_and_deletes_state()
    {
        using var res = new TempResources();
        await using var host = await SidecarHost.StartAsync(res.Options("orders"), Ct);
        using var dapr = Clients.Dapr(host);

        await dapr.SaveStateAsync("statestore", "order-1", new Order("order-1", 42), cancellationToken: Ct);
        var (order, etag) = await dapr.GetStateAndETagAsync<Order>("statestore", "order-1", cancellationToken: Ct);
        Assert.Equal(new Order("order-1", 42), order);
        Assert.False(string.IsNullOrEmpty(etag));

        await dapr.DeleteStateAsync("statestore", "order-1", cancellationToken: Ct);
        Assert.Null(await dapr.GetStateAsync<Order>("statestore", "order-1", cancellationToken: Ct));
    }

    [Fact]
    public async Task Stale_etag_is_rejected_with_Aborted_and_TrySave_returns_false()
    {
        using var res = new TempResources();
        await using var host = await SidecarHost.StartAsync(res.Options("orders"), Ct);
        using var dapr = Clients.Dapr(host);
        await dapr.SaveStateAsync("statestore", "k", new Order("a", 1), cancellationToken: Ct);
        var (_, first) = await dapr.GetStateAndETagAsync<Order>("statestore", "k", cancellationToken: Ct);

        Assert.True(await dapr.TrySaveStateAsync("statestore", "k", new Order("a", 2), first, cancellationToken: Ct));
        Assert.False(await dapr.TrySaveStateAsync("statestore", "k", new Order("a", 3), first, cancellationToken: Ct));

        var ex = await Assert.ThrowsAsync<DaprException>(() => dapr.SaveStateAsync("statestore", "k", new Order("a", 4),
            new StateOptions { Concurrency = ConcurrencyMode.FirstWrite }, metadata: null, cancellationToken: Ct));
        Assert.Equal(StatusCode.Aborted, Assert.IsType<RpcException>(ex.InnerException).StatusCode);
        Assert.Equal(2, (await dapr.GetStateAsync<Order>("statestore", "k", cancellationToken: Ct)).Total);
        Assert.False(await dapr.TryDeleteStateAsync("statestore", "k", first, cancellationToken: Ct));
    }

    [Fact]
    public async Task First_write_without_etag_only_creates()
    {
        using var res = new TempResources();
        await using var host = await SidecarHost.StartAsync(res.Options("orders"), Ct);
        using var dapr = Clients.Dapr(host);
        var firstWrite = new StateOptions { Concurrency = ConcurrencyMode.FirstWrite };

        await dapr.SaveStateAsync("statestore", "new", new Order("n", 1), firstWrite, cancellationToken: Ct);
        await Assert.ThrowsAsync<DaprException>(() => dapr.SaveStateAsync("statestore", "new", new Order("n", 2), firstWrite, cancellationToken: Ct));
        Assert.Equal(1, (await dapr.GetStateAsync<Order>("statestore", "new", cancellationToken: Ct)).Total);
    }

    [Fact]
    public async Task Transaction_with_one_stale_etag_applies_nothing()
    {
        using var res = new TempResources();
        await using var host = await SidecarHost.StartAsync(res.Options("orders"), Ct);
        using var dapr = Clients.Dapr(host);
        await dapr.SaveStateAsync("statestore", "a", new Order("a", 1), cancellationToken: Ct);
        await dapr.SaveStateAsync("statestore", "b", new Order("b", 1), cancellationToken: Ct);

        var ops = new List<StateTransactionRequest>
        {
            new("a", Encoding.UTF8.GetBytes("""{"id":"a","total":99}"""), StateOperationType.Upsert),
            new("c", Encoding.UTF8.GetBytes("""{"id":"c","total":99}"""), StateOperationType.Upsert),
            new("b", null, StateOperationType.Delete, etag: "stale"),
        };
        await Assert.ThrowsAsync<DaprException>(() => dapr.ExecuteStateTransactionAsync("statestore", ops, cancellationToken: Ct));

        Assert.Equal(1, (await dapr.GetStateAsync<Order>("statestore", "a", cancellationToken: Ct)).Total);
        Assert.NotNull(await dapr.GetStateAsync<Order>("statestore", "b", cancellationToken: Ct));
        Assert.Null(await dapr.GetStateAsync<Order>("statestore", "c", cancellationToken: Ct));

        ops[2] = new("b", null, StateOperationType.Delete);
        await dapr.ExecuteStateTransactionAsync("statestore", ops, cancellationToken: Ct);
        Assert.Equal(99, (await dapr.GetStateAsync<Order>("statestore", "c", cancellationToken: Ct)).Total);
        Assert.Null(await dapr.GetStateAsync<Order>("statestore", "b", cancellationToken: Ct));
    }

    [Fact]
    public async Task Bulk_get_returns_every_key_with_data_only_for_existing_ones()
    {
        using var res = new TempResources();
        await using var host = await SidecarHost.StartAsync(res.Options("orders"), Ct);
        using var dapr = Clients.Dapr(host);
        await dapr.SaveStateAsync("statestore", "x", new Order("x", 1), cancellationToken: Ct);

        var items = await dapr.GetBulkStateAsync("statestore", ["x", "missing"], parallelism: 2, cancellationToken: Ct);

        Assert.Equal(2, items.Count);
        Assert.Contains("\"total\":1", items.Single(i => i.Key == "x").Value, StringComparison.Ordinal);
        Assert.True(string.IsNullOrEmpty(items.Single(i => i.Key == "missing").Value));
    }

    [Fact]
    public async Task State_is_isolated_per_app_id_with_the_dapr_key_scheme()
    {
        using var res = new TempResources();
        await using var orders = await SidecarHost.StartAsync(res.Options("orders"), Ct);
        await using var finance = await SidecarHost.StartAsync(res.Options("finance"), Ct);
        using var ordersClient = Clients.Dapr(orders);
        using var financeClient = Clients.Dapr(finance);

        await ordersClient.SaveStateAsync("statestore", "shared-name", new Order("o", 1), cancellationToken: Ct);

        Assert.Null(await financeClient.GetStateAsync<Order>("statestore", "shared-name", cancellationToken: Ct));
        using var sqlite = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(res.DataDir, "sidecar.db")}");
        await sqlite.OpenAsync(Ct);
        using var cmd = sqlite.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM state WHERE key = 'orders||shared-name'";
        Assert.Equal(1L, (long)(await cmd.ExecuteScalarAsync(Ct))!);
    }

    [Fact]
    public async Task Http_state_api_uses_etag_headers_and_documented_status_codes()
    {
        using var res = new TempResources();
        await using var host = await SidecarHost.StartAsync(res.Options("orders"), Ct);
        using var http = Clients.Http(host);

        var save = await http.PostAsync("/v1.0/state/statestore", Json("""[{"key":"k1","value":{"n":1}}]"""), Ct);
        Assert.Equal(HttpStatusCode.NoContent, save.StatusCode);

        var get = await http.GetAsync("/v1.0/state/statestore/k1", Ct);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("""{"n":1}""", await get.Content.ReadAsStringAsync(Ct));
        var etag = get.Headers.ETag?.Tag ?? get.Headers.GetValues("ETag").Single();

        var stale = await http.PostAsync("/v1.0/state/statestore", Json("""[{"key":"k1","value":{"n":2},"etag":"nope"}]"""), Ct);
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Contains("ERR_STATE_SAVE", await stale.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        var good = await http.PostAsync("/v1.0/state/statestore", Json($$"""[{"key":"k1","value":{"n":3},"etag":"{{etag.Trim('"')}}"}]"""), Ct);
        Assert.Equal(HttpStatusCode.NoContent, good.StatusCode);

        using var badDelete = new HttpRequestMessage(HttpMethod.Delete, "/v1.0/state/statestore/k1");
        badDelete.Headers.TryAddWithoutValidation("If-Match", "nope");
        Assert.Equal(HttpStatusCode.Conflict, (await http.SendAsync(badDelete, Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync("/v1.0/state/statestore/k1", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await http.GetAsync("/v1.0/state/statestore/k1", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/v1.0/state/nostore/k1", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsync("/v1.0/state/statestore", Json("{not json"), Ct)).StatusCode);
    }

    [Fact]
    public async Task Http_transaction_rolls_back_on_conflict_and_bulk_get_shapes_items()
    {
        using var res = new TempResources();
        await using var host = await SidecarHost.StartAsync(res.Options("orders"), Ct);
        using var http = Clients.Http(host);
        await http.PostAsync("/v1.0/state/statestore", Json("""[{"key":"a","value":"one"}]"""), Ct);

        var tx = await http.PostAsync("/v1.0/state/statestore/transaction", Json("""
            {"operations":[
              {"operation":"upsert","request":{"key":"b","value":"two"}},
              {"operation":"upsert","request":{"key":"a","value":"changed","etag":"stale"}}
            ]}
            """), Ct);
        Assert.Equal(HttpStatusCode.Conflict, tx.StatusCode);

        var bulk = await http.PostAsync("/v1.0/state/statestore/bulk", Json("""{"keys":["a","b"]}"""), Ct);
        var items = Clients.Json(await bulk.Content.ReadAsStringAsync(Ct));
        Assert.Equal("one", items[0].GetProperty("data").GetString());
        Assert.False(items[1].TryGetProperty("data", out _));

        var bad = await http.PostAsync("/v1.0/state/statestore/transaction", Json("""{"operations":[{"operation":"merge","request":{"key":"a"}}]}"""), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private sealed record Order(string Id, int Total);
}
