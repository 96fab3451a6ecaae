namespace Storebridge.WooCommerce.Http;

/// <summary>Per-request facts the handlers of the WooCommerce pipeline read.</summary>
internal static class WooRequest
{
    /// <summary>The store the request is for.</summary>
    public static readonly HttpRequestOptionsKey<WooStoreOptions> Store = new("storebridge.woocommerce.store");

    /// <summary>Set on POSTs that are safe to repeat (the store applies them idempotently).</summary>
    public static readonly HttpRequestOptionsKey<bool> RetrySafe = new("storebridge.woocommerce.retry-safe");

    /// <summary>The name of the HttpClient the connector uses.</summary>
    public const string HttpClientName = "Storebridge.WooCommerce";

    public static WooStoreOptions GetStore(HttpRequestMessage request) =>
        request.Options.TryGetValue(Store, out var store)
            ? store
            : throw new InvalidOperationException("A WooCommerce request must carry its store; send it through WooCommerceClient.");
}
