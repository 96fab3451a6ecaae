using System.Net;
using System.Net.Http.Json;
using System.Text;
using Dapr;
using Dapr.Client;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Storebridge.Sidecar.Hosting;
using Storebridge.Sidecar.Storage;
using Storebridge.Testing;
using DaprGrpc = Dapr.Client.Autogen.Grpc.v1.Dapr;
using GetBulkStateRequest = Dapr.Client.Autogen.Grpc.v1.GetBulkStateRequest;
using GetStateRequest = Dapr.Client.Autogen.Grpc.v1.GetStateRequest;

namespace Storebridge.Sidecar.Tests;

/// <summary>
/// Dapr state TTL (<c>ttlInSeconds</c>) through the unchanged DaprClient and raw HTTP/gRPC calls. The runtime runs on a
/// fake clock, so expiry is reached by advancing it, never by sleeping.
/// </summary>
public sealed class StateTtlTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 4, 12, 0, 0, 250, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string> Ttl(string seconds) => new() { [StateTtl.RequestKey] = seconds };

    [Fact]
    public async Task Value_saved_with_ttl_is_gone_from_get_and_bulk_get_once_it_expires()
    {
        await using var rt = await Runtime.StartAsync();
        var (time, dapr, http) = (rt.Time, rt.Dapr, rt.Http);

        await dapr.SaveStateAsync("statestore", "short", new Entry("short", 1), metadata: Ttl("2"), cancellationToken: Ct);
        await dapr.SaveStateAsync("statestore", "kept", new Entry("kept", 2), cancellationToken: Ct);

        time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Equal(1, (await dapr.GetStateAsync<Entry>("statestore", "short", cancellationToken: Ct)).N);

        time.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Null(await dapr.GetStateAsync<Entry>("statestore", "short", cancellationToken: Ct));
        var bulk = await dapr.GetBulkStateAsync("statestore", ["short", "kept"], parallelism: null, cancellationToken: Ct);
        Assert.True(string.IsNullOrEmpty(bulk.Single(i => i.Key == "short").Value));
        Assert.Contains("\"kept\"", bulk.Single(i => i.Key == "kept").Value, StringComparison.Ordinal);

        using var get = await http.GetAsync(new Uri("/v1.0/state/statestore/short", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.NoContent, get.StatusCode);
        using var bulkHttp = await http.PostAsync(new Uri("/v1.0/state/statestore/bulk", UriKind.Relative),
            new StringContent("""{"keys":["short","kept"]}""", Encoding.UTF8, "application/json"), Ct);
        var items = Clients.Json(await bulkHttp.Content.ReadAsStringAsync(Ct));
        Assert.False(items[0].TryGetProperty("data", out _));
        Assert.Equal(2, items[1].GetProperty("data").GetProperty("n").GetInt32());
    }

    [Fact]
    public async Task First_write_after_expiry_succeeds_and_an_etag_from_before_it_no_longer_matches()
    {
        await using var rt = await Runtime.StartAsync();
        var (time, dapr) = (rt.Time, rt.Dapr);
        var firstWrite = new StateOptions { Concurrency = ConcurrencyMode.FirstWrite };

        // As the orders inbox writes its entries.
        await dapr.SaveStateAsync("statestore", "inbox-1", new Entry("inbox-1", 1), firstWrite, Ttl("1"), Ct);
        var (_, etag) = await dapr.GetStateAndETagAsync<Entry>("statestore", "inbox-1", cancellationToken: Ct);
        var refused = await Assert.ThrowsAsync<DaprException>(() => dapr.SaveStateAsync("statestore", "inbox-1", new Entry("inbox-1", 2), firstWrite, Ttl("1"), Ct));
        Assert.Equal(StatusCode.Aborted, Assert.IsType<RpcException>(refused.InnerException).StatusCode);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await dapr.TrySaveStateAsync("statestore", "inbox-1", new Entry("inbox-1", 3), etag, cancellationToken: Ct));
        Assert.False(await dapr.TryDeleteStateAsync("statestore", "inbox-1", etag, cancellationToken: Ct));

        await dapr.SaveStateAsync("statestore", "inbox-1", new Entry("inbox-1", 4), firstWrite, Ttl("1"), Ct);
        Assert.Equal(4, (await dapr.GetStateAsync<Entry>("statestore", "inbox-1", cancellationToken: Ct)).N);
    }

    [Fact]
    public async Task Ttl_of_minus_one_never_expires_and_a_save_without_ttl_removes_an_expiry()
    {
        await using var rt = await Runtime.StartAsync();
        var (time, dapr, grpc) = (rt.Time, rt.Dapr, rt.Grpc);

        await dapr.SaveStateAsync("statestore", "forever", new Entry("forever", 1), metadata: Ttl("-1"), cancellationToken: Ct);
        await dapr.SaveStateAsync("statestore", "renewed", new Entry("renewed", 1), metadata: Ttl("5"), cancellationToken: Ct);
        await dapr.SaveStateAsync("statestore", "renewed", new Entry("renewed", 2), cancellationToken: Ct);

        time.Advance(TimeSpan.FromDays(3));
        Assert.Equal(1, (await dapr.GetStateAsync<Entry>("statestore", "forever", cancellationToken: Ct)).N);
        var renewed = await grpc.GetStateAsync(new GetStateRequest { StoreName = "statestore", Key = "renewed" }, cancellationToken: Ct);
        Assert.Contains("\"n\":2", renewed.Data.ToStringUtf8(), StringComparison.Ordinal);
        Assert.False(renewed.Metadata.ContainsKey(StateTtl.ExpireTimeKey));
    }

    [Fact]
    public async Task Get_and_bulk_get_report_ttlExpireTime_in_RFC3339_UTC()
    {
        await using var rt = await Runtime.StartAsync();
        var (time, dapr, http, grpc) = (rt.Time, rt.Dapr, rt.Http, rt.Grpc);
        await dapr.SaveStateAsync("statestore", "marker", new Entry("marker", 1), metadata: Ttl("90"), cancellationToken: Ct);
        await dapr.SaveStateAsync("statestore", "plain", new Entry("plain", 1), cancellationToken: Ct);
        const string expected = "2026-12-04T12:01:30Z";

        var single = await grpc.GetStateAsync(new GetStateRequest { StoreName = "statestore", Key = "marker" }, cancellationToken: Ct);
        Assert.Equal(expected, single.Metadata[StateTtl.ExpireTimeKey]);
        var bulk = await grpc.GetBulkStateAsync(new GetBulkStateRequest { StoreName = "statestore", Keys = { "marker", "plain" } }, cancellationToken: Ct);
        Assert.Equal(expected, bulk.Items.Single(i => i.Key == "marker").Metadata[StateTtl.ExpireTimeKey]);
        Assert.Empty(bulk.Items.Single(i => i.Key == "plain").Metadata);

        using var get = await http.GetAsync(new Uri("/v1.0/state/statestore/marker", UriKind.Relative), Ct);
        Assert.Equal(expected, get.Headers.GetValues("metadata.ttlExpireTime").Single());
        using var bulkHttp = await http.PostAsync(new Uri("/v1.0/state/statestore/bulk", UriKind.Relative),
            new StringContent("""{"keys":["marker","plain"]}""", Encoding.UTF8, "application/json"), Ct);
        var items = Clients.Json(await bulkHttp.Content.ReadAsStringAsync(Ct));
        Assert.Equal(expected, items[0].GetProperty("metadata").GetProperty("ttlExpireTime").GetString());
        Assert.False(items[1].TryGetProperty("metadata", out _));
    }

    [Fact]
    public async Task Ttl_that_is_not_an_integer_or_below_minus_one_is_rejected_as_daprd_does()
    {
        await using var rt = await Runtime.StartAsync();
        var (dapr, http) = (rt.Dapr, rt.Http);

        var notInteger = await Assert.ThrowsAsync<DaprException>(() => dapr.SaveStateAsync("statestore", "k", new Entry("k", 1), metadata: Ttl("1.5"), cancellationToken: Ct));
        var rpc = Assert.IsType<RpcException>(notInteger.InnerException);
        Assert.Equal(StatusCode.Internal, rpc.StatusCode);
        Assert.Equal("failed saving state in state store statestore: error parsing TTL: incorrect value for metadata 'ttlInSeconds': strconv.ParseInt: parsing \"1.5\": invalid syntax", rpc.Status.Detail);
        var tooLow = await Assert.ThrowsAsync<DaprException>(() => dapr.SaveStateAsync("statestore", "k", new Entry("k", 1), metadata: Ttl("-2"), cancellationToken: Ct));
        Assert.EndsWith("must be -1 or greater", Assert.IsType<RpcException>(tooLow.InnerException).Status.Detail, StringComparison.Ordinal);
        var inTransaction = await Assert.ThrowsAsync<DaprException>(() => dapr.ExecuteStateTransactionAsync("statestore",
            [new StateTransactionRequest("k", Encoding.UTF8.GetBytes("{}"), StateOperationType.Upsert, metadata: Ttl("soon"))], cancellationToken: Ct));
        Assert.StartsWith("error while executing state transaction: error parsing TTL", Assert.IsType<RpcException>(inTransaction.InnerException).Status.Detail, StringComparison.Ordinal);

        using var save = await http.PostAsJsonAsync(new Uri("/v1.0/state/statestore", UriKind.Relative),
            new[] { new { key = "k", value = 1, metadata = new { ttlInSeconds = "abc" } } }, Ct);
        Assert.Equal(HttpStatusCode.InternalServerError, save.StatusCode);
        Assert.Equal("ERR_STATE_SAVE", Clients.Json(await save.Content.ReadAsStringAsync(Ct)).GetProperty("errorCode").GetString());
        using var transaction = await http.PostAsync(new Uri("/v1.0/state/statestore/transaction?metadata.ttlInSeconds=x", UriKind.Relative),
            new StringContent("""{"operations":[{"operation":"upsert","request":{"key":"k","value":1}}]}""", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.InternalServerError, transaction.StatusCode);
        Assert.Equal("ERR_STATE_TRANSACTION", Clients.Json(await transaction.Content.ReadAsStringAsync(Ct)).GetProperty("errorCode").GetString());

        Assert.Null(await dapr.GetStateAsync<Entry>("statestore", "k", cancellationToken: Ct));
    }

    [Fact]
    public async Task Transaction_upserts_with_ttl_expire_and_the_others_stay()
    {
        await using var rt = await Runtime.StartAsync("inventory");
        var (time, dapr, http) = (rt.Time, rt.Dapr, rt.Http);

        await dapr.ExecuteStateTransactionAsync("statestore",
        [
            new StateTransactionRequest("processed-1", Encoding.UTF8.GetBytes("""{"id":"processed-1","n":1}"""), StateOperationType.Upsert, metadata: Ttl("2")),
            new StateTransactionRequest("sku-1", Encoding.UTF8.GetBytes("""{"id":"sku-1","n":1}"""), StateOperationType.Upsert),
        ], cancellationToken: Ct);
        // Over HTTP: per operation, and for the whole transaction through the query string.
        using var perOperation = await http.PostAsync(new Uri("/v1.0/state/statestore/transaction", UriKind.Relative),
            new StringContent("""{"operations":[{"operation":"upsert","request":{"key":"processed-2","value":{"id":"processed-2","n":2},"metadata":{"ttlInSeconds":"2"}}}]}""", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.NoContent, perOperation.StatusCode);
        using var whole = await http.PostAsync(new Uri("/v1.0/state/statestore/transaction?metadata.ttlInSeconds=2", UriKind.Relative),
            new StringContent("""{"operations":[{"operation":"upsert","request":{"key":"processed-3","value":{"id":"processed-3","n":3}}}]}""", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.NoContent, whole.StatusCode);
        Assert.NotNull(await dapr.GetStateAsync<Entry>("statestore", "processed-3", cancellationToken: Ct));

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(await dapr.GetStateAsync<Entry>("statestore", "processed-1", cancellationToken: Ct));
        Assert.Null(await dapr.GetStateAsync<Entry>("statestore", "processed-2", cancellationToken: Ct));
        Assert.Null(await dapr.GetStateAsync<Entry>("statestore", "processed-3", cancellationToken: Ct));
        Assert.Equal(1, (await dapr.GetStateAsync<Entry>("statestore", "sku-1", cancellationToken: Ct)).N);
    }

    [Fact]
    public async Task Expired_values_are_purged_from_the_store_in_the_background()
    {
        await using var rt = await Runtime.StartAsync();
        var (time, dapr) = (rt.Time, rt.Dapr);
        await dapr.SaveStateAsync("statestore", "gone", new Entry("gone", 1), metadata: Ttl("1"), cancellationToken: Ct);
        await dapr.SaveStateAsync("statestore", "kept", new Entry("kept", 1), metadata: Ttl("3600"), cancellationToken: Ct);

        // The purge's timer may start after this test's first advance; keep the clock moving until it has run.
        await Eventually.TrueAsync(() =>
        {
            time.Advance(StateExpiryService.Interval);
            return RowCount(rt.Resources, "orders||gone") == 0;
        }, TimeSpan.FromSeconds(15), "the expired row is purged");
        Assert.Equal(1, RowCount(rt.Resources, "orders||kept"));
    }

    [Fact]
    public async Task Store_created_before_ttl_keeps_its_state_and_gains_expiry()
    {
        var res = new TempResources();
        Directory.CreateDirectory(res.DataDir);
        using (var legacy = new SqliteConnection(ConnectionString(res)))
        {
            legacy.Open();
            using var create = legacy.CreateCommand();
            create.CommandText = """
                CREATE TABLE state(key TEXT PRIMARY KEY, value BLOB NOT NULL, etag TEXT NOT NULL, content_type TEXT) WITHOUT ROWID;
                INSERT INTO state(key, value, etag, content_type) VALUES('orders||old', CAST('{"id":"old","n":7}' AS BLOB), 'e1', NULL);
                """;
            create.ExecuteNonQuery();
        }

        await using var rt = await Runtime.StartAsync(resources: res);
        var (time, dapr) = (rt.Time, rt.Dapr);

        var (old, etag) = await dapr.GetStateAndETagAsync<Entry>("statestore", "old", cancellationToken: Ct);
        Assert.Equal(7, old.N);
        Assert.Equal("e1", etag);
        Assert.True(await dapr.TrySaveStateAsync("statestore", "old", new Entry("old", 8), etag, metadata: Ttl("1"), cancellationToken: Ct));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await dapr.GetStateAsync<Entry>("statestore", "old", cancellationToken: Ct));
    }

    private static string ConnectionString(TempResources res) =>
        new SqliteConnectionStringBuilder { DataSource = Path.Combine(res.DataDir, "sidecar.db"), Pooling = false }.ToString();

    private static long RowCount(TempResources res, string key)
    {
        using var conn = new SqliteConnection(ConnectionString(res));
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM state WHERE key = $k";
        cmd.Parameters.AddWithValue("$k", key);
        return (long)cmd.ExecuteScalar()!;
    }

    private sealed record Entry(string Id, int N);

    /// <summary>One runtime on a fake clock with its clients; disposing it stops the runtime and removes its files.</summary>
    private sealed class Runtime : IAsyncDisposable
    {
        private readonly SidecarHost _host;
        private readonly GrpcChannel _channel;

        private Runtime(TempResources resources, FakeTimeProvider time, SidecarHost host)
        {
            Resources = resources;
            Time = time;
            _host = host;
            Dapr = Clients.Dapr(host);
            Http = Clients.Http(host);
            _channel = GrpcChannel.ForAddress(host.GrpcEndpoint);
            Grpc = new DaprGrpc.DaprClient(_channel);
        }

        public TempResources Resources { get; }

        public FakeTimeProvider Time { get; }

        public DaprClient Dapr { get; }

        public HttpClient Http { get; }

        public DaprGrpc.DaprClient Grpc { get; }

        public static async Task<Runtime> StartAsync(string appId = "orders", TempResources? resources = null)
        {
            resources ??= new TempResources();
            var time = new FakeTimeProvider(Start);
            var host = await SidecarHost.StartAsync(resources.Options(appId, time: time), Ct);
            return new Runtime(resources, time, host);
        }

        public async ValueTask DisposeAsync()
        {
            Dapr.Dispose();
            Http.Dispose();
            _channel.Dispose();
            await _host.DisposeAsync();
            Resources.Dispose();
        }
    }
}
