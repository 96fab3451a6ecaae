using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Storebridge.Sandbox.Seed;
using Storebridge.Sandbox.Store;

namespace Storebridge.WooCommerce.Tests;

/// <summary>Starts the store simulator in-process and a client wired the way services wire it.</summary>
internal static class Sandbox
{
    public const string StoreId = "sandbox";

    public static readonly SandboxData Catalog = SandboxCatalog.Generate(42, SandboxSize.Small);

    public static Task<StoreSimulator> StartStoreAsync(Action<StoreSimulatorOptions>? configure = null)
    {
        var options = new StoreSimulatorOptions { Catalog = Catalog, DeliveryTimeout = TimeSpan.FromSeconds(5) };
        configure?.Invoke(options);
        return StoreSimulator.StartAsync(options, TestContext.Current.CancellationToken);
    }

    public static ServiceProvider Services(StoreSimulator store, Action<WooStoreOptions>? configure = null, TimeProvider? time = null, Action<IServiceCollection>? more = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        more?.Invoke(services);
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddWooCommerce(options =>
        {
            var storeOptions = new WooStoreOptions
            {
                StoreId = StoreId,
                BaseUrl = store.BaseUrl,
                ConsumerKey = store.Options.ConsumerKey,
                ConsumerSecret = store.Options.ConsumerSecret,
                WebhookSecret = store.Options.WebhookSecret,
                Currency = "USD",
                AuthMode = WooAuthMode.Basic,
                RequestsPerSecond = 1000,
                Burst = 1000,
                Resilience = new WooResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(10), MaxRetryAttempts = 3, AttemptTimeout = TimeSpan.FromSeconds(20) },
            };
            configure?.Invoke(storeOptions);
            options.Stores[StoreId] = storeOptions;
        });
        return services.BuildServiceProvider();
    }

    public static WooCommerceClient Client(this ServiceProvider services) =>
        services.GetRequiredService<IWooCommerceClientFactory>().GetClient(StoreId);

    public static int Count(this StoreSimulator store, string method, string route, int? status = null) =>
        store.Requests.Count(r => r.Method == method && r.Route == route && (status is null || r.Status == status));

    /// <summary>Places an order through the storefront checkout.</summary>
    public static async Task<long> CheckoutAsync(this StoreSimulator store, string sku, int quantity = 1, long? customerId = null)
    {
        using var http = new HttpClient { BaseAddress = store.BaseUrl };
        var body = new
        {
            customer_id = customerId,
            billing = customerId is null ? new { first_name = "Ann", last_name = "Lee", address_1 = "1 Main St", city = "Austin", state = "TX", postcode = "73301", country = "US", email = "ann@example.com" } : null,
            line_items = new[] { new { sku, quantity } },
        };
        using var response = await http.PostAsJsonAsync("__shop/checkout", body, WooJson.Options, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        var order = await response.Content.ReadFromJsonAsync<Models.WooOrder>(WooJson.Options, TestContext.Current.CancellationToken);
        return order!.Id!.Value;
    }

    /// <summary>Polls until the condition holds (webhook deliveries are asynchronous).</summary>
    public static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Timed out waiting for the condition.");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>A SKU of a simple product with stock.</summary>
    public static string SimpleSku => Catalog.Items.First(i => !i.HasVariants && !i.Disabled).Sku;

    /// <summary>A variation SKU.</summary>
    public static string VariantSku => Catalog.Items.First(i => i.HasVariants && !i.Disabled).Variants.First(v => !v.Disabled).Sku;
}
