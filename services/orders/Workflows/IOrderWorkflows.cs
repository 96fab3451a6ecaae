using Storebridge.Contracts.Orders.V1;

namespace Storebridge.Orders.Workflows;

/// <summary>What happened when an order version was handed to its workflow.</summary>
public enum DispatchResult
{
    /// <summary>No workflow existed for the order; one was started.</summary>
    Started,

    /// <summary>The order's workflow exists; the new version was raised into it as an event.</summary>
    Signalled,
}

/// <summary>Starts the order-to-cash workflow of an order, or signals a newer version of it into the running one.</summary>
public interface IOrderWorkflows
{
    /// <summary>
    /// Idempotent per order: the instance id is the order reference, so only one workflow ever exists per order.
    /// <paramref name="dispatchedBefore"/> says whether an earlier version of the order already reached its workflow;
    /// a first version is started without asking the engine first (one round trip less per new order).
    /// </summary>
    Task<DispatchResult> StartOrSignalAsync(Order order, bool dispatchedBefore, CancellationToken cancellationToken);
}
