using Storebridge.Contracts.Orders.V1;

namespace Storebridge.Orders.Domain;

/// <summary>One step of an order's saga history.</summary>
public sealed record OrderTransitionRecord(OrderState From, OrderState To, string? Reason, DateTimeOffset At);

/// <summary>
/// Where an order stands, as the orders service keeps it for <c>OrdersService</c> and the console. Written only by the
/// order's workflow (through an activity), so there is one writer per order.
/// </summary>
public sealed record OrderRecord
{
    public required string OrderRef { get; init; }
    public required string StoreId { get; init; }
    public string OrderNumber { get; init; } = "";
    public OrderState State { get; init; } = OrderState.Received;
    public string? StatusReason { get; init; }
    public string? ErpSalesOrderId { get; init; }

    /// <summary>The canonical order as protobuf JSON (the latest version the workflow acted on).</summary>
    public string OrderJson { get; init; } = "";

    public List<OrderTransitionRecord> History { get; init; } = [];
    public DateTimeOffset ReceivedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>States in which an order needs a person or a replay.</summary>
    public static bool IsException(OrderState state) => state is OrderState.OnHold or OrderState.Failed or OrderState.Rejected;
}
