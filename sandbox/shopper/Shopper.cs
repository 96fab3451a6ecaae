using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Storebridge.WooCommerce;
using Storebridge.WooCommerce.Models;

namespace Storebridge.Sandbox.Shopper;

/// <summary>Places orders against the store simulator's checkout at a steady rate with a promotion spike,
/// mixes consumer and business buyers, and has "store staff" make partial refunds and returns over the REST
/// API. Bounded by <see cref="ShopperOptions.Duration"/> and <see cref="ShopperOptions.MaxOrders"/>.</summary>
public sealed class Shopper(ShopperOptions options, HttpClient? http = null)
{
    private readonly HttpClient _http = http ?? new HttpClient();
    private readonly Lock _gate = new();

    /// <summary>Runs until the duration or the order bound is reached, then waits for orders in flight.</summary>
    public async Task<ShopperReport> RunAsync(CancellationToken cancellationToken = default)
    {
        options.Validate();
        var time = options.TimeProvider;
        var random = new Random(options.Seed);
        var catalog = await LoadCatalogAsync(cancellationToken);
        var products = catalog.Products.Where(p => p.StockStatus == "instock").ToList();
        var businesses = catalog.Customers.Where(c => c.Kind == "Business").ToList();
        var consumers = catalog.Customers.Where(c => c.Kind != "Business").ToList();
        if (products.Count == 0)
        {
            throw new InvalidOperationException("The store has nothing in stock to sell.");
        }

        var report = new ShopperReport();
        var started = time.GetTimestamp();
        using var slots = new SemaphoreSlim(Math.Max(1, options.MaxConcurrency));
        var running = new List<Task>();
        var next = TimeSpan.Zero;
        while (!cancellationToken.IsCancellationRequested)
        {
            next += TimeSpan.FromSeconds(1 / options.RateAt(next));
            if (next >= options.Duration || (options.MaxOrders is { } max && report.Attempted >= max))
            {
                break;
            }

            var wait = next - time.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellationToken);
            }

            var plan = Plan(random, next, products, businesses, consumers);
            report.Attempted++;
            report.SpikeAttempted += plan.InSpike ? 1 : 0;
            await slots.WaitAsync(cancellationToken);
            running.Add(Task.Run(async () =>
            {
                try
                {
                    await ExecuteAsync(plan, report, cancellationToken);
                }
                finally
                {
                    slots.Release();
                }
            }, cancellationToken));
        }

        await Task.WhenAll(running);
        report.Elapsed = time.GetElapsedTime(started);
        return report;
    }

    private OrderPlan Plan(Random random, TimeSpan at, List<ShopProductView> products, List<ShopCustomerView> businesses, List<ShopCustomerView> consumers)
    {
        var business = businesses.Count > 0 && random.NextDouble() < options.B2BShare;
        var customer = business ? businesses[random.Next(businesses.Count)] : consumers.Count > 0 && random.NextDouble() < 0.5 ? consumers[random.Next(consumers.Count)] : null;
        var lineCount = 1 + random.Next(business ? 4 : 3);
        var lines = new List<(string Sku, int Quantity)>();
        foreach (var product in Enumerable.Range(0, lineCount).Select(_ => products[random.Next(products.Count)]).DistinctBy(p => p.Sku))
        {
            lines.Add((product.Sku, business ? 2 + random.Next(10) : 1 + random.Next(2)));
        }

        var inSpike = options.InSpike(at);
        var coupon = inSpike && random.NextDouble() < options.PromotionCouponShare ? options.PromotionCoupon : null;
        var after = random.NextDouble();
        var action = after < options.RefundShare ? AfterSale.PartialRefund : after < options.RefundShare + options.ReturnShare ? AfterSale.Return : AfterSale.None;
        var guestNumber = random.Next(1_000_000);
        return new OrderPlan(business, customer, lines, coupon, action, inSpike, guestNumber);
    }

    private async Task ExecuteAsync(OrderPlan plan, ShopperReport report, CancellationToken cancellationToken)
    {
        WooOrder? order;
        try
        {
            var body = new
            {
                customer_id = plan.Customer?.Id,
                billing = plan.Customer is null ? Guest(plan.GuestNumber) : null,
                line_items = plan.Lines.Select(l => new { sku = l.Sku, quantity = l.Quantity }).ToArray(),
                coupon_code = plan.Coupon,
                purchase_order = plan.Business ? $"PO-{plan.GuestNumber:000000}" : null,
            };
            using var response = await _http.PostAsJsonAsync(new Uri(options.Store, "__shop/checkout"), body, WooJson.Options, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                Fail(report, await ReasonAsync(response, cancellationToken));
                return;
            }

            order = await response.Content.ReadFromJsonAsync<WooOrder>(WooJson.Options, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            Fail(report, ex.HttpRequestError.ToString());
            return;
        }

        lock (_gate)
        {
            report.OrdersPlaced++;
            report.OrderIds.Add(order!.Id!.Value);
            report.PlacedAt[order.Id.Value] = options.TimeProvider.GetUtcNow();
            if (plan.Business)
            {
                report.B2BPlaced++;
            }
            else
            {
                report.B2CPlaced++;
            }

            report.CouponOrders += plan.Coupon is null ? 0 : 1;
        }

        if (plan.AfterSale != AfterSale.None)
        {
            await AfterSaleAsync(plan.AfterSale, order!, report, cancellationToken);
        }
    }

    private async Task AfterSaleAsync(AfterSale action, WooOrder order, ShopperReport report, CancellationToken cancellationToken)
    {
        var line = order.LineItems![0];
        var quantity = action == AfterSale.Return ? line.Quantity ?? 1 : 1;
        var perUnit = Decimal(line.Total) / (line.Quantity ?? 1);
        var refundTotal = Math.Round(perUnit * quantity, 2);
        var taxes = (line.Taxes ?? []).Select(t => new WooRefundTax { Id = t.Id, RefundTotal = Math.Round(Decimal(t.Total) / (line.Quantity ?? 1) * quantity, 2).ToString("0.00", CultureInfo.InvariantCulture) }).ToList();
        var refund = new WooRefund
        {
            Amount = (refundTotal + taxes.Sum(t => Decimal(t.RefundTotal))).ToString("0.00", CultureInfo.InvariantCulture),
            Reason = action == AfterSale.Return ? "Customer return" : "Partial refund: goodwill",
            ApiRefund = true,
            ApiRestock = action == AfterSale.Return,
            LineItems = [new WooRefundLine { Id = line.Id, Quantity = quantity, RefundTotal = refundTotal.ToString("0.00", CultureInfo.InvariantCulture), RefundTax = taxes }],
        };
        using var response = await SendStaffAsync(HttpMethod.Post, $"orders/{order.Id}/refunds", refund, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var reason = await ReasonAsync(response, cancellationToken);
            lock (_gate)
            {
                report.RefundsFailed++;
                Count(report, "refund:" + reason);
            }

            return;
        }

        if (action == AfterSale.Return)
        {
            using var note = await SendStaffAsync(HttpMethod.Post, $"orders/{order.Id}/notes", new WooOrderNote { Note = $"Return received: {quantity} x {line.Sku}", CustomerNote = true }, cancellationToken);
        }

        lock (_gate)
        {
            if (action == AfterSale.Return)
            {
                report.Returns++;
            }
            else
            {
                report.PartialRefunds++;
            }
        }
    }

    private async Task<HttpResponseMessage> SendStaffAsync(HttpMethod method, string path, object body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(options.Store, "wp-json/wc/v3/" + path))
        {
            Content = JsonContent.Create(body, body.GetType(), options: WooJson.Options),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.ConsumerKey}:{options.ConsumerSecret}")));
        return await _http.SendAsync(request, cancellationToken);
    }

    private async Task<ShopCatalogView> LoadCatalogAsync(CancellationToken cancellationToken) =>
        await _http.GetFromJsonAsync<ShopCatalogView>(new Uri(options.Store, "__shop/catalog"), WooJson.Options, cancellationToken)
        ?? throw new InvalidOperationException("The store returned no catalog.");

    private void Fail(ShopperReport report, string reason)
    {
        lock (_gate)
        {
            report.OrdersFailed++;
            Count(report, reason);
        }
    }

    private static void Count(ShopperReport report, string reason) =>
        report.FailuresByReason[reason] = report.FailuresByReason.GetValueOrDefault(reason) + 1;

    private static async Task<string> ReasonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var error = await response.Content.ReadFromJsonAsync<WooError>(WooJson.Options, cancellationToken);
            return error?.Code is { Length: > 0 } code ? code : ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
        }
        catch (JsonException)
        {
            return ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
        }
    }

    private static decimal Decimal(string? value) =>
        string.IsNullOrEmpty(value) ? 0m : decimal.Parse(value, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    private static WooAddress Guest(int number) => new()
    {
        FirstName = "Guest",
        LastName = number.ToString(CultureInfo.InvariantCulture),
        Address1 = $"{number % 900 + 100} Market St",
        City = "San Francisco",
        State = "CA",
        Postcode = "94103",
        Country = "US",
        Email = $"guest{number}@example.com",
    };

    private enum AfterSale
    {
        None,
        PartialRefund,
        Return,
    }

    private sealed record OrderPlan(bool Business, ShopCustomerView? Customer, List<(string Sku, int Quantity)> Lines, string? Coupon, AfterSale AfterSale, bool InSpike, int GuestNumber);

    private sealed record ShopCatalogView(string Currency, List<ShopProductView> Products, List<ShopCustomerView> Customers);

    private sealed record ShopProductView(long ProductId, long VariationId, string Sku, string Name, string StockStatus, int? StockQuantity);

    private sealed record ShopCustomerView(long Id, string ErpId, string Email, string Kind, string Company);

}
