using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Storebridge.WooCommerce;
using Storebridge.WooCommerce.Http;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the WooCommerce connector.</summary>
public static class WooCommerceServiceCollectionExtensions
{
    /// <summary>Registers the connector with the stores of a configuration section shaped
    /// <c>{"Stores": {"store-1": {"BaseUrl": "...", "ConsumerKey": "...", ...}}}</c>. Deployments fill the secrets
    /// of that section from the Dapr secret store.</summary>
    public static IServiceCollection AddWooCommerce(this IServiceCollection services, IConfiguration section) =>
        services.AddWooCommerce(options =>
        {
            foreach (var child in section.GetSection("Stores").GetChildren())
            {
                var store = new WooStoreOptions { StoreId = child.Key };
                child.Bind(store);
                options.Stores[child.Key] = store;
            }
        });

    /// <summary>Registers the connector with stores configured in code.</summary>
    public static IServiceCollection AddWooCommerce(this IServiceCollection services, Action<WooCommerceOptions> configure)
    {
        services.AddOptions<WooCommerceOptions>().Configure(configure).Validate(Validate, "WooCommerce stores need a StoreId, an absolute BaseUrl and a consumer key and secret.");
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<WooRateLimiters>();
        services.TryAddTransient<WooRateLimitHandler>();
        services.TryAddTransient<WooAuthenticationHandler>();
        services.TryAddSingleton<IWooCommerceClientFactory, WooCommerceClientFactory>();

        var builder = services.AddHttpClient(WooRequest.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        // A host's default handlers (ServiceDefaults adds the standard one to every client) would retry on top of this
        // pipeline, including POSTs it deliberately does not retry.
#pragma warning disable EXTEXP0001 // Experimental in 10.x, and the only way to drop a host-wide default handler.
        builder.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        builder.AddResilienceHandler("woocommerce", (pipeline, context) =>
            {
                var factory = context.ServiceProvider.GetRequiredService<IWooCommerceClientFactory>();
                var settings = factory.StoreIds.Contains(context.InstanceName) ? factory.GetStore(context.InstanceName).Resilience : new WooResilienceOptions();
                WooResilience.Configure(pipeline, settings);
            })
            // One pipeline (and so one circuit breaker) per store. The factory probes the selector with a bare request.
            .SelectPipelineBy(_ => request => request.Options.TryGetValue(WooRequest.Store, out var store) ? store.StoreId : "");
        builder.AddHttpMessageHandler<WooRateLimitHandler>();
        builder.AddHttpMessageHandler<WooAuthenticationHandler>();
        // Never log request URLs: query-string auth and OAuth put credentials there.
        builder.RemoveAllLoggers();
        return services;
    }

    private static bool Validate(WooCommerceOptions options) =>
        options.Stores.All(pair =>
            pair.Value.BaseUrl is { IsAbsoluteUri: true }
            && !string.IsNullOrEmpty(pair.Value.ConsumerKey)
            && !string.IsNullOrEmpty(pair.Value.ConsumerSecret));
}
