using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Storebridge.Sandbox.Store;
using Storebridge.WooCommerce;

namespace Storebridge.Orders.Tests;

/// <summary>The store simulator's REST API as an administrator sees it (Basic auth with the store's own keys).</summary>
internal static class StoreRest
{
    public static HttpClient Client(StoreSimulator store)
    {
        var http = new HttpClient { BaseAddress = new Uri(store.BaseUrl, "wp-json/wc/v3/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.ASCII.GetBytes($"{store.Options.ConsumerKey}:{store.Options.ConsumerSecret}")));
        return http;
    }

    public static async Task<JsonElement> GetAsync(StoreSimulator store, string path)
    {
        using var http = Client(store);
        return await http.GetFromJsonAsync<JsonElement>(path, TestContext.Current.CancellationToken);
    }

    /// <summary>The store's webhooks with this status, as (topic, delivery URL), ordered by topic.</summary>
    public static async Task<List<(string Topic, string Url)>> WebhooksAsync(StoreSimulator store, string status = "active") =>
        [.. (await GetAsync(store, "webhooks")).EnumerateArray()
            .Where(h => h.GetProperty("status").GetString() == status)
            .Select(h => (h.GetProperty("topic").GetString()!, h.GetProperty("delivery_url").GetString()!))
            .OrderBy(h => h.Item1, StringComparer.Ordinal)];

    /// <summary>A guest's checkout of one item in stock; returns the store order id.</summary>
    public static async Task<long> CheckoutAsync(StoreSimulator store)
    {
        using var http = new HttpClient { BaseAddress = store.BaseUrl };
        var sku = store.Catalog.Sellables.First(s => store.Stock(s.Sku)?.StockQuantity > 5).Sku;
        var response = await http.PostAsJsonAsync("__shop/checkout", new
        {
            billing = new { first_name = "Ann", last_name = "Lee", address_1 = "1 Main St", city = "Austin", state = "TX", postcode = "73301", country = "US", email = "ann@example.com" },
            line_items = new[] { new { sku, quantity = 1 } },
        }, WooJson.Options, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("id").GetInt64();
    }
}
