using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Storebridge.Sandbox.Seed;
using Storebridge.WooCommerce;
using Storebridge.WooCommerce.Models;
using Storebridge.WooCommerce.Webhooks;

namespace Storebridge.Sandbox.Store.Tests;

internal static class TestStore
{
    public static readonly SandboxData Catalog = SandboxCatalog.Generate(42, SandboxSize.Small);

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static string SimpleSku => Catalog.Items.First(i => !i.HasVariants && !i.Disabled).Sku;

    public static Task<StoreSimulator> StartAsync(Action<StoreSimulatorOptions>? configure = null)
    {
        var options = new StoreSimulatorOptions { Catalog = Catalog, DeliveryTimeout = TimeSpan.FromSeconds(5), DeliveryConcurrency = 1 };
        configure?.Invoke(options);
        return StoreSimulator.StartAsync(options, Ct);
    }

    /// <summary>An HttpClient with the store's REST credentials (Basic).</summary>
    public static HttpClient Http(this StoreSimulator store)
    {
        var http = new HttpClient { BaseAddress = store.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{store.Options.ConsumerKey}:{store.Options.ConsumerSecret}")));
        return http;
    }

    public static async Task<T> ReadAsync<T>(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<T>(WooJson.Options, Ct))!;

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient http, string url, object body) =>
        http.PostAsJsonAsync(url, body, WooJson.Options, Ct);

    public static Task<HttpResponseMessage> PutJsonAsync(this HttpClient http, string url, object body) =>
        http.PutAsJsonAsync(url, body, WooJson.Options, Ct);

    public static async Task<HttpResponseMessage> CheckoutAsync(this StoreSimulator store, string sku, int quantity = 1, long? customerId = null)
    {
        using var http = new HttpClient { BaseAddress = store.BaseUrl };
        var body = new CheckoutRequest
        {
            CustomerId = customerId,
            Billing = customerId is null ? new WooAddress { FirstName = "Ann", LastName = "Lee", Address1 = "1 Main St", City = "Austin", State = "TX", Postcode = "73301", Country = "US", Email = "ann@example.com" } : null,
            LineItems = [new CheckoutLine { Sku = sku, Quantity = quantity }],
        };
        return await http.PostAsJsonAsync("__shop/checkout", body, WooJson.Options, Ct);
    }

    public static async Task<long> CheckoutOrderAsync(this StoreSimulator store, string sku, int quantity = 1)
    {
        using var response = await store.CheckoutAsync(sku, quantity);
        response.EnsureSuccessStatusCode();
        return (await response.ReadAsync<WooOrder>()).Id!.Value;
    }

    public static async Task SetStockAsync(this StoreSimulator store, string sku, int quantity)
    {
        var at = store.Stock(sku)!;
        using var http = store.Http();
        var url = at.VariationId is { } v ? $"wp-json/wc/v3/products/{at.ProductId}/variations/{v}" : $"wp-json/wc/v3/products/{at.ProductId}";
        using var response = await http.PutJsonAsync(url, new { manage_stock = true, stock_quantity = quantity });
        response.EnsureSuccessStatusCode();
    }

    public static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }

            await Task.Delay(20, Ct);
        }
    }

    /// <summary>Waits until the store has no webhook delivery queued or in flight.</summary>
    public static Task Settled(this StoreSimulator store) => Eventually(() => store.WebhookBacklog == 0, "the webhook queue is empty");
}

/// <summary>A webhook receiver on 127.0.0.1 that verifies each delivery with the connector's verifier.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookReceiver(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public ConcurrentQueue<ReceivedDelivery> Received { get; } = new();

    /// <summary>Status to answer for a delivery (pings included); 200 by default.</summary>
    public Func<ReceivedDelivery, Task<int>> Respond { get; set; } = _ => Task.FromResult(200);

    public IEnumerable<ReceivedDelivery> Deliveries(string topic) => Received.Where(r => r.Result.Headers.Topic == topic);

    public static async Task<WebhookReceiver> StartAsync(string secret)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        WebhookReceiver? receiver = null;
        app.MapPost("/hook", async (HttpRequest request) =>
        {
            var result = await request.ReadWooWebhookAsync(secret, cancellationToken: request.HttpContext.RequestAborted);
            var delivery = new ReceivedDelivery(result, request.Headers.UserAgent.ToString(), request.ContentType);
            receiver!.Received.Enqueue(delivery);
            return Results.StatusCode(await receiver.Respond(delivery));
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver = new WebhookReceiver(app, new Uri(address.TrimEnd('/') + "/hook"));
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A delivery as the receiver saw it.</summary>
internal sealed record ReceivedDelivery(WebhookVerificationResult Result, string UserAgent, string? ContentType)
{
    public long? ResourceId => Result.Payload is { } p && p.TryGetProperty("id", out var id) ? id.GetInt64() : null;

    public string? Status => Result.Payload is { } p && p.TryGetProperty("status", out var s) ? s.GetString() : null;

    public bool IsPing => Result.Outcome == WebhookOutcome.Ping;
}

internal static class JsonExtensions
{
    public static JsonElement Json(this string text) => JsonDocument.Parse(text).RootElement.Clone();
}
