using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Storebridge.Contracts.Orders.V1;
using Storebridge.Orders.Grpc;
using Storebridge.Testing;
using Storebridge.WooCommerce;

namespace Storebridge.Orders.Bench;

/// <summary>Outcome of the open-loop checkout run: orders the ERP acknowledged, with latency, and where the rest ended.</summary>
internal sealed record EndToEndResult(int Placed, double AchievedRate, double[] AckLatenciesMs, IReadOnlyDictionary<string, int> Others);

/// <summary>
/// Shoppers check out in the store at a steady rate (open loop: the schedule does not wait for answers); each order's
/// clock runs from the checkout request until the orders API first shows the ERP's acknowledgement.
/// </summary>
internal static class EndToEndRun
{
    // States the order can only reach after the ERP acknowledged its sales order.
    private static readonly HashSet<OrderState> Acknowledged =
        [OrderState.Confirmed, OrderState.AwaitingPayment, OrderState.AwaitingShipment, OrderState.Shipped, OrderState.Completed];

    private static readonly HashSet<OrderState> Stopped =
        [OrderState.OnHold, OrderState.Cancelled, OrderState.Rejected, OrderState.Failed];

    /// <summary>The slowest an order is asked for its state; latencies above a second carry up to this much rounding.</summary>
    public static readonly TimeSpan MaxPollInterval = TimeSpan.FromMilliseconds(400);

    public static async Task<EndToEndResult> RunAsync(StorebridgeSystem system, double perSecond, TimeSpan duration, TimeSpan pollEvery, TimeSpan perOrderLimit)
    {
        // Spread quantity-1 orders over the best-stocked SKUs so stock does not run out and turn orders into holds.
        var data = system.Store.Catalog;
        var skus = data.Sellables
            .Select(s => (s.Sku, OnHand: data.Stock.Where(x => x.Sku == s.Sku).Sum(x => x.OnHand)))
            .Where(s => system.Store.Stock(s.Sku)?.StockQuantity > 0)
            .OrderByDescending(s => s.OnHand)
            .Take(40)
            .Select(s => s.Sku)
            .ToArray();
        if (skus.Length == 0)
        {
            throw new InvalidOperationException("The sandbox has no SKU in stock to order.");
        }

        using var store = new HttpClient { BaseAddress = system.Store.BaseUrl };
        using var channel = GrpcChannel.ForAddress(system.Orders.Service.AppAddress);
        var orders = new OrdersService.OrdersServiceClient(channel);
        var apiKey = new Metadata { { "x-api-key", ServiceHost<OrdersGrpc>.ApiKey } };

        // Watching must not become the load: few status calls at a time, and each order is asked less often the
        // longer it takes.
        using var polls = new SemaphoreSlim(8);
        var latencies = new ConcurrentBag<double>();
        var others = new ConcurrentDictionary<string, int>();
        var total = (int)(perSecond * duration.TotalSeconds);
        var interval = TimeSpan.FromSeconds(1 / perSecond);
        var start = Stopwatch.GetTimestamp();
        var inFlight = new List<Task>(total);
        for (var i = 0; i < total; i++)
        {
            var due = interval * i - Stopwatch.GetElapsedTime(start);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due);
            }

            var sku = skus[i % skus.Length];
            inFlight.Add(Task.Run(async () =>
            {
                var outcome = await PlaceAndWatchAsync(store, orders, apiKey, polls, sku, pollEvery, perOrderLimit);
                if (outcome.LatencyMs is { } ms)
                {
                    latencies.Add(ms);
                }
                else
                {
                    others.AddOrUpdate(outcome.Other!, 1, (_, n) => n + 1);
                }
            }));
        }

        var achieved = total / Stopwatch.GetElapsedTime(start).TotalSeconds;
        await Task.WhenAll(inFlight);
        return new EndToEndResult(total, achieved, latencies.ToArray(), others);
    }

    private static async Task<(double? LatencyMs, string? Other)> PlaceAndWatchAsync(
        HttpClient store, OrdersService.OrdersServiceClient orders, Metadata apiKey, SemaphoreSlim polls, string sku, TimeSpan pollEvery, TimeSpan limit)
    {
        var started = Stopwatch.GetTimestamp();
        long orderId;
        try
        {
            using var response = await store.PostAsJsonAsync("__shop/checkout", new
            {
                billing = new { first_name = "Ann", last_name = "Lee", address_1 = "1 Main St", city = "Austin", state = "TX", postcode = "73301", country = "US", email = "ann@example.com" },
                line_items = new[] { new { sku, quantity = 1 } },
                payment_method = "stripe",
            }, WooJson.Options);
            if (!response.IsSuccessStatusCode)
            {
                return (null, $"checkout {(int)response.StatusCode}");
            }

            orderId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        }
        catch (HttpRequestException)
        {
            return (null, "checkout failed");
        }

        var orderRef = $"{StorebridgeSystem.StoreId}-{orderId}";
        var last = OrderState.Unspecified;
        var wait = pollEvery;
        while (Stopwatch.GetElapsedTime(started) < limit)
        {
            await polls.WaitAsync();
            try
            {
                var view = (await orders.GetOrderAsync(new GetOrderRequest { OrderRef = orderRef }, apiKey)).Order;
                last = view.State;
                if (Acknowledged.Contains(view.State))
                {
                    return (Stopwatch.GetElapsedTime(started).TotalMilliseconds, null);
                }

                if (Stopped.Contains(view.State))
                {
                    return (null, view.State.ToString());
                }
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                // Not taken in yet: the store's webhook is still on its way.
            }
            finally
            {
                polls.Release();
            }

            await Task.Delay(wait);
            wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, MaxPollInterval.Ticks));
        }

        return (null, $"still {last} after {limit.TotalSeconds:0}s");
    }
}
