using System.Net.Http.Json;
using Dapr.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Storebridge.Orders.Grpc;
using Storebridge.Orders.Intake;
using Storebridge.Sandbox.Seed;
using Storebridge.Sandbox.Store;
using Storebridge.ServiceDefaults.Exceptions;
using Storebridge.Testing;
using Storebridge.WooCommerce;

namespace Storebridge.Orders.Tests;

/// <summary>Order webhooks registered when the service starts, not only on the sweep's first tick.</summary>
public sealed class WebhookRegistrationTests
{
    private static readonly (string Topic, string Url)[] NoWebhooks = [];

    private static Task<StoreSimulator> StartStoreAsync() => StoreSimulator.StartAsync(new StoreSimulatorOptions
    {
        Catalog = SandboxCatalog.Generate(42, SandboxSize.Small),
        DeliveryTimeout = TimeSpan.FromSeconds(5),
    }, TestContext.Current.CancellationToken);

    private static Dictionary<string, string?> StoreSettings(string storeId, StoreSimulator store, string webhookUrl) => new()
    {
        [$"WooCommerce:Stores:{storeId}:BaseUrl"] = store.BaseUrl.ToString(),
        [$"WooCommerce:Stores:{storeId}:ConsumerKey"] = store.Options.ConsumerKey,
        [$"WooCommerce:Stores:{storeId}:ConsumerSecret"] = store.Options.ConsumerSecret,
        [$"WooCommerce:Stores:{storeId}:WebhookSecret"] = store.Options.WebhookSecret,
        [$"WooCommerce:Stores:{storeId}:AuthMode"] = nameof(WooAuthMode.Basic),
        [$"Orders:Stores:{storeId}:WebhookUrl"] = webhookUrl,
    };

    [Fact]
    public async Task A_fresh_orders_host_creates_the_order_webhooks_without_a_sweep_and_deliveries_arrive()
    {
        using var resources = new TestResources();
        await using var store = await StartStoreAsync();
        var port = ReservedPort.Next();
        var url = $"http://127.0.0.1:{port}/webhooks/woocommerce/s1";
        var settings = OrdersSettings.Minimal();
        foreach (var (key, value) in StoreSettings("s1", store, url))
        {
            settings[key] = value;
        }

        settings["Storebridge:Listen:PublicPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // The test runtime has no cron binding, so nothing but the start-up registration can create them.
        await using var orders = await DaprApp<OrdersGrpc>.StartAsync("orders", resources, settings);

        await Eventually.TrueAsync(async () => (await StoreRest.WebhooksAsync(store)).Count == 2, TimeSpan.FromSeconds(15));
        Assert.Equal([("order.created", url), ("order.updated", url)], await StoreRest.WebhooksAsync(store));
        var orderId = await StoreRest.CheckoutAsync(store);
        await Eventually.TrueAsync(() => store.Deliveries.Any(d => d.Topic == "order.created" && d.ResourceId == orderId && d.StatusCode is >= 200 and < 300));
    }

    [Fact]
    public async Task Copies_of_an_order_webhook_made_by_replicas_starting_together_are_removed_but_the_oldest()
    {
        using var resources = new TestResources();
        await using var store = await StartStoreAsync();
        var url = "http://127.0.0.1:9/webhooks/woocommerce/s1";
        using (var client = StoreRest.Client(store))
        {
            // What two replicas that listed no webhooks at the same moment leave behind: two of each.
            foreach (var topic in new[] { "order.created", "order.created", "order.updated", "order.updated" })
            {
                using var created = await client.PostAsJsonAsync("webhooks", new { name = "copy", topic, delivery_url = url, secret = store.Options.WebhookSecret, status = "active" },
                    TestContext.Current.CancellationToken);
                created.EnsureSuccessStatusCode();
            }
        }

        var oldest = (await StoreRest.GetAsync(store, "webhooks")).EnumerateArray()
            .GroupBy(w => w.GetProperty("topic").GetString()).ToDictionary(g => g.Key!, g => g.Min(w => w.GetProperty("id").GetInt64()));
        var settings = OrdersSettings.Minimal();
        foreach (var (key, value) in StoreSettings("s1", store, url))
        {
            settings[key] = value;
        }

        await using var orders = await DaprApp<OrdersGrpc>.StartAsync("orders", resources, settings);

        await Eventually.TrueAsync(async () => (await StoreRest.WebhooksAsync(store)).Count == 2, TimeSpan.FromSeconds(15));
        var left = (await StoreRest.GetAsync(store, "webhooks")).EnumerateArray()
            .ToDictionary(w => w.GetProperty("topic").GetString()!, w => w.GetProperty("id").GetInt64());
        Assert.Equal(oldest, left);
    }

    [Fact]
    public async Task A_store_down_at_start_gets_its_webhooks_once_it_is_back_without_holding_up_another_store()
    {
        await using var down = await StartStoreAsync();
        await using var up = await StartStoreAsync();
        down.SetFaults(new FaultSettings { Outages = [new OutageWindow { StartAfterSeconds = 0, DurationSeconds = 3600 }] });
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = StoreSettings("down", down, "http://127.0.0.1:9/webhooks/woocommerce/down");
        foreach (var (key, value) in StoreSettings("up", up, "http://127.0.0.1:9/webhooks/woocommerce/up"))
        {
            settings[key] = value;
        }

        // Each failed call fails at once, so only the registration's own back-off (on the fake clock) spaces the tries.
        settings["WooCommerce:Stores:down:Resilience:MaxRetryAttempts"] = "0";
        await using var provider = Services(settings);
        // Only the registration runs on the fake clock; the store client's own timeouts keep real time.
        using var registration = ActivatorUtilities.CreateInstance<WebhookRegistration>(provider, time);
        var logs = provider.GetFakeLogCollector();

        await registration.StartAsync(TestContext.Current.CancellationToken);

        await Eventually.TrueAsync(async () => (await StoreRest.WebhooksAsync(up)).Count == 2, because: "the reachable store is registered while the other is down");
        await Eventually.TrueAsync(() => logs.GetSnapshot().Any(r => r.Level == LogLevel.Warning && r.Message.Contains("store down", StringComparison.Ordinal)));
        down.SetFaults(new FaultSettings());
        Assert.Equal(NoWebhooks, await StoreRest.WebhooksAsync(down));
        await Eventually.TrueAsync(async () =>
        {
            time.Advance(WebhookRegistration.MaxRetryDelay);
            return (await StoreRest.WebhooksAsync(down)).Count == 2;
        }, because: "the store that was down is registered on a later try");
        Assert.Equal(["order.created", "order.updated"], (await StoreRest.WebhooksAsync(down)).Select(h => h.Topic));
        await registration.StopAsync(TestContext.Current.CancellationToken);
        Assert.Equal(2, (await StoreRest.WebhooksAsync(down)).Count);
    }

    [Fact]
    public void Retry_delay_doubles_from_a_second_up_to_a_minute_and_jitters_its_upper_half()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(500), WebhookRegistration.RetryDelay(1, 0));
        Assert.Equal(TimeSpan.FromSeconds(1), WebhookRegistration.RetryDelay(1, 1));
        Assert.Equal(TimeSpan.FromSeconds(4), WebhookRegistration.RetryDelay(3, 1));
        Assert.Equal(TimeSpan.FromSeconds(32), WebhookRegistration.RetryDelay(6, 1));
        Assert.Equal(WebhookRegistration.MaxRetryDelay, WebhookRegistration.RetryDelay(7, 1));
        Assert.Equal(WebhookRegistration.MaxRetryDelay / 2, WebhookRegistration.RetryDelay(1_000, 0));
    }

    // What the registration needs, as the orders host wires it, with captured logs.
    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddFakeLogging();
        services.Configure<OrdersOptions>(configuration.GetSection(OrdersOptions.Section));
        services.AddWooCommerce(configuration.GetSection("WooCommerce"));
        // Only re-activations write to the exception queue; a fresh store never needs the runtime.
        services.AddSingleton(new DaprClientBuilder().UseHttpEndpoint("http://127.0.0.1:9").UseGrpcEndpoint("http://127.0.0.1:9").Build());
        services.AddSingleton<ExceptionQueue>();
        services.AddSingleton<StoreWebhooks>();
        return services.BuildServiceProvider();
    }
}
