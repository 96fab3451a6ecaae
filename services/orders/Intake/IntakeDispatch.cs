using System.Text;
using Google.Protobuf;
using Storebridge.Contracts;
using Storebridge.Contracts.Orders.V1;
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

    private static async Task<IResult> HandleAsync(
        IntakeAccepted accepted, OrderInbox inbox, IOrderWorkflows workflows, DispatchPacer pacer, IntakeMetrics metrics, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(IntakeDispatch));
        // The order is durable in the inbox and this hand-off in the broker; answering webhooks comes first.
        using var turn = await pacer.WaitTurnAsync(cancellationToken);

        // A version older than one already dispatched arrived late (WooCommerce sends out of order); the workflow
        // already has newer facts. Versions of the same second go on: the workflow takes the later one.
        var mark = await inbox.GetDispatchMarkAsync(accepted.StoreId, accepted.OrderId, cancellationToken);
        if (mark.Modified is not null && string.CompareOrdinal(mark.Modified, accepted.DateModifiedGmt) > 0)
        {
            metrics.Dispatched(accepted.StoreId);
            return Results.Ok();
        }

        var order = await ReadOrderAsync(accepted, inbox, cancellationToken);
        if (order is null)
        {
            // Not something a retry mends; the inbox keeps the raw delivery for a replay.
            LogUnreadable(logger, accepted.InboxKey);
            metrics.Dispatched(accepted.StoreId);
            return Results.Ok();
        }

        var result = await workflows.StartOrSignalAsync(order, dispatchedBefore: mark.Modified is not null, cancellationToken);
        await inbox.MarkDispatchedAsync(accepted.StoreId, accepted.OrderId, accepted.DateModifiedGmt, mark, cancellationToken);
        metrics.Dispatched(accepted.StoreId);
        LogDispatched(logger, order.OrderRef, accepted.DateModifiedGmt, result);
        return Results.Ok();
    }

    // A hand-off published before it carried the order (during an upgrade) is read back from the inbox.
    private static async Task<Order?> ReadOrderAsync(IntakeAccepted accepted, OrderInbox inbox, CancellationToken cancellationToken)
    {
        if (accepted.Order is { Length: > 0 } bytes)
        {
            try
            {
                return Order.Parser.ParseFrom(bytes);
            }
            catch (InvalidProtocolBufferException)
            {
                return null;
            }
        }

        var entry = await inbox.GetAsync(accepted.InboxKey, cancellationToken);
        return entry is null ? null : WooOrderMapper.Map(entry.StoreId, Encoding.UTF8.GetBytes(entry.RawJson)).Order;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Hand-off {Key} has no readable order and no inbox entry to read it from")]
    private static partial void LogUnreadable(ILogger logger, string key);

    [LoggerMessage(Level = LogLevel.Information, Message = "Order {OrderRef} version {Modified}: workflow {Result}")]
    private static partial void LogDispatched(ILogger logger, string orderRef, string modified, DispatchResult result);
}
