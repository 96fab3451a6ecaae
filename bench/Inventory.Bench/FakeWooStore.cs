using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Storebridge.Testing.Runtime;

namespace Inventory.Bench;

/// <summary>
/// The slice of WooCommerce REST v3 a stock push uses (product listing and <c>products/batch</c> with the 100-item
/// limit), on 127.0.0.1. It counts API calls and records when each SKU's stock last changed.
/// </summary>
internal sealed class FakeWooStore : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<long, int> _stock = new();
    private readonly Dictionary<long, string> _skus;
    private int _listCalls;
    private int _batchCalls;

    private FakeWooStore(WebApplication app, Dictionary<long, string> skus)
    {
        _app = app;
        _skus = skus;
    }

    public Uri BaseUrl { get; private set; } = null!;

    public int ListCalls => _listCalls;

    public int BatchCalls => _batchCalls;

    /// <summary>Raised for each stock update applied: SKU, quantity.</summary>
    public event Action<string, int>? StockSet;

    public void ResetCounters()
    {
        Interlocked.Exchange(ref _listCalls, 0);
        Interlocked.Exchange(ref _batchCalls, 0);
    }

    public static async Task<FakeWooStore> StartAsync(IReadOnlyList<string> skus)
    {
        var app = LoopbackApp.CreateBuilder().Build();
        var map = skus.Select((sku, i) => (Id: (long)(1000 + i), Sku: sku)).ToDictionary(p => p.Id, p => p.Sku);
        var store = new FakeWooStore(app, map);
        app.MapGet("/wp-json/wc/v3/products", (HttpContext context) =>
        {
            Interlocked.Increment(ref store._listCalls);
            var perPage = int.TryParse(context.Request.Query["per_page"], out var pp) ? Math.Clamp(pp, 1, 100) : 10;
            var page = int.TryParse(context.Request.Query["page"], out var p) ? Math.Max(1, p) : 1;
            var items = store._skus.OrderBy(k => k.Key).Skip((page - 1) * perPage).Take(perPage)
                .Select(k => new { id = k.Key, sku = k.Value, type = "simple", manage_stock = true, stock_quantity = store._stock.GetValueOrDefault(k.Key) })
                .ToList();
            context.Response.Headers["X-WP-Total"] = store._skus.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            context.Response.Headers["X-WP-TotalPages"] = ((store._skus.Count + perPage - 1) / perPage).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Json(items);
        });
        app.MapPost("/wp-json/wc/v3/products/batch", async (HttpContext context) =>
        {
            Interlocked.Increment(ref store._batchCalls);
            var body = await JsonNode.ParseAsync(context.Request.Body);
            var updates = body?["update"]?.AsArray() ?? [];
            if (updates.Count > 100)
            {
                return Results.Json(new { code = "woocommerce_rest_request_entity_too_large", message = "Unable to accept more than 100 items for this request.", data = new { status = 413 } }, statusCode: 413);
            }

            var results = new JsonArray();
            foreach (var update in updates)
            {
                var id = update!["id"]!.GetValue<long>();
                var quantity = update["stock_quantity"]!.GetValue<int>();
                store._stock[id] = quantity;
                if (store._skus.TryGetValue(id, out var sku))
                {
                    store.StockSet?.Invoke(sku, quantity);
                }

                results.Add(new JsonObject { ["id"] = id, ["sku"] = sku, ["manage_stock"] = true, ["stock_quantity"] = quantity });
            }

            return Results.Json(new JsonObject { ["update"] = results });
        });
        await app.StartAsync();
        store.BaseUrl = LoopbackApp.Address(app);
        return store;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
