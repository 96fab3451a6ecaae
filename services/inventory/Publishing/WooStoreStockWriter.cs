using System.Collections.Concurrent;
using Storebridge.WooCommerce;

namespace Storebridge.Inventory.Publishing;

/// <summary>
/// Pushes stock to WooCommerce stores with the connector's batch stock update (≤100 items per call, within the
/// store's rate limit). SKUs are mapped to product/variation ids from the store's own catalogue, loaded once and
/// reloaded when an unknown SKU shows up (at most every <see cref="MapRefreshInterval"/>).
/// </summary>
public sealed partial class WooStoreStockWriter(IWooCommerceClientFactory stores, TimeProvider time, ILogger<WooStoreStockWriter> logger) : IStoreStockWriter
{
    /// <summary>Shortest time between two reloads of a store's SKU map.</summary>
    public static readonly TimeSpan MapRefreshInterval = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, SkuMap> _maps = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public bool Handles(string storeId) => stores.StoreIds.Contains(storeId, StringComparer.OrdinalIgnoreCase);

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> PushAsync(string storeId, IReadOnlyList<StockPush> items, CancellationToken cancellationToken)
    {
        var client = stores.GetClient(storeId);
        var map = await MapAsync(client, items, cancellationToken);
        var updates = new List<(string Sku, WooStockUpdate Update)>();
        foreach (var item in items)
        {
            if (map.Ids.TryGetValue(item.Sku, out var id))
            {
                var quantity = (int)Math.Clamp(item.Quantity, 0, int.MaxValue);
                updates.Add((item.Sku, new WooStockUpdate(id.ProductId, id.VariationId, quantity)));
            }
            else
            {
                LogUnknownSku(logger, storeId, item.Sku);
            }
        }

        if (updates.Count == 0)
        {
            return [];
        }

        var results = await client.SetStockAsync(updates.Select(u => u.Update), cancellationToken);
        var skuByUpdate = updates.ToDictionary(u => u.Update, u => u.Sku);
        return [.. results.Where(r => r.Error is not null).Select(r => skuByUpdate[r.Update])];
    }

    private async Task<SkuMap> MapAsync(WooCommerceClient client, IReadOnlyList<StockPush> items, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_maps.TryGetValue(client.StoreId, out var map)
            && (items.All(i => map.Ids.ContainsKey(i.Sku)) || now - map.LoadedAt < MapRefreshInterval))
        {
            return map;
        }

        var ids = new Dictionary<string, (long, long?)>(StringComparer.Ordinal);
        await foreach (var product in client.ListProductsAsync([new("per_page", "100")], cancellationToken))
        {
            if (product.Id is not { } productId)
            {
                continue;
            }

            if (!string.IsNullOrEmpty(product.Sku))
            {
                ids[product.Sku] = (productId, null);
            }

            if (product.Type == "variable")
            {
                await foreach (var variation in client.ListVariationsAsync(productId, [new("per_page", "100")], cancellationToken))
                {
                    if (variation.Id is { } variationId && !string.IsNullOrEmpty(variation.Sku))
                    {
                        ids[variation.Sku] = (productId, variationId);
                    }
                }
            }
        }

        map = new SkuMap(ids, now);
        _maps[client.StoreId] = map;
        LogMapLoaded(logger, client.StoreId, ids.Count);
        return map;
    }

    private sealed record SkuMap(Dictionary<string, (long ProductId, long? VariationId)> Ids, DateTimeOffset LoadedAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Count} SKU(s) of store {StoreId}")]
    private static partial void LogMapLoaded(ILogger logger, string storeId, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Store {StoreId} has no product with SKU {Sku}; not pushed")]
    private static partial void LogUnknownSku(ILogger logger, string storeId, string sku);
}
