using Dapr.Client;
using Dapr.Workflow;
using Storebridge.Contracts;
using Storebridge.Contracts.Erp.V1;
using Storebridge.Erp;
using Storebridge.Orders.Workflows;
using Storebridge.ServiceDefaults;
using Storebridge.ServiceDefaults.Events;
using Storebridge.ServiceDefaults.Security;

namespace Storebridge.Orders.Events;

/// <summary>
/// ERPNext has no outbound stream, so shipments are polled (cron binding <c>erp-shipments</c>) and published as
/// <c>erp.shipment-created</c> for every subscriber; orders subscribes too and raises each into its order's workflow.
/// </summary>
public static partial class ErpShipments
{
    public const string BindingName = "erp-shipments";
    public const string Route = "/events/erp-shipment-created";
    private const string CursorKey = "erp-shipments-cursor";

    public static IEndpointRouteBuilder MapErpShipments(this IEndpointRouteBuilder app)
    {
        app.MapPost($"/{BindingName}", PollAsync).RequireDaprRuntime();
        app.MapPost(Route, SignalAsync).WithTopic(PubSub.Name, Topics.ErpShipmentCreated).RequireDaprRuntime();
        return app;
    }

    private static async Task<IResult> PollAsync(IErpSystem erp, DaprClient dapr, EventPublisher events, CancellationToken cancellationToken)
    {
        var published = 0;
        var cursor = await dapr.GetStateAsync<string?>(DaprComponents.StateStore, CursorKey, cancellationToken: cancellationToken);
        while (true)
        {
            var page = await erp.GetShipmentChangesAsync(cursor, cancellationToken: cancellationToken);
            foreach (var shipment in page.Changes)
            {
                // The shipment id makes the CloudEvent id: a re-polled shipment is the same event to every subscriber.
                await events.PublishAsync(shipment, $"erp-shipment:{shipment.Shipment.ShipmentId}", cancellationToken);
                published++;
            }

            cursor = page.Cursor;
            await dapr.SaveStateAsync(DaprComponents.StateStore, CursorKey, cursor, cancellationToken: cancellationToken);
            if (!page.HasMore)
            {
                return Results.Ok(new { published });
            }
        }
    }

    private static async Task<IResult> SignalAsync(HttpRequest request, DaprWorkflowClient workflows, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(request.Body);
        var created = EventJson.Parse<ShipmentCreated>(await reader.ReadToEndAsync(cancellationToken));
        if (string.IsNullOrEmpty(created.OrderRef)
            || await workflows.GetWorkflowStateAsync(created.OrderRef, false, cancellationToken) is not { Exists: true })
        {
            // A delivery note for an order that did not come through Storebridge (made in the ERP by hand).
            LogUnknownOrder(loggers.CreateLogger(typeof(ErpShipments)), created.ErpSalesOrderId, created.OrderRef);
            return Results.Ok();
        }

        await workflows.RaiseEventAsync(created.OrderRef, OrderWorkflowEvents.ErpShipment, new ShipmentSignal(EventJson.Format(created.Shipment)), cancellationToken);
        return Results.Ok();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Shipment for ERP order {SalesOrderId} ('{OrderRef}') has no order workflow; ignored")]
    private static partial void LogUnknownOrder(ILogger logger, string salesOrderId, string orderRef);
}
