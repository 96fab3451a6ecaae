using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Dapr.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Inventory.Bench;
using Storebridge.Inventory.Domain;
using Storebridge.Inventory.Ingest;
using Storebridge.Inventory.Publishing;
using Storebridge.Inventory.Reservations;
using Storebridge.Inventory.State;
using Storebridge.Sidecar.Hosting;
using Storebridge.Testing.Runtime;
using Storebridge.WooCommerce;

// Inventory benchmark over the local Dapr runtime (tools/sidecar, SQLite state) and a fake WooCommerce store:
//   1. reservations/s through the Dapr state API (ETag transactions), many SKUs, concurrent callers;
//   2. store API calls used to push 10,000 SKU changes;
//   3. ERP stock change -> store stock updated latency, p50/p99.
// Bounded: every phase has a deadline and the whole run stops after 110 s.
using var overall = new CancellationTokenSource(TimeSpan.FromSeconds(110));
var ct = overall.Token;
var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 5;
using var resources = new LocalResources("inventory-bench");
await using var sidecar = await SidecarHost.StartAsync(resources.RuntimeOptions("inventory", LogLevel.Warning), ct);
using var dapr = new DaprClientBuilder().UseGrpcEndpoint(sidecar.GrpcEndpoint).UseHttpEndpoint(sidecar.HttpEndpoint).Build();

const int StoreSkus = 10_000;
var storeSkuNames = Enumerable.Range(0, StoreSkus).Select(i => $"P-{i:D5}").ToList();
await using var woo = await FakeWooStore.StartAsync(storeSkuNames);

var options = new InventoryOptions
{
    Stores = { ["web"] = new StoreRouting { Warehouses = ["wh-a", "wh-b"] } },
    PublishWindow = TimeSpan.FromMilliseconds(20),
};
var time = TimeProvider.System;
var rules = new StockRules(options);
var state = new InventoryState(dapr, Microsoft.Extensions.Options.Options.Create(options));
var queue = new StorePushQueue();
using var events = new DaprEventTransport(sidecar.GrpcEndpoint, apiToken: null);
var publisher = new AvailabilityPublisher(events, queue, NullLogger<AvailabilityPublisher>.Instance);
var reservations = new ReservationService(state, rules, publisher, time, NullLogger<ReservationService>.Instance);
var ingest = new StockIngest(state, rules, publisher, time, NullLogger<StockIngest>.Instance);

var services = new ServiceCollection()
    .AddLogging(l => l.ClearProviders())
    .AddWooCommerce(o => o.Stores["web"] = new WooStoreOptions
    {
        StoreId = "web",
        BaseUrl = woo.BaseUrl,
        ConsumerKey = "ck_bench",
        ConsumerSecret = "cs_bench",
    })
    .BuildServiceProvider();
var writer = new WooStoreStockWriter(services.GetRequiredService<IWooCommerceClientFactory>(), time, NullLogger<WooStoreStockWriter>.Instance);
var wooOptions = services.GetRequiredService<IWooCommerceClientFactory>().GetStore("web");
Console.WriteLine($"Inventory benchmark: local runtime (SQLite state), {Environment.ProcessorCount} cores, load average {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a")}, tiered JIT off; store rate limit {wooOptions.RequestsPerSecond}/s burst {wooOptions.Burst}, batch limit {wooOptions.BatchLimit}");

// ---- 0. the runtime's own ceiling: the same calls a reservation makes, without inventory logic --------------------
if (args.Contains("--raw"))
{
    foreach (var (name, op) in new (string, Func<int, Task>)[]
    {
        ("GetState", i => dapr.GetStateAsync<string>("statestore", $"raw-{i % 500}", cancellationToken: ct)),
        ("Transaction(1 upsert)", i => dapr.ExecuteStateTransactionAsync("statestore", [new StateTransactionRequest($"raw-{i % 500}", "{\"a\":1}"u8.ToArray(), StateOperationType.Upsert)], cancellationToken: ct)),
        ("PublishEvent", i => dapr.PublishEventAsync("pubsub", "raw", new { i }, ct)),
    })
    {
        var count = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 32).Select(async w =>
        {
            while (clock.Elapsed.TotalSeconds < 2)
            {
                await op(Interlocked.Increment(ref count));
            }
        }));
        Console.WriteLine($"0. runtime {name}: {count / clock.Elapsed.TotalSeconds:F0}/s (32 concurrent)");
    }
}

// ---- 1. reservations/s -------------------------------------------------------------------------------------------
const int ReserveSkus = 2_000;
await ingest.ApplyAsync([.. Enumerable.Range(0, ReserveSkus).Select(i => new ErpStockLevel($"R-{i:D4}", "wh-a", 1_000_000, 0, time.GetUtcNow()))], ct);
var stateConflicts = 0L;
using var meters = new System.Diagnostics.Metrics.MeterListener();
meters.InstrumentPublished = (instrument, listener) =>
{
    if (instrument.Meter.Name == InventoryMetrics.MeterName && instrument.Name == "storebridge.inventory.state_conflicts")
    {
        listener.EnableMeasurementEvents(instrument);
    }
};
meters.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref stateConflicts, value));
meters.Start();
var workers = args.Length > 1 && int.TryParse(args[1], out var w0) ? w0 : 64;
// Warm-up first (JIT, tiered compilation, connection pools), so the figure is the steady state.
await ReserveForAsync(Math.Min(2, seconds), "warmup");
Interlocked.Exchange(ref stateConflicts, 0);
var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
var (reserved, conflicts, elapsed, sorted) = await ReserveForAsync(seconds, "bench");
// CPU per reservation (bench, runtime and SQLite share this process) is steadier than the rate on a shared machine.
var cpuPerReservation = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds / Math.Max(1, reserved);
Console.WriteLine($"1. Reservations: {reserved} in {elapsed:F1} s = {reserved / elapsed:F0}/s ({workers} concurrent callers, {ReserveSkus} SKUs, 1-2 lines each, ReservationService -> Dapr gRPC state API, after a warm-up); " +
                  $"latency p50 {Percentile(sorted, 0.50):F1} ms p99 {Percentile(sorted, 0.99):F1} ms; CPU {cpuPerReservation:F2} ms/reservation; ETag conflicts retried: {Interlocked.Read(ref stateConflicts)}, gave up: {conflicts}");

async Task<(int Reserved, int GaveUp, double Elapsed, double[] Latencies)> ReserveForAsync(double duration, string prefix)
{
    var latencies = new ConcurrentBag<double>();
    var reserved = 0;
    var gaveUp = 0;
    var deadline = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, workers).Select(async w =>
    {
        var random = new Random(w);
        var n = 0;
        while (deadline.Elapsed.TotalSeconds < duration && !ct.IsCancellationRequested)
        {
            var lines = Enumerable.Range(0, random.Next(1, 3)).Select(_ => new RequestedLine($"R-{random.Next(ReserveSkus):D4}", random.Next(1, 4))).ToList();
            var started = Stopwatch.GetTimestamp();
            try
            {
                var outcome = await reservations.ReserveAsync(new ReserveCommand($"{prefix}-{w}-{n++}", "web", lines, null), ct);
                if (outcome.Reservation is not null)
                {
                    Interlocked.Increment(ref reserved);
                }
            }
            catch (InventoryException)
            {
                Interlocked.Increment(ref gaveUp);
            }

            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }));
    return (reserved, gaveUp, deadline.Elapsed.TotalSeconds, [.. latencies.Order()]);
}

if (args.Contains("--reserve-only"))
{
    return;
}

// ---- 2. store API calls for 10,000 SKU changes ---------------------------------------------------------------------
using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
var storePublisher = new StorePublisher(queue, state, rules, writer, time, NullLogger<StorePublisher>.Instance);
var shown = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
var arrivals = new ConcurrentDictionary<(string, int), long>();
woo.StockSet += (sku, quantity) =>
{
    shown[sku] = quantity;
    arrivals.TryAdd((sku, quantity), Stopwatch.GetTimestamp());
};
// Drop the pushes queued by phase 1 (SKUs the store does not sell), so phase 2 counts only its own calls.
queue.Lane("web").Take(int.MaxValue);
await storePublisher.StartAsync(stop.Token);
woo.ResetCounters();
var phase2 = Stopwatch.StartNew();
await ingest.ApplyAsync([.. storeSkuNames.Select((sku, i) => new ErpStockLevel(sku, "wh-a", 50 + (i % 7), 0, time.GetUtcNow()))], ct);
var ingested = phase2.Elapsed.TotalSeconds;
while (shown.Count < StoreSkus && phase2.Elapsed < TimeSpan.FromSeconds(60))
{
    await Task.Delay(20, ct);
}

Console.WriteLine($"2. 10,000 SKU changes: store updated {shown.Count} SKUs with {woo.BatchCalls} batch call(s) in {phase2.Elapsed.TotalSeconds:F1} s " +
                  $"(ingest {ingested:F1} s; plus {woo.ListCalls} one-off catalogue page read(s) to map SKUs to product ids)");

// ---- 3. ERP change -> store latency --------------------------------------------------------------------------------
const int Changes = 300;
const double PerSecond = 25;
var sent = new ConcurrentDictionary<(string, int), long>();
var random3 = new Random(3);
var pacing = Stopwatch.StartNew();
var inflight = new List<Task>();
for (var i = 0; i < Changes && !ct.IsCancellationRequested; i++)
{
    var due = TimeSpan.FromSeconds(i / PerSecond);
    if (due > pacing.Elapsed)
    {
        await Task.Delay(due - pacing.Elapsed, ct);
    }

    var sku = storeSkuNames[random3.Next(StoreSkus)];
    var quantity = 1_000 + i;
    sent[(sku, quantity)] = Stopwatch.GetTimestamp();
    // As the erp.stock-changed handler does: one event, one snapshot.
    inflight.Add(ingest.ApplyAsync([new ErpStockLevel(sku, "wh-a", quantity, 0, time.GetUtcNow())], ct));
}

await Task.WhenAll(inflight);
var wait = Stopwatch.StartNew();
while (sent.Keys.Count(k => arrivals.ContainsKey(k)) < sent.Count && wait.Elapsed < TimeSpan.FromSeconds(20))
{
    await Task.Delay(20, ct);
}

var delays = sent.Where(s => arrivals.ContainsKey(s.Key))
    .Select(s => Stopwatch.GetElapsedTime(s.Value, arrivals[s.Key]).TotalMilliseconds).Order().ToArray();
var superseded = sent.Count - delays.Length;
Console.WriteLine($"3. ERP change -> store updated: {delays.Length} changes at {PerSecond}/s, p50 {Percentile(delays, 0.50):F0} ms p99 {Percentile(delays, 0.99):F0} ms max {delays.LastOrDefault():F0} ms" +
                  (superseded > 0 ? $" ({superseded} superseded by a newer value before they were pushed)" : ""));

await stop.CancelAsync();
await storePublisher.StopAsync(CancellationToken.None);

static double Percentile(double[] sorted, double p) =>
    sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
