using Dapr.Workflow;
using Microsoft.Extensions.Options;
using Storebridge.Contracts.Catalog.V1;
using Storebridge.Contracts.Inventory.V1;
using Storebridge.Erp;
using Storebridge.Orders.Domain;
using Storebridge.Orders.Events;
using Storebridge.Orders.Intake;
using Storebridge.Orders.Workflows;
using Storebridge.ServiceDefaults.Grpc;

namespace Storebridge.Orders;

/// <summary>Everything the orders service registers beyond the shared hosting defaults.</summary>
public static class Extensions
{
    /// <summary>Intake, the order-to-cash workflow and its activities, and the clients they use.</summary>
    public static IHostApplicationBuilder AddOrdersServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<OrdersOptions>().Bind(builder.Configuration.GetSection(OrdersOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OrdersOptions>, OrdersOptionsValidator>();
        services.AddWooCommerce(builder.Configuration.GetSection("WooCommerce"));
        services.AddErpNext(builder.Configuration);
        services.AddDaprGrpcClient<InventoryService.InventoryServiceClient>("inventory");
        services.AddDaprGrpcClient<CatalogService.CatalogServiceClient>("catalog");

        services.AddSingleton<IntakeMetrics>();
        services.AddSingleton<OrderInbox>();
        services.AddSingleton<OrderIntake>();
        services.AddSingleton<DispatchPacer>();
        services.AddSingleton<ReconciliationSweep>();
        services.AddSingleton<StoreWebhooks>();
        services.AddHostedService<WebhookRegistration>();
        services.AddSingleton<OrderStateStore>();
        services.AddSingleton<DaprOrderWorkflows>();
        services.AddSingleton<IOrderWorkflows>(provider => provider.GetRequiredService<DaprOrderWorkflows>());

        // Dapr.Workflow's source generator registers every Workflow and WorkflowActivity of this assembly
        // (OrderToCashWorkflow and Workflows/Activities/*); registering them again only logs duplicates.
        services.AddDaprWorkflow(_ => { });
        return builder;
    }

    /// <summary>The orders service's HTTP endpoints: webhook intake, the intake hand-off, the sweep and ERP shipments.</summary>
    public static WebApplication MapOrdersEndpoints(this WebApplication app)
    {
        app.MapWooCommerceWebhooks();
        app.MapIntakeDispatch();
        ReconciliationSweep.MapReconciliationSweep(app);
        app.MapErpShipments();
        // Authenticated like every API (the fallback policy); counts of this replica since it started.
        app.MapGet("/intake/stats", (IntakeMetrics metrics) => metrics.Totals());
        return app;
    }
}
