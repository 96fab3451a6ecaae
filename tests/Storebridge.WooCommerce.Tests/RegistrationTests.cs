using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Storebridge.WooCommerce.Tests;

public sealed class RegistrationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddWooCommerce(configuration.GetSection("WooCommerce")).BuildServiceProvider();
    }

    [Fact]
    public void Stores_are_bound_from_configuration_by_id()
    {
        using var services = Build(new()
        {
            ["WooCommerce:Stores:eu:BaseUrl"] = "https://shop.example.eu/",
            ["WooCommerce:Stores:eu:ConsumerKey"] = "ck_eu",
            ["WooCommerce:Stores:eu:ConsumerSecret"] = "cs_eu",
            ["WooCommerce:Stores:eu:Currency"] = "EUR",
            ["WooCommerce:Stores:eu:BatchLimit"] = "50",
            ["WooCommerce:Stores:eu:Resilience:MaxRetryAttempts"] = "2",
            ["WooCommerce:Stores:us:BaseUrl"] = "http://legacy.example.com/",
            ["WooCommerce:Stores:us:ConsumerKey"] = "ck_us",
            ["WooCommerce:Stores:us:ConsumerSecret"] = "cs_us",
            ["WooCommerce:Stores:us:AuthMode"] = "OAuth1HmacSha1",
        });
        var factory = services.GetRequiredService<IWooCommerceClientFactory>();

        var eu = factory.GetClient("eu").Store;
        var us = factory.GetStore("us");

        Assert.Equal(["eu", "us"], factory.StoreIds.Order());
        Assert.Equal(("eu", "EUR", 50, 2, WooAuthMode.Basic), (eu.StoreId, eu.Currency, eu.BatchLimit, eu.Resilience.MaxRetryAttempts, eu.EffectiveAuthMode));
        Assert.Equal(WooAuthMode.OAuth1HmacSha1, us.EffectiveAuthMode);
        Assert.DoesNotContain("cs_eu", eu.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Plain_http_store_defaults_to_oauth()
    {
        Assert.Equal(WooAuthMode.OAuth1HmacSha256, new WooStoreOptions { BaseUrl = new Uri("http://127.0.0.1:8001/") }.EffectiveAuthMode);
    }

    [Fact]
    public void Unknown_store_is_a_clear_error()
    {
        using var services = Build(new() { ["WooCommerce:Stores:eu:BaseUrl"] = "https://shop.example.eu/", ["WooCommerce:Stores:eu:ConsumerKey"] = "k", ["WooCommerce:Stores:eu:ConsumerSecret"] = "s" });

        var error = Assert.Throws<KeyNotFoundException>(() => services.GetRequiredService<IWooCommerceClientFactory>().GetClient("nl"));

        Assert.Equal("WooCommerce store 'nl' is not configured (WooCommerce:Stores:nl).", error.Message);
    }

    [Fact]
    public void Store_without_credentials_fails_validation()
    {
        using var services = Build(new() { ["WooCommerce:Stores:eu:BaseUrl"] = "https://shop.example.eu/" });

        Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IWooCommerceClientFactory>().GetClient("eu"));
    }
}
