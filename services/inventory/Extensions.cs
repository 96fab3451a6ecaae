using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Storebridge.Erp;
using Storebridge.Erp.ErpNext;
using Storebridge.Inventory.Domain;
using Storebridge.Inventory.Ingest;
using Storebridge.Inventory.Publishing;
using Storebridge.Inventory.Reservations;
using Storebridge.Inventory.State;

namespace Storebridge.Inventory;

/// <summary>Everything the inventory service registers beyond the shared hosting defaults.</summary>
public static class Extensions
{
    /// <summary>Registers the inventory service's own dependencies.</summary>
    public static IHostApplicationBuilder AddInventoryServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<InventoryOptions>().Bind(builder.Configuration.GetSection(InventoryOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new StockRules(sp.GetRequiredService<IOptions<InventoryOptions>>().Value));
        services.AddSingleton<InventoryState>();
        services.AddSingleton<StorePushQueue>();
        services.TryAddSingleton<IEventTransport>(_ => new DaprEventTransport(
            Dapr.DaprDefaults.GetDefaultGrpcEndpoint(builder.Configuration), Dapr.DaprDefaults.GetDefaultDaprApiToken(builder.Configuration)));
        services.AddSingleton<AvailabilityPublisher>();
        services.AddSingleton<OutboxRecovery>();
        services.AddSingleton<ReservationService>();
        services.AddSingleton<StockIngest>();
        services.AddSingleton<RepublishService>();

        services.AddWooCommerce(builder.Configuration.GetSection("WooCommerce"));
        services.TryAddSingleton<IStoreStockWriter, WooStoreStockWriter>();
        // The ERP is optional: without Storebridge:Erp:BaseUrl stock arrives only as erp.stock-changed events.
        if (builder.Configuration.GetSection(ErpNextOptions.SectionName)["BaseUrl"] is { Length: > 0 })
        {
            services.AddErpNext(builder.Configuration);
            services.TryAddSingleton<IErpStockFeed, ErpSystemStockFeed>();
        }
        else
        {
            services.TryAddSingleton<IErpStockFeed, NoErpStockFeed>();
        }

        services.AddSingleton<StorePublisher>();
        services.AddHostedService(sp => sp.GetRequiredService<StorePublisher>());
        services.AddSingleton<ErpStockPoller>();
        services.AddHostedService(sp => sp.GetRequiredService<ErpStockPoller>());
        services.AddSingleton<ExpirySweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<ExpirySweeper>());
        return builder;
    }

    /// <summary>Maps the inventory's event subscriptions and operations endpoints.</summary>
    public static WebApplication MapInventoryEndpoints(this WebApplication app)
    {
        app.MapErpStockEvents();
        app.MapRepublishEndpoints();
        return app;
    }
}
