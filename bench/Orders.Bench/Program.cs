// Order intake benchmark (issue 7): webhook intake of the real orders service next to a bare endpoint, then
// order-to-ERP-acknowledgement latency at a steady checkout rate. Loopback only; bounded; prints a table.
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Storebridge.Orders.Bench;
using Storebridge.Orders.Intake;
using Storebridge.Testing;
using Storebridge.WooCommerce.Webhooks;

const int Clients = 32;
var warmup = TimeSpan.FromSeconds(2);
var intakeDuration = TimeSpan.FromSeconds(12);
const double E2eRate = 50;
// The minute at 50 orders/s.
var e2eDuration = TimeSpan.FromSeconds(60);
const int ErpLatencyMs = 20;
// A store taking 50 orders/s runs its webhook queue with many workers; the simulator's default 4 would be the bottleneck.
const int WebhookDeliveryConcurrency = 32;
const double LightRate = 5;
// How long the bench waits for intake's hand-off backlog to reach the workflows after the load stops.
var backlogLimit = TimeSpan.FromSeconds(120);

var inv = CultureInfo.InvariantCulture;
// WebApplicationFactory finds the services' content roots through MvcTestingAppManifest.json in the current
// directory, as under `dotnet test`; `dotnet run` starts elsewhere.
Directory.SetCurrentDirectory(AppContext.BaseDirectory);
Console.WriteLine(string.Create(inv, $"Orders.Bench: {Environment.ProcessorCount} cores, {Clients} clients, loopback only"));

// Every delivery is a new order: the fixture with its id (and number) swapped per request.
const string Placeholder = "987654321000";
var fixture = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "woocommerce-order-727.json")))!;
fixture["id"] = long.Parse(Placeholder, inv);
fixture["number"] = Placeholder;
var template = fixture.ToJsonString();

// `intake` or `e2e` runs one part only (for profiling); no argument runs both.
var only = args.FirstOrDefault();
var runIntake = only is null or "intake";
var runE2e = only is null or "e2e";

var rows = new List<string[]>();
var notes = new List<string>();

// The ceiling first, with nothing else running.
if (runIntake)
{
    Console.WriteLine(string.Create(inv, $"Bare endpoint ceiling: {intakeDuration.TotalSeconds:0} s..."));
    var (bare, bareAddress) = await BareEndpoint.StartAsync();
    await using (bare)
    {
        using var client = NewClient(bareAddress);
        var result = await LoadRun.RunAsync("bare", client, Clients, warmup, intakeDuration, seq => Delivery(seq, "unused"));
        rows.Add(Row("bare ASP.NET Core endpoint (ceiling)", result, "-"));
    }

    // Each run gets a fresh system: the workflows behind one run's orders would otherwise weigh on the next.
    Console.WriteLine("Starting ERP and store simulators, inventory, catalog and orders with their local runtimes...");
    var system = await StorebridgeSystem.StartAsync(ErpLatencyMs, WebhookDeliveryConcurrency);
    try
    {
        Console.WriteLine(string.Create(inv, $"Orders webhook intake: {intakeDuration.TotalSeconds:0} s of signed order.created deliveries..."));
        using var client = NewClient(system.Orders.Service.Address);
        using var stats = system.Orders.Service.CreateHttpClient();
        var result = await LoadRun.RunAsync("intake", client, Clients, warmup, intakeDuration, seq => Delivery(seq, system.Store.Options.WebhookSecret));
        rows.Add(Row("orders webhook intake (signed)", result, ">= 1000/s, p99 <= 50 ms"));

        // The other half of the story: every accepted order still has to reach its workflow. How far the hand-off was
        // behind when the load stopped, and how long it took to catch up (decision 0007).
        var atEnd = await IntakeStatsAsync(stats);
        Console.WriteLine(string.Create(inv, $"Load stopped: {atEnd.Accepted} accepted, {atEnd.Dispatched} handed to workflows, {atEnd.DispatchYields} hand-offs waited for intake. Waiting for the rest..."));
        var drain = System.Diagnostics.Stopwatch.StartNew();
        var now = atEnd;
        while (now.Dispatched < now.Accepted && drain.Elapsed < backlogLimit)
        {
            await Task.Delay(250);
            now = await IntakeStatsAsync(stats);
        }

        notes.Add(string.Create(inv,
            $"  intake backlog: {atEnd.Accepted} accepted during the run, {atEnd.Dispatched} handed to their workflows by its end ({atEnd.DispatchYields} hand-offs waited for busy intake); ")
            + (now.Dispatched >= now.Accepted
                ? string.Create(inv, $"the rest were handed over {drain.Elapsed.TotalSeconds:0.0} s after the load stopped.")
                : string.Create(inv, $"{now.Accepted - now.Dispatched} still waiting {backlogLimit.TotalSeconds:0} s after the load stopped.")));
    }
    finally
    {
        await StopAsync(system);
    }
}

if (runE2e)
{
    Console.WriteLine("Starting a fresh system...");
    var system = await StorebridgeSystem.StartAsync(ErpLatencyMs, WebhookDeliveryConcurrency);
    try
    {
        // A light rate first: the latency of an order on an otherwise idle system, for reference beside the rate.
        await EndToEndAsync(system, LightRate, TimeSpan.FromSeconds(10), "-");
        await EndToEndAsync(system, E2eRate, e2eDuration, "p99 <= 1000 ms (50/s for 60 s)");
    }
    catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException)
    {
        rows.Add(["checkout -> ERP ack", "not measured: " + ex.Message, "", "", ""]);
    }
    finally
    {
        await StopAsync(system);
    }
}

Console.WriteLine();
string[] header = ["run", "throughput", "p50 ms", "p99 ms", "target"];
var widths = header.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
Console.WriteLine(string.Join(" | ", header.Select((h, i) => h.PadRight(widths[i]))));
Console.WriteLine(string.Join("-|-", widths.Select(w => new string('-', w))));
foreach (var row in rows)
{
    Console.WriteLine(string.Join(" | ", row.Select((c, i) => c.PadRight(widths[i]))));
}

foreach (var note in notes)
{
    Console.WriteLine(note);
}

Console.WriteLine(string.Create(inv,
    $"Intake: {Clients} closed-loop clients, {warmup.TotalSeconds:0} s warm-up then {intakeDuration.TotalSeconds:0} s measured. End to end: open loop for {e2eDuration.TotalSeconds:0} s; state polled from 25 ms backing off to {EndToEndRun.MaxPollInterval.TotalMilliseconds:0} ms."));

// Kestrel and runtime threads left by a slow shutdown must not keep `make bench` waiting.
Environment.Exit(0);

HttpRequestMessage Delivery(long seq, string secret)
{
    var bytes = Encoding.UTF8.GetBytes(template.Replace(Placeholder, (long.Parse(Placeholder, inv) + seq).ToString(inv), StringComparison.Ordinal));
    var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/woocommerce/{StorebridgeSystem.StoreId}")
    {
        Content = new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
    };
    request.Headers.Add(WooWebhookVerifier.TopicHeader, "order.created");
    request.Headers.Add(WooWebhookVerifier.DeliveryIdHeader, seq.ToString(inv));
    request.Headers.Add(WooWebhookVerifier.SignatureHeader, WooWebhookVerifier.ComputeSignature(bytes, secret));
    return request;
}

static async Task<IntakeTotals> IntakeStatsAsync(HttpClient client) =>
    await client.GetFromJsonAsync<IntakeTotals>("/intake/stats") ?? throw new InvalidOperationException("orders answered no intake stats");

static HttpClient NewClient(Uri address) => new(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, UseProxy = false })
{
    BaseAddress = address,
    Timeout = TimeSpan.FromSeconds(10),
};

string[] Row(string name, LoadResult r, string target) =>
[
    name,
    string.Create(inv, $"{r.PerSecond:0}/s ({r.Ok} ok, {r.Failed} failed)"),
    Ms(r.Percentile(50)),
    Ms(r.Percentile(99)),
    target,
];

async Task EndToEndAsync(StorebridgeSystem target, double rate, TimeSpan duration, string goal)
{
    Console.WriteLine(string.Create(inv, $"End to end: {rate:0} checkouts/s for {duration.TotalSeconds:0} s, ERP latency {ErpLatencyMs} ms..."));
    using var stats = target.Orders.Service.CreateHttpClient();
    var before = await IntakeStatsAsync(stats);
    var e2e = await EndToEndRun.RunAsync(target, rate, duration, TimeSpan.FromMilliseconds(25), TimeSpan.FromSeconds(15));
    var after = await IntakeStatsAsync(stats);
    notes.Add(string.Create(inv, $"  {rate:0}/s: {after.Dispatched - before.Dispatched} hand-offs to workflows, {after.DispatchYields - before.DispatchYields} of them waited for busy intake."));
    var acked = e2e.AckLatenciesMs;
    var name = string.Create(inv, $"checkout -> ERP ack at {rate:0}/s for {duration.TotalSeconds:0} s");
    rows.Add([name, string.Create(inv, $"{acked.Length}/{e2e.Placed} acked, placed at {e2e.AchievedRate:0.0}/s"),
        Ms(Stats.Percentile(acked, 50)), Ms(Stats.Percentile(acked, 99)), goal]);
    if (e2e.Others.Count > 0)
    {
        notes.Add(string.Create(inv, $"  {rate:0}/s, not acknowledged within 15 s: ")
            + string.Join(", ", e2e.Others.OrderByDescending(o => o.Value).Select(o => $"{o.Key} x{o.Value}")));
    }
}

// Workflows of a run may still be going; stopping the system must not hold the bench up.
static Task StopAsync(StorebridgeSystem system) =>
    system.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);

string Ms(double ms) => double.IsNaN(ms) ? "-" : ms.ToString("0.0", inv);
