using Storebridge.Contracts;
using Storebridge.Contracts.Erp.V1;
using Storebridge.Inventory.Domain;
using Storebridge.Inventory.State;
using Storebridge.ServiceDefaults.Events;
using Storebridge.ServiceDefaults.Security;

namespace Storebridge.Inventory.Ingest;

/// <summary>The <c>erp.stock-changed</c> subscription: ERP snapshots pushed by the ERP connector.</summary>
public static partial class ErpStockEvents
{
    /// <summary>Route Dapr delivers <c>erp.stock-changed</c> to.</summary>
    public const string Route = "/events/erp-stock-changed";

    /// <summary>How long an applied event id is remembered (longer than any redelivery).</summary>
    private const int ProcessedTtlSeconds = 7 * 24 * 3600;

    /// <summary>Maps the subscription, declared next to its handler, callable only by the Dapr runtime.</summary>
    public static IEndpointRouteBuilder MapErpStockEvents(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(Route, HandleAsync)
            .WithTopic(PubSub.Name, Topics.ErpStockChanged)
            .RequireDaprRuntime();
        return endpoints;
    }

    private static async Task<IResult> HandleAsync(HttpContext context, StockIngest ingest, InventoryState state, TimeProvider time, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(ErpStockEvents).FullName!);
        StockChanged message;
        try
        {
            using var reader = new StreamReader(context.Request.Body);
            message = EventJson.Parse<StockChanged>(await reader.ReadToEndAsync(context.RequestAborted));
        }
        catch (Exception ex) when (ex is Google.Protobuf.InvalidProtocolBufferException or Google.Protobuf.InvalidJsonException or InvalidOperationException or FormatException)
        {
            LogMalformed(logger, ex);
            // DROP: a malformed event will not get better by retrying.
            return Results.Ok(new { status = "DROP" });
        }

        var eventId = context.GetCloudEventId();
        if (eventId is not null)
        {
            var seen = await state.GetAsync<ProcessedEvent>(InventoryState.ErpEventKey(eventId), context.RequestAborted);
            if (seen.Value is not null)
            {
                LogDuplicate(logger, eventId);
                return Results.Ok();
            }
        }

        var receivedAt = time.GetUtcNow();
        var fallbackAsOf = message.OccurredAt?.ToDateTimeOffset() ?? receivedAt;
        var levels = message.Levels
            .Where(l => !string.IsNullOrEmpty(l.Sku) && !string.IsNullOrEmpty(l.WarehouseId))
            .Select(l => new ErpStockLevel(l.Sku, l.WarehouseId, l.OnHand, l.ErpReserved, l.AsOf?.ToDateTimeOffset() ?? fallbackAsOf))
            .ToList();
        await ingest.ApplyAsync(levels, context.RequestAborted);

        if (eventId is not null)
        {
            // Marked after applying: a crash in between only re-applies the same absolute values.
            await state.TryWriteAsync([new StateWrite(InventoryState.ErpEventKey(eventId), new ProcessedEvent(receivedAt), null, CreateOnly: true, ProcessedTtlSeconds)], context.RequestAborted);
        }

        return Results.Ok();
    }

    private sealed record ProcessedEvent(DateTimeOffset At);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a malformed erp.stock-changed event")]
    private static partial void LogMalformed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "erp.stock-changed {EventId} was already applied")]
    private static partial void LogDuplicate(ILogger logger, string eventId);
}
