// `make demo`: a scripted day against the local stack — normal trade, then a 4x promotion spike with an ERP outage in
// the middle, the warehouse shipping as it goes and the store sending some webhooks twice — ending with a table.
// Exit code 1 when an invariant breaks (units oversold, a second ERP document for an order, an order lost).
using System.Globalization;
using Storebridge.Contracts.Orders.V1;
using Storebridge.Demo;
using Storebridge.Sandbox.Shopper;

var inv = CultureInfo.InvariantCulture;
var normal = TimeSpan.FromSeconds(Seconds("DEMO_NORMAL_SECONDS", 40));
var spike = TimeSpan.FromSeconds(Seconds("DEMO_SPIKE_SECONDS", 30));
const double Rate = 2;
const int OutageSeconds = 10;
var settleWithin = TimeSpan.FromSeconds(Seconds("DEMO_SETTLE_SECONDS", 180));

var settings = DemoSettings.FromEnvironment();
using var stack = new Stack(settings);
Console.WriteLine("Waiting for the store, the ERP and the services...");
await stack.WaitUntilReadyAsync(TimeSpan.FromMinutes(3));
Console.WriteLine("Waiting for orders to register the store's webhooks...");
await stack.WaitForOrderWebhooksAsync(TimeSpan.FromMinutes(2));

var overpromisedBefore = await stack.ErpOverpromisedUnitsAsync();
await stack.DuplicateWebhooksAsync(0.25);
Console.WriteLine(string.Create(inv,
    $"Normal day: {Rate:0} orders/s for {normal.TotalSeconds:0} s; then a promotion: {Rate * 4:0}/s for {spike.TotalSeconds:0} s with the ERP down for {OutageSeconds} s in the middle. A quarter of the webhooks arrive twice."));

var promotionStarts = DateTimeOffset.UtcNow + normal;
using var shipping = new CancellationTokenSource();
var shipped = new HashSet<string>(StringComparer.Ordinal);
var shipper = ShipAsync(shipping.Token);
var outage = Task.Run(async () =>
{
    await Task.Delay(normal + (spike / 2) - TimeSpan.FromSeconds(OutageSeconds / 2.0));
    Console.WriteLine(string.Create(inv, $"  ERP outage for {OutageSeconds} s..."));
    await stack.ErpOutageAsync(OutageSeconds);
});

var report = await new Shopper(new ShopperOptions
{
    Store = settings.Store,
    ConsumerKey = settings.StoreConsumerKey,
    ConsumerSecret = settings.StoreConsumerSecret,
    Rate = Rate,
    Duration = normal + spike,
    SpikeMultiplier = 4,
    SpikeStart = normal,
    SpikeDuration = spike,
    RefundShare = 0,
    ReturnShare = 0,
    MaxConcurrency = 32,
    Seed = 11,
}).RunAsync();
await outage;
Console.WriteLine($"Shopping done: {report}");

// Let every order reach a resting state (or the deadline), the warehouse still shipping.
var refs = report.OrderIds.Select(id => $"sandbox-{id.ToString(inv)}").ToList();
var views = new Dictionary<string, OrderView?>(StringComparer.Ordinal);
var settleBy = DateTimeOffset.UtcNow + settleWithin;
while (true)
{
    foreach (var orderRef in refs.Where(r => !views.TryGetValue(r, out var v) || !Settled(v)))
    {
        views[orderRef] = await stack.GetOrderAsync(orderRef);
    }

    var unsettled = refs.Count(r => !Settled(views[r]));
    if (unsettled == 0 || DateTimeOffset.UtcNow > settleBy)
    {
        break;
    }

    Console.WriteLine($"  {unsettled} orders still moving...");
    await Task.Delay(TimeSpan.FromSeconds(3));
}

await shipping.CancelAsync();
await shipper;

// The ledger.
var erpOrders = (await stack.ErpSalesOrdersAsync()).Where(o => refs.Contains(o.PoNo)).ToList();
var perRef = erpOrders.GroupBy(o => o.PoNo).ToDictionary(g => g.Key, g => g.ToList());
var inErp = perRef.Count(p => p.Value.Any(o => o.DocStatus == 1) || views[p.Key]?.State == OrderState.Cancelled);
var secondDocuments = perRef.Sum(p => Math.Max(0, p.Value.Count - 1));
var known = views.Values.Where(v => v is not null).Select(v => v!).ToList();
var byState = known.GroupBy(v => v.State).ToDictionary(g => g.Key, g => g.Count());
var rejected = known.Where(v => OrderStateIsException(v.State)).GroupBy(v => ReasonCode(v.StatusReason)).OrderByDescending(g => g.Count()).ToList();
var oversold = Math.Max(0m, await stack.ErpOverpromisedUnitsAsync() - overpromisedBefore);
var intake = await stack.IntakeStatsAsync();
// Checkout -> ERP confirmation, by when the order was placed: the normal day, or the promotion (with the outage).
var confirmations = known
    .Select(v => (v, confirmed: v.History.FirstOrDefault(h => h.ToState == OrderState.Confirmed)))
    .Where(x => x.confirmed is not null && report.PlacedAt.ContainsKey(long.Parse(x.v.Order.StoreOrderId, inv)))
    .Select(x => (PlacedAt: report.PlacedAt[long.Parse(x.v.Order.StoreOrderId, inv)], ConfirmedAt: x.confirmed!.At.ToDateTimeOffset()))
    .ToList();
double[] Latencies(bool promotion) => [.. confirmations.Where(c => c.PlacedAt >= promotionStarts == promotion).Select(c => (c.ConfirmedAt - c.PlacedAt).TotalMilliseconds).Order()];
string LatencyRow(double[] sorted) => sorted.Length == 0 ? "-" : string.Create(inv, $"{Percentile(sorted, 50):0} ms / {Percentile(sorted, 99):0} ms over {sorted.Length} orders");

Console.WriteLine();
var rows = new List<(string, string)>
{
    ("orders placed at the store", $"{report.OrdersPlaced} ({report.SpikeAttempted} attempted in the promotion; {report.OrdersFailed} checkouts refused by the store)"),
    ("accepted by Storebridge", $"{known.Count}"),
    ("in the ERP (sales order submitted)", $"{inErp}"),
    ("shipped and completed", $"{Count(OrderState.Shipped) + Count(OrderState.Completed)} (the warehouse shipped {shipped.Count})"),
    ("awaiting shipment / payment", $"{Count(OrderState.AwaitingShipment)} / {Count(OrderState.AwaitingPayment)}"),
    ("rejected or on hold", rejected.Count == 0 ? "0" : $"{rejected.Sum(g => g.Count())}: " + string.Join(", ", rejected.Select(g => $"{g.Key} x{g.Count()}"))),
    ("still in flight at the deadline", $"{refs.Count - known.Count(Settled)}"),
    ("duplicate deliveries suppressed", $"{intake.GetProperty("duplicates").GetInt64()} (of {intake.GetProperty("accepted").GetInt64() + intake.GetProperty("duplicates").GetInt64()} deliveries and sweep finds)"),
    ("second ERP documents for one order", $"{secondDocuments} (must be 0)"),
    ("units oversold", $"{oversold.ToString("0", inv)} (must be 0)"),
    ("checkout -> ERP confirmed, p50 / p99, normal day", LatencyRow(Latencies(promotion: false))),
    ("  in the promotion (ERP outage included)", LatencyRow(Latencies(promotion: true)) + " (orders caught by the outage wait for the ERP retry back-off)"),
};
var width = rows.Max(r => r.Item1.Length);
foreach (var (name, value) in rows)
{
    Console.WriteLine($"{name.PadRight(width)} | {value}");
}

var lost = report.OrdersPlaced - known.Count;
var ok = oversold == 0 && secondDocuments == 0 && lost == 0;
Console.WriteLine(ok ? "Invariants held: nothing oversold, one ERP document per order, every order accepted." : "AN INVARIANT BROKE: see the table above.");
return ok ? 0 : 1;

int Count(OrderState state) => byState.GetValueOrDefault(state);

// Resting: nothing more happens without a person, a payment or the warehouse (which ships even store order ids).
static bool Settled(OrderView? view) => view is not null && view.State switch
{
    OrderState.AwaitingShipment => !ShippedByWarehouse(view.Order.OrderRef),
    OrderState.AwaitingPayment or OrderState.Completed or OrderState.Cancelled or OrderState.OnHold or OrderState.Failed or OrderState.Rejected => true,
    _ => false,
};

// The warehouse ships about half the orders during the demo: those with an even store order id.
static bool ShippedByWarehouse(string orderRef) => long.Parse(orderRef.Split('-')[^1], CultureInfo.InvariantCulture) % 2 == 0;

static bool OrderStateIsException(OrderState state) => state is OrderState.OnHold or OrderState.Failed or OrderState.Rejected;

static string ReasonCode(string reason) => reason.Split(':', 2)[0] is { Length: > 0 } code ? code : "unspecified";

static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

static double Seconds(string name, double fallback) =>
    double.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : fallback;

// The warehouse: every few seconds it ships the orders awaiting shipment that it ships (see ShippedByWarehouse).
async Task ShipAsync(CancellationToken cancellationToken)
{
    while (!cancellationToken.IsCancellationRequested)
    {
        try
        {
            foreach (var order in await stack.ListOrdersAsync(OrderState.AwaitingShipment))
            {
                if (ShippedByWarehouse(order.OrderRef) && !shipped.Contains(order.OrderRef) && await stack.GetOrderAsync(order.OrderRef) is { } view)
                {
                    await stack.ShipAsync(view.ErpSalesOrderId, $"1ZDEMO{order.OrderRef.Split('-')[^1]}");
                    shipped.Add(order.OrderRef);
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (HttpRequestException ex)
        {
            // The ERP is down in the middle of the promotion; the warehouse tries again.
            Console.WriteLine($"  warehouse: {ex.Message}");
            await Task.Delay(TimeSpan.FromSeconds(3), CancellationToken.None);
        }
    }
}
