using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Storebridge.Sidecar.Hosting;
using Storebridge.Sidecar.Storage;
using Storebridge.Testing.Runtime;
using DaprGrpc = Dapr.Client.Autogen.Grpc.v1.Dapr;

// Sidecar.Bench: what the local runtime adds on top of doing the same thing directly. Bounded (~1 minute).
// Targets (issue 3, this 2-core machine): state op added p50 <= 0.3 ms, publish->deliver p50 <= 5 ms,
// >= 5,000 durable deliveries/s.
using var resources = new LocalResources("sidecar-bench", extraComponents: """
    apiVersion: dapr.io/v1alpha1
    kind: Component
    metadata:
      name: ordered
    spec:
      type: pubsub.rabbitmq
      version: v1
      metadata:
        - name: concurrencyMode
          value: single
    """);

// Optional arguments pick sections (for profiling one of them): state, pubsub. Default: both.
var sections = args.Length == 0 ? ["state", "pubsub"] : args;
if (sections.Contains("state"))
{
    await StateAsync(resources);
}

if (sections.Contains("pubsub"))
{
    await PubSubAsync(resources);
}

static async Task StateAsync(LocalResources resources)
{
    const int warmup = 500, n = 5000;
    var value = Encoding.UTF8.GetBytes("""{"orderId":"1001","status":"confirmed","total":{"units":129,"nanos":500000000,"currency":"EUR"}}""");

    // Direct: the same SQLite statements the runtime runs, called in-process.
    using var store = SqliteStore.Acquire(Path.Combine(resources.Directory, "direct"));
    var directSave = await Measure(warmup, n, i => store.WriteStateAsync([new StateWrite($"bench||k{i % 100}", value, null, false)], DateTimeOffset.UtcNow, CancellationToken.None));
    var directGet = await Measure(warmup, n, i => { store.GetState($"bench||k{i % 100}", DateTimeOffset.UtcNow); return Task.CompletedTask; });

    // Through the runtime: the Dapr gRPC API over loopback HTTP/2, as DaprClient calls it.
    await using var host = await SidecarHost.StartAsync(resources.RuntimeOptions("bench", LogLevel.Error));
    using var channel = GrpcChannel.ForAddress(host.GrpcEndpoint);
    var client = new DaprGrpc.DaprClient(channel);
    var data = ByteString.CopyFrom(value);
    var rtSave = await Measure(warmup, n, i =>
    {
        var request = new SaveStateRequest { StoreName = "statestore" };
        request.States.Add(new StateItem { Key = $"k{i % 100}", Value = data });
        return client.SaveStateAsync(request).ResponseAsync;
    });
    var rtGet = await Measure(warmup, n, i => client.GetStateAsync(new GetStateRequest { StoreName = "statestore", Key = $"k{i % 100}" }).ResponseAsync);

    Console.WriteLine("State (n=5000 sequential ops, values ~100 B)");
    Print("  save direct SQLite", directSave);
    Print("  save via runtime  ", rtSave);
    Print("  get  direct SQLite", directGet);
    Print("  get  via runtime  ", rtGet);
    Console.WriteLine(FormattableString.Invariant($"  added latency: save p50 {rtSave.P50 - directSave.P50:F3} ms, p99 {rtSave.P99 - directSave.P99:F3} ms; get p50 {rtGet.P50 - directGet.P50:F3} ms, p99 {rtGet.P99 - directGet.P99:F3} ms  (target p50 <= 0.3 ms)"));
}

static async Task PubSubAsync(LocalResources resources)
{
    var received = Channel.CreateUnbounded<long>();
    var count = 0;
    var app = LoopbackApp.CreateBuilder(HttpProtocols.Http1).Build();
    app.MapGet("/dapr/subscribe", () => Results.Text("""[{"pubsubname":"pubsub","topic":"latency","route":"/latency"},{"pubsubname":"pubsub","topic":"load","route":"/load"},{"pubsubname":"ordered","topic":"load","route":"/load"}]""", "application/json"));
    app.MapPost("/latency", async (HttpRequest r) =>
    {
        using var reader = new StreamReader(r.Body);
        var body = await reader.ReadToEndAsync();
        var sentAt = long.Parse(body.AsSpan(body.IndexOf("\"sent\":", StringComparison.Ordinal) + 7).TrimEnd('}').ToString().Split(',', '}')[0], CultureInfo.InvariantCulture);
        received.Writer.TryWrite(Stopwatch.GetTimestamp() - sentAt);
        return Results.Ok();
    });
    app.MapPost("/load", () => { Interlocked.Increment(ref count); return Results.Ok(); });
    await app.StartAsync();
    var port = LoopbackApp.Address(app).Port;
    try
    {
        var subscriber = await SidecarHost.StartAsync(resources.RuntimeOptions("subscriber", LogLevel.Error, port));
        await subscriber.AppReady;
        await using var publisherHost = await SidecarHost.StartAsync(resources.RuntimeOptions("publisher", LogLevel.Error));
        using var channel = GrpcChannel.ForAddress(publisherHost.GrpcEndpoint);
        var client = new DaprGrpc.DaprClient(channel);

        // Baseline: the same hand-off to an in-process handler (a queue read by another task), one at a time.
        var inProc = Channel.CreateUnbounded<long>();
        var handled = Channel.CreateUnbounded<long>();
        var handler = Task.Run(async () =>
        {
            await foreach (var sent in inProc.Reader.ReadAllAsync())
            {
                handled.Writer.TryWrite(Stopwatch.GetTimestamp() - sent);
            }
        });
        var inProcLatency = new List<double>();
        for (var i = 0; i < 2100; i++)
        {
            inProc.Writer.TryWrite(Stopwatch.GetTimestamp());
            var elapsed = await handled.Reader.ReadAsync();
            if (i >= 100)
            {
                inProcLatency.Add(Ms(elapsed));
            }
        }

        inProc.Writer.Complete();
        await handler;

        const int latencyN = 1000;
        var latency = new List<double>(latencyN);
        for (var i = 0; i < latencyN + 100; i++)
        {
            var payload = ByteString.CopyFromUtf8($$"""{"n":{{i}},"sent":{{Stopwatch.GetTimestamp()}}}""");
            await client.PublishEventAsync(new PublishEventRequest { PubsubName = "pubsub", Topic = "latency", Data = payload, DataContentType = "application/json" });
            var elapsed = await received.Reader.ReadAsync();
            if (i >= 100)
            {
                latency.Add(Ms(elapsed));
            }
        }

        var deliver = Stats.Of(latency);
        var baseline = Stats.Of(inProcLatency);
        Console.WriteLine("Publish -> deliver (n=1000 sequential, gRPC PublishEvent -> runtime -> HTTP POST to a Kestrel subscriber)");
        Print("  in-process handler", baseline);
        Print("  via runtime       ", deliver);
        Console.WriteLine(FormattableString.Invariant($"  added latency: p50 {deliver.P50 - baseline.P50:F3} ms, p99 {deliver.P99 - baseline.P99:F3} ms  (target p50 <= 5 ms)"));

        // Drain: a backlog published while the subscriber's runtime was down, delivered and acked after it starts.
        const int total = 30_000;
        await subscriber.DisposeAsync();
        await PublishLoadAsync(client, total);
        Volatile.Write(ref count, 0);
        var sw = Stopwatch.StartNew();
        subscriber = await SidecarHost.StartAsync(resources.RuntimeOptions("subscriber", LogLevel.Error, port));
        await WaitDeliveredAsync(subscriber, () => Volatile.Read(ref count), total);
        sw.Stop();
        Console.WriteLine(FormattableString.Invariant($"Durable deliveries, backlog drain: {Volatile.Read(ref count)} of {total} delivered and acked in {sw.Elapsed.TotalSeconds:F2} s = {Volatile.Read(ref count) / sw.Elapsed.TotalSeconds:F0} deliveries/s (target >= 5,000/s)"));

        // Publish and deliver at once: bulk publishing competes with delivery for the same two cores and SQLite.
        Volatile.Write(ref count, 0);
        sw.Restart();
        await PublishLoadAsync(client, total);
        var published = sw.Elapsed;
        await WaitDeliveredAsync(subscriber, () => Volatile.Read(ref count), total);
        sw.Stop();
        Console.WriteLine(FormattableString.Invariant($"Durable deliveries, publishing at the same time: {Volatile.Read(ref count)} of {total} in {sw.Elapsed.TotalSeconds:F2} s = {Volatile.Read(ref count) / sw.Elapsed.TotalSeconds:F0} deliveries/s (publishing took {published.TotalSeconds:F2} s)"));

        // Ordered subscription (one at a time, decision 0013): a backlog drained in publish order, one round trip each.
        const int ordered = 3000;
        await subscriber.DisposeAsync();
        await PublishLoadAsync(client, ordered, "ordered");
        Volatile.Write(ref count, 0);
        sw.Restart();
        subscriber = await SidecarHost.StartAsync(resources.RuntimeOptions("subscriber", LogLevel.Error, port));
        await WaitDeliveredAsync(subscriber, () => Volatile.Read(ref count), ordered);
        sw.Stop();
        Console.WriteLine(FormattableString.Invariant($"Ordered deliveries, backlog drain: {Volatile.Read(ref count)} of {ordered} in {sw.Elapsed.TotalSeconds:F2} s = {Volatile.Read(ref count) / sw.Elapsed.TotalSeconds:F0} deliveries/s"));
        await subscriber.DisposeAsync();
    }
    finally
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

static async Task PublishLoadAsync(DaprGrpc.DaprClient client, int total, string pubsub = "pubsub")
{
    const int batch = 500;
    for (var sent = 0; sent < total; sent += batch)
    {
        var request = new BulkPublishRequest { PubsubName = pubsub, Topic = "load" };
        for (var j = 0; j < batch; j++)
        {
            request.Entries.Add(new BulkPublishRequestEntry { EntryId = j.ToString(CultureInfo.InvariantCulture), Event = ByteString.CopyFromUtf8($$"""{"n":{{sent + j}}}"""), ContentType = "application/json" });
        }

        await client.BulkPublishEventAsync(request);
    }
}

static async Task WaitDeliveredAsync(SidecarHost subscriber, Func<int> delivered, int total)
{
    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
    while ((delivered() < total || subscriber.PendingDeliveries > 0) && !timeout.IsCancellationRequested)
    {
        await Task.Delay(5);
    }
}

static async Task<Stats> Measure(int warmup, int n, Func<int, Task> op)
{
    for (var i = 0; i < warmup; i++)
    {
        await op(i);
    }

    var samples = new List<double>(n);
    for (var i = 0; i < n; i++)
    {
        var start = Stopwatch.GetTimestamp();
        await op(i);
        samples.Add(Ms(Stopwatch.GetTimestamp() - start));
    }

    return Stats.Of(samples);
}

static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

static void Print(string label, Stats s) =>
    Console.WriteLine(FormattableString.Invariant($"{label}: p50 {s.P50:F3} ms  p99 {s.P99:F3} ms"));

internal sealed record Stats(double P50, double P99)
{
    public static Stats Of(List<double> samples)
    {
        samples.Sort();
        return new Stats(samples[samples.Count / 2], samples[(int)(samples.Count * 0.99)]);
    }
}
