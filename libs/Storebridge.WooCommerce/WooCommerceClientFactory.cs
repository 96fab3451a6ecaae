using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Storebridge.WooCommerce.Http;

namespace Storebridge.WooCommerce;

/// <summary>Hands out the client of a named store.</summary>
public interface IWooCommerceClientFactory
{
    /// <summary>Ids of all configured stores.</summary>
    IReadOnlyCollection<string> StoreIds { get; }

    /// <summary>The client of the store with this id.</summary>
    /// <exception cref="KeyNotFoundException">No store with that id is configured.</exception>
    WooCommerceClient GetClient(string storeId);

    /// <summary>The options of the store with this id (for its webhook secret, currency, ...).</summary>
    WooStoreOptions GetStore(string storeId);
}

internal sealed class WooCommerceClientFactory(
    IHttpClientFactory httpClientFactory,
    IOptionsMonitor<WooCommerceOptions> options,
    ILogger<WooCommerceClient> logger) : IWooCommerceClientFactory
{
    public IReadOnlyCollection<string> StoreIds => options.CurrentValue.Stores.Keys;

    public WooCommerceClient GetClient(string storeId) =>
        new(httpClientFactory.CreateClient(WooRequest.HttpClientName), GetStore(storeId), logger);

    public WooStoreOptions GetStore(string storeId)
    {
        if (!options.CurrentValue.Stores.TryGetValue(storeId, out var store))
        {
            throw new KeyNotFoundException($"WooCommerce store '{storeId}' is not configured (WooCommerce:Stores:{storeId}).");
        }

        if (string.IsNullOrEmpty(store.StoreId))
        {
            store.StoreId = storeId;
        }

        return store;
    }
}
