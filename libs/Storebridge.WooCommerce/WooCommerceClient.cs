using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Storebridge.WooCommerce.Http;
using Storebridge.WooCommerce.Models;

namespace Storebridge.WooCommerce;

/// <summary>Typed client of one store's REST API v3 (<c>/wp-json/wc/v3/</c>). Get one per store from
/// <see cref="IWooCommerceClientFactory"/>; it is cheap and thread-safe.</summary>
public sealed class WooCommerceClient(HttpClient http, WooStoreOptions store, ILogger<WooCommerceClient> logger)
{
    private const string ApiPath = "wp-json/wc/v3/";

    /// <summary>The store this client calls.</summary>
    public WooStoreOptions Store { get; } = store;

    /// <summary>The store id.</summary>
    public string StoreId => Store.StoreId;

    // ---- products and variations ----

    /// <summary>Reads a product.</summary>
    public Task<WooProduct> GetProductAsync(long id, CancellationToken cancellationToken = default) =>
        GetAsync<WooProduct>($"products/{id}", null, cancellationToken);

    /// <summary>Lists products, following every page. <paramref name="query"/> takes WooCommerce filters (sku, status, modified_after, ...).</summary>
    public IAsyncEnumerable<WooProduct> ListProductsAsync(IEnumerable<KeyValuePair<string, string>>? query = null, CancellationToken cancellationToken = default) =>
        ListAsync<WooProduct>("products", query, cancellationToken);

    /// <summary>Finds the product with a SKU, or <see langword="null"/>.</summary>
    public async Task<WooProduct?> FindProductBySkuAsync(string sku, CancellationToken cancellationToken = default)
    {
        var page = await GetPageAsync<WooProduct>("products", [new("sku", sku)], 1, cancellationToken);
        return page.Items.FirstOrDefault();
    }

    /// <summary>Creates a product.</summary>
    public Task<WooProduct> CreateProductAsync(WooProduct product, CancellationToken cancellationToken = default) =>
        SendAsync<WooProduct>(HttpMethod.Post, "products", null, product, retrySafe: false, cancellationToken);

    /// <summary>Updates a product with the properties set on <paramref name="patch"/>.</summary>
    public Task<WooProduct> UpdateProductAsync(long id, WooProduct patch, CancellationToken cancellationToken = default) =>
        SendAsync<WooProduct>(HttpMethod.Put, $"products/{id}", null, patch, retrySafe: true, cancellationToken);

    /// <summary>Creates, updates and deletes products in as many batch calls as the store's limit needs.</summary>
    public Task<WooBatchResult<WooProduct>> BatchProductsAsync(WooBatch<WooProduct> batch, CancellationToken cancellationToken = default) =>
        BatchAsync("products/batch", "products", batch, cancellationToken);

    /// <summary>Reads a variation.</summary>
    public Task<WooVariation> GetVariationAsync(long productId, long id, CancellationToken cancellationToken = default) =>
        GetAsync<WooVariation>($"products/{productId}/variations/{id}", null, cancellationToken);

    /// <summary>Lists a product's variations, following every page.</summary>
    public IAsyncEnumerable<WooVariation> ListVariationsAsync(long productId, IEnumerable<KeyValuePair<string, string>>? query = null, CancellationToken cancellationToken = default) =>
        ListAsync<WooVariation>($"products/{productId}/variations", query, cancellationToken);

    /// <summary>Creates a variation.</summary>
    public Task<WooVariation> CreateVariationAsync(long productId, WooVariation variation, CancellationToken cancellationToken = default) =>
        SendAsync<WooVariation>(HttpMethod.Post, $"products/{productId}/variations", null, variation, retrySafe: false, cancellationToken);

    /// <summary>Updates a variation.</summary>
    public Task<WooVariation> UpdateVariationAsync(long productId, long id, WooVariation patch, CancellationToken cancellationToken = default) =>
        SendAsync<WooVariation>(HttpMethod.Put, $"products/{productId}/variations/{id}", null, patch, retrySafe: true, cancellationToken);

    /// <summary>Batch of a product's variations, split at the store's limit.</summary>
    public Task<WooBatchResult<WooVariation>> BatchVariationsAsync(long productId, WooBatch<WooVariation> batch, CancellationToken cancellationToken = default) =>
        BatchAsync($"products/{productId}/variations/batch", "variations", batch, cancellationToken);

    /// <summary>Sets the stock of many products and variations: one batch per parent (split at the limit).
    /// Stock is set absolutely (manage_stock on), so repeating an update is harmless.</summary>
    public async Task<IReadOnlyList<WooStockUpdateResult>> SetStockAsync(IEnumerable<WooStockUpdate> updates, CancellationToken cancellationToken = default)
    {
        var results = new List<WooStockUpdateResult>();
        foreach (var group in updates.GroupBy(u => u.VariationId is null ? (long?)null : u.ProductId))
        {
            var list = group.ToList();
            if (group.Key is null)
            {
                var batch = new WooBatch<WooProduct> { Update = [.. list.Select(u => new WooProduct { Id = u.ProductId, ManageStock = true, StockQuantity = u.Quantity })] };
                var result = await BatchProductsAsync(batch, cancellationToken);
                results.AddRange(list.Zip(result.Update, (u, r) => new WooStockUpdateResult(u, r.Error)));
            }
            else
            {
                var batch = new WooBatch<WooVariation> { Update = [.. list.Select(u => new WooVariation { Id = u.VariationId, ManageStock = true, StockQuantity = u.Quantity })] };
                var result = await BatchVariationsAsync(group.Key.Value, batch, cancellationToken);
                results.AddRange(list.Zip(result.Update, (u, r) => new WooStockUpdateResult(u, r.Error)));
            }
        }

        return results;
    }

    // ---- orders ----

    /// <summary>Reads an order.</summary>
    public Task<WooOrder> GetOrderAsync(long id, CancellationToken cancellationToken = default) =>
        GetAsync<WooOrder>($"orders/{id}", null, cancellationToken);

    /// <summary>Reads an order as raw JSON (for mapping with <see cref="Mapping.WooOrderMapper"/> or archiving).</summary>
    public async Task<JsonElement> GetOrderJsonAsync(long id, CancellationToken cancellationToken = default) =>
        await GetAsync<JsonElement>($"orders/{id}", null, cancellationToken);

    /// <summary>Lists orders with WooCommerce filters (status, after, ...), following every page.</summary>
    public IAsyncEnumerable<WooOrder> ListOrdersAsync(IEnumerable<KeyValuePair<string, string>>? query = null, CancellationToken cancellationToken = default) =>
        ListAsync<WooOrder>("orders", query, cancellationToken);

    /// <summary>Orders modified after a UTC instant, oldest change first: the reconciliation sweep's listing.
    /// Asks for GMT dates so the store's time zone does not shift the cursor.</summary>
    public IAsyncEnumerable<WooOrder> ListOrdersModifiedAfterAsync(DateTimeOffset modifiedAfter, CancellationToken cancellationToken = default) =>
        ListAsync<WooOrder>("orders",
        [
            new("modified_after", WooJson.FormatDate(modifiedAfter.UtcDateTime)),
            new("dates_are_gmt", "true"),
            new("orderby", "modified"),
            new("order", "asc"),
        ], cancellationToken);

    /// <summary>Sets an order's status.</summary>
    public Task<WooOrder> UpdateOrderStatusAsync(long id, string status, CancellationToken cancellationToken = default) =>
        UpdateOrderAsync(id, new WooOrder { Status = status }, cancellationToken);

    /// <summary>Updates an order with the properties set on <paramref name="patch"/>.</summary>
    public Task<WooOrder> UpdateOrderAsync(long id, WooOrder patch, CancellationToken cancellationToken = default) =>
        SendAsync<WooOrder>(HttpMethod.Put, $"orders/{id}", null, patch, retrySafe: true, cancellationToken);

    /// <summary>Adds a note to an order (private unless <paramref name="customerNote"/>).</summary>
    public Task<WooOrderNote> AddOrderNoteAsync(long orderId, string note, bool customerNote = false, CancellationToken cancellationToken = default) =>
        SendAsync<WooOrderNote>(HttpMethod.Post, $"orders/{orderId}/notes", null, new WooOrderNote { Note = note, CustomerNote = customerNote }, retrySafe: false, cancellationToken);

    /// <summary>Lists an order's notes.</summary>
    public Task<List<WooOrderNote>> ListOrderNotesAsync(long orderId, CancellationToken cancellationToken = default) =>
        GetAsync<List<WooOrderNote>>($"orders/{orderId}/notes", null, cancellationToken);

    /// <summary>Creates a refund. Not retried after a possible apply: a duplicate refund moves money twice.</summary>
    public Task<WooRefund> CreateRefundAsync(long orderId, WooRefund refund, CancellationToken cancellationToken = default) =>
        SendAsync<WooRefund>(HttpMethod.Post, $"orders/{orderId}/refunds", null, refund, retrySafe: false, cancellationToken);

    /// <summary>Lists an order's refunds.</summary>
    public Task<List<WooRefund>> ListRefundsAsync(long orderId, CancellationToken cancellationToken = default) =>
        GetAsync<List<WooRefund>>($"orders/{orderId}/refunds", null, cancellationToken);

    // ---- customers ----

    /// <summary>Reads a customer.</summary>
    public Task<WooCustomer> GetCustomerAsync(long id, CancellationToken cancellationToken = default) =>
        GetAsync<WooCustomer>($"customers/{id}", null, cancellationToken);

    /// <summary>Lists customers (filters: email, role, ...), following every page.</summary>
    public IAsyncEnumerable<WooCustomer> ListCustomersAsync(IEnumerable<KeyValuePair<string, string>>? query = null, CancellationToken cancellationToken = default) =>
        ListAsync<WooCustomer>("customers", query, cancellationToken);

    /// <summary>Creates a customer.</summary>
    public Task<WooCustomer> CreateCustomerAsync(WooCustomer customer, CancellationToken cancellationToken = default) =>
        SendAsync<WooCustomer>(HttpMethod.Post, "customers", null, customer, retrySafe: false, cancellationToken);

    /// <summary>Updates a customer.</summary>
    public Task<WooCustomer> UpdateCustomerAsync(long id, WooCustomer patch, CancellationToken cancellationToken = default) =>
        SendAsync<WooCustomer>(HttpMethod.Put, $"customers/{id}", null, patch, retrySafe: true, cancellationToken);

    // ---- webhooks ----

    /// <summary>Lists all webhooks of the store.</summary>
    public async Task<List<WooWebhook>> ListWebhooksAsync(CancellationToken cancellationToken = default)
    {
        var all = new List<WooWebhook>();
        await foreach (var webhook in ListAsync<WooWebhook>("webhooks", null, cancellationToken))
        {
            all.Add(webhook);
        }

        return all;
    }

    /// <summary>Reads a webhook (its status shows whether the store disabled it).</summary>
    public Task<WooWebhook> GetWebhookAsync(long id, CancellationToken cancellationToken = default) =>
        GetAsync<WooWebhook>($"webhooks/{id}", null, cancellationToken);

    /// <summary>Deletes a webhook.</summary>
    public Task<WooWebhook> DeleteWebhookAsync(long id, CancellationToken cancellationToken = default) =>
        SendAsync<WooWebhook>(HttpMethod.Delete, $"webhooks/{id}", [new("force", "true")], null, retrySafe: true, cancellationToken);

    /// <summary>Makes sure a webhook for <paramref name="topic"/> delivers to <paramref name="deliveryUrl"/>: creates it
    /// when missing, re-activates it when the store disabled or paused it, leaves it alone when active. Run it at
    /// start-up and on a schedule; after a re-activation run a <c>modified_after</c> sweep, since the store does
    /// not redeliver what it dropped.</summary>
    public async Task<WooWebhookEnsured> EnsureWebhookAsync(string topic, Uri deliveryUrl, string secret, string? name = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deliveryUrl);
        var existing = (await ListWebhooksAsync(cancellationToken))
            .FirstOrDefault(w => w.Topic == topic && string.Equals(w.DeliveryUrl?.TrimEnd('/'), deliveryUrl.AbsoluteUri.TrimEnd('/'), StringComparison.Ordinal));
        if (existing is null)
        {
            var created = await CreateWebhookAsync(new WooWebhook { Name = name ?? $"Storebridge {topic}", Topic = topic, DeliveryUrl = deliveryUrl.AbsoluteUri, Secret = secret, Status = "active" }, cancellationToken);
            return new WooWebhookEnsured(created, WooWebhookAction.Created);
        }

        return existing.Status == "active"
            ? new WooWebhookEnsured(existing, WooWebhookAction.None)
            : new WooWebhookEnsured(await ReactivateWebhookAsync(existing.Id!.Value, cancellationToken), WooWebhookAction.Reactivated);
    }

    /// <summary>Creates a webhook; the store pings its delivery URL.</summary>
    public Task<WooWebhook> CreateWebhookAsync(WooWebhook webhook, CancellationToken cancellationToken = default) =>
        SendAsync<WooWebhook>(HttpMethod.Post, "webhooks", null, webhook, retrySafe: false, cancellationToken);

    /// <summary>Sets a webhook (disabled after delivery failures, or paused) back to active. Payloads lost
    /// while it was disabled are not redelivered by the store: run a <c>modified_after</c> sweep after this.</summary>
    public async Task<WooWebhook> ReactivateWebhookAsync(long id, CancellationToken cancellationToken = default)
    {
        var current = await GetAsync<WooWebhook>($"webhooks/{id}", null, cancellationToken);
        var updated = await SendAsync<WooWebhook>(HttpMethod.Put, $"webhooks/{id}", null, new WooWebhook { Status = "active" }, retrySafe: true, cancellationToken);
        Log.WebhookReactivated(logger, StoreId, id, current.Status ?? "?");
        return updated;
    }

    // ---- plumbing ----

    /// <summary>Reads one page of a collection.</summary>
    public async Task<WooPage<T>> GetPageAsync<T>(string path, IEnumerable<KeyValuePair<string, string>>? query, int page, CancellationToken cancellationToken = default)
    {
        var parameters = (query ?? []).Where(p => p.Key is not ("page" or "per_page")).ToList();
        parameters.Add(new("per_page", Store.PageSize.ToString(CultureInfo.InvariantCulture)));
        parameters.Add(new("page", page.ToString(CultureInfo.InvariantCulture)));
        using var response = await SendRawAsync(HttpMethod.Get, path, parameters, null, retrySafe: true, cancellationToken);
        var items = await ReadAsync<List<T>>(response, cancellationToken) ?? [];
        var total = HeaderInt(response, "X-WP-Total") ?? items.Count;
        var totalPages = HeaderInt(response, "X-WP-TotalPages") ?? (items.Count == 0 ? 0 : page);
        return new WooPage<T>(items, page, total, totalPages, NextLink(response));
    }

    /// <summary>Every item of a collection, page after page, until <c>X-WP-TotalPages</c> (or the absence of a
    /// <c>Link rel="next"</c> when the store sends no total) says it is done.</summary>
    public async IAsyncEnumerable<T> ListAsync<T>(string path, IEnumerable<KeyValuePair<string, string>>? query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var parameters = query?.ToList();
        for (var page = 1; ; page++)
        {
            var result = await GetPageAsync<T>(path, parameters, page, cancellationToken);
            foreach (var item in result.Items)
            {
                yield return item;
            }

            var more = result.TotalPages > 0 ? page < result.TotalPages : result.Next is not null;
            if (!more || result.Items.Count == 0)
            {
                yield break;
            }
        }
    }

    private async Task<WooBatchResult<T>> BatchAsync<T>(string path, string resource, WooBatch<T> batch, CancellationToken cancellationToken) where T : class
    {
        var result = new WooBatchResult<T>();
        var items = batch.Create.Select(i => (Op: "create", Item: (object)i))
            .Concat(batch.Update.Select(i => (Op: "update", Item: (object)i)))
            .Concat(batch.Delete.Select(i => (Op: "delete", Item: (object)i)))
            .ToList();
        var size = Store.BatchLimit;
        var offset = 0;
        while (offset < items.Count)
        {
            var chunk = items.Skip(offset).Take(size).ToList();
            var body = new Dictionary<string, List<object>>();
            foreach (var (op, item) in chunk)
            {
                if (!body.TryGetValue(op, out var list))
                {
                    body[op] = list = [];
                }

                list.Add(item);
            }

            // Updates and deletes land the same way twice; creates do not.
            var retrySafe = !body.ContainsKey("create");
            using var response = await SendRawAsync(HttpMethod.Post, path, null, body, retrySafe, cancellationToken, throwOnError: false);
            result.Calls++;
            if (response.StatusCode == HttpStatusCode.RequestEntityTooLarge && size > 1)
            {
                // The store's limit is lower than configured (woocommerce_rest_batch_items_limit): halve and go on.
                size = Math.Max(1, chunk.Count / 2);
                Log.BatchTooLarge(logger, StoreId, chunk.Count, size);
                continue;
            }

            await EnsureSuccessAsync(response, cancellationToken);
            var json = await ReadAsync<JsonElement>(response, cancellationToken);
            Collect(json, "create", result.Create, resource);
            Collect(json, "update", result.Update, resource);
            Collect(json, "delete", result.Delete, resource);
            offset += chunk.Count;
        }

        return result;
    }

    private void Collect<T>(JsonElement json, string op, List<WooBatchItemResult<T>> into, string resource) where T : class
    {
        if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty(op, out var list) || list.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var element in list.EnumerateArray())
        {
            var id = element.TryGetProperty("id", out var idElement) && idElement.TryGetInt64(out var parsed) ? parsed : 0;
            if (element.TryGetProperty("error", out var errorElement) && errorElement.ValueKind == JsonValueKind.Object)
            {
                var error = errorElement.Deserialize<WooError>(WooJson.Options) ?? new WooError { Code = "unknown" };
                Log.BatchItemFailed(logger, StoreId, resource, op, into.Count, id, error.Code, error.Message);
                into.Add(new WooBatchItemResult<T>(null, error, id));
            }
            else
            {
                into.Add(new WooBatchItemResult<T>(element.Deserialize<T>(WooJson.Options), null, id));
            }
        }
    }

    private async Task<T> GetAsync<T>(string path, IEnumerable<KeyValuePair<string, string>>? query, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(HttpMethod.Get, path, query, null, retrySafe: true, cancellationToken);
        return (await ReadAsync<T>(response, cancellationToken))!;
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, IEnumerable<KeyValuePair<string, string>>? query, object? body, bool retrySafe, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(method, path, query, body, retrySafe, cancellationToken);
        return (await ReadAsync<T>(response, cancellationToken))!;
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, IEnumerable<KeyValuePair<string, string>>? query, object? body, bool retrySafe, CancellationToken cancellationToken, bool throwOnError = true)
    {
        var uri = BuildUri(path, query);
        using var request = new HttpRequestMessage(method, uri);
        request.Options.Set(WooRequest.Store, Store);
        request.Options.Set(WooRequest.RetrySafe, retrySafe);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: WooJson.Options);
        }

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        Log.Call(logger, StoreId, method.Method, path, (int)response.StatusCode);
        if (throwOnError)
        {
            try
            {
                await EnsureSuccessAsync(response, cancellationToken);
            }
            catch
            {
                response.Dispose();
                throw;
            }
        }

        return response;
    }

    private Uri BuildUri(string path, IEnumerable<KeyValuePair<string, string>>? query)
    {
        var baseUrl = Store.BaseUrl ?? throw new InvalidOperationException($"Store '{StoreId}' has no BaseUrl.");
        var root = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl.AbsoluteUri : baseUrl.AbsoluteUri + "/";
        var builder = new UriBuilder(new Uri(new Uri(root), ApiPath + path));
        if (query is not null)
        {
            builder.Query = string.Join('&', query.Select(p => WooOAuth1.Encode(p.Key) + "=" + WooOAuth1.Encode(p.Value)));
        }

        return builder.Uri;
    }

    private async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        WooError? error = null;
        try
        {
            error = JsonSerializer.Deserialize<WooError>(text, WooJson.Options);
        }
        catch (JsonException)
        {
            // Not a WooCommerce error body (a proxy's HTML page, say): report the status alone.
        }

        throw new WooApiException(StoreId, response.StatusCode, error?.Code is { Length: > 0 } code ? code : "http_" + (int)response.StatusCode,
            error?.Message is { Length: > 0 } message ? message : Truncate(text));
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "...";

    private async Task<T?> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(WooJson.Options, cancellationToken);
        }
        catch (JsonException ex)
        {
            throw new WooApiException(StoreId, response.StatusCode, "storebridge_invalid_json", $"Response is not the expected JSON: {ex.Message}");
        }
    }

    private static int? HeaderInt(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) && int.TryParse(values.FirstOrDefault(), CultureInfo.InvariantCulture, out var value) ? value : null;

    private static Uri? NextLink(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var values))
        {
            return null;
        }

        foreach (var part in values.SelectMany(v => v.Split(',')))
        {
            var segments = part.Split(';');
            if (segments.Length > 1 && segments.Skip(1).Any(s => s.Trim() is "rel=\"next\"" or "rel=next"))
            {
                var url = segments[0].Trim().TrimStart('<').TrimEnd('>');
                return Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri : null;
            }
        }

        return null;
    }
}

/// <summary>A stock level to set on a product (<see cref="VariationId"/> null) or a variation.</summary>
/// <param name="ProductId">Product id (the parent for a variation).</param>
/// <param name="VariationId">Variation id, or null for a simple product.</param>
/// <param name="Quantity">Stock quantity to set.</param>
public sealed record WooStockUpdate(long ProductId, long? VariationId, int Quantity);

/// <summary>The outcome of one stock update.</summary>
/// <param name="Update">The update.</param>
/// <param name="Error">The store's error for this item, or null when it was applied.</param>
public sealed record WooStockUpdateResult(WooStockUpdate Update, WooError? Error);

/// <summary>What <see cref="WooCommerceClient.EnsureWebhookAsync"/> had to do.</summary>
public enum WooWebhookAction
{
    /// <summary>The webhook was there and active.</summary>
    None,

    /// <summary>The webhook was missing and has been created.</summary>
    Created,

    /// <summary>The webhook was disabled or paused and is active again; deliveries in between are lost.</summary>
    Reactivated,
}

/// <summary>The webhook after <see cref="WooCommerceClient.EnsureWebhookAsync"/>, and what was done.</summary>
/// <param name="Webhook">The webhook.</param>
/// <param name="Action">What was done.</param>
public sealed record WooWebhookEnsured(WooWebhook Webhook, WooWebhookAction Action);
