using System.Text;
using Storebridge.Contracts;
using Storebridge.Orders.Workflows;
using Storebridge.ServiceDefaults.Security;
using Storebridge.WooCommerce.Mapping;

namespace Storebridge.Orders.Intake;

/// <summary>
/// Receives the self-published <see cref="IntakeAccepted"/> hand-off and starts or signals the order's workflow.
/// Failing answers make the runtime redeliver, so a workflow engine that is briefly away delays orders, never drops them.
/// </summary>
public static partial class IntakeDispatch
{
    public const string Route = "/internal/intake-accepted";

    public static IEndpointRouteBuilder MapIntakeDispatch(this IEndpointRouteBuilder app)
    {
        app.MapPost(Route, HandleAsync)
            .WithTopic(PubSub.Name, Topics.Internal.OrdersIntakeAccepted)
            .RequireDaprRuntime();
        return app;
    }

    private static async Task<IResult> HandleAsync(IntakeAccepted accepted, OrderInbox inbox, IOrderWorkflows workflows, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(IntakeDispatch));
        var entry = await inbox.GetAsync(accepted.InboxKey, cancellationToken);
        if (entry is null)
        {
            LogMissingEntry(logger, accepted.InboxKey);
            return Results.Ok();
        }

        // A version older than one already dispatched arrived late (WooCommerce sends out of order); the workflow
        // already has newer facts. Versions of the same second go on: the workflow takes the later one.
        var last = await inbox.GetLastDispatchedAsync(entry.StoreId, entry.OrderId, cancellationToken);
        if (last is not null && string.CompareOrdinal(last, entry.DateModifiedGmt) > 0)
        {
            return Results.Ok();
        }

        var mapped = WooOrderMapper.Map(entry.StoreId, Encoding.UTF8.GetBytes(entry.RawJson));
        if (!mapped.Succeeded)
        {
            // Intake only admits orders that map, so this means the mapper changed under a queued entry: keep retrying
            // would not help; the entry stays in the inbox for a replay.
            LogUnmappable(logger, accepted.InboxKey, mapped.Error!);
            return Results.Ok();
        }

        var result = await workflows.StartOrSignalAsync(mapped.Order!, dispatchedBefore: last is not null, cancellationToken);
        await inbox.MarkDispatchedAsync(entry.StoreId, entry.OrderId, entry.DateModifiedGmt, cancellationToken);
        LogDispatched(logger, mapped.Order!.OrderRef, entry.DateModifiedGmt, result);
        return Results.Ok();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inbox entry {Key} is gone; nothing to dispatch")]
    private static partial void LogMissingEntry(ILogger logger, string key);

    [LoggerMessage(Level = LogLevel.Error, Message = "Inbox entry {Key} no longer maps to an order: {Error}")]
    private static partial void LogUnmappable(ILogger logger, string key, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Order {OrderRef} version {Modified}: workflow {Result}")]
    private static partial void LogDispatched(ILogger logger, string orderRef, string modified, DispatchResult result);
}
