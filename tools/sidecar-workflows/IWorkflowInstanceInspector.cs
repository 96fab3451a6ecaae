using Dapr.DurableTask.Protobuf;
using Dapr.Workflow;

namespace Storebridge.Sidecar.Workflows;

/// <summary>Read-only view of workflow instances for the operations console (list by status and age, read history).</summary>
public interface IWorkflowInstanceInspector
{
    /// <summary>Lists instances of this runtime's app id, oldest first.</summary>
    Task<IReadOnlyList<WorkflowInstanceSummary>> ListInstancesAsync(WorkflowInstanceQuery query, CancellationToken cancellationToken = default);

    /// <summary>The history of the instance's current execution, or null when the instance does not exist.</summary>
    Task<IReadOnlyList<HistoryEvent>?> GetHistoryAsync(string instanceId, CancellationToken cancellationToken = default);
}

/// <summary>Filter for <see cref="IWorkflowInstanceInspector.ListInstancesAsync"/>.</summary>
/// <param name="Statuses">Statuses to include; empty or null means all.</param>
/// <param name="CreatedFrom">Inclusive lower bound of the creation time.</param>
/// <param name="CreatedTo">Exclusive upper bound of the creation time (e.g. "older than an hour").</param>
/// <param name="Limit">Maximum number of rows.</param>
public sealed record WorkflowInstanceQuery(
    IReadOnlyCollection<WorkflowRuntimeStatus>? Statuses = null,
    DateTimeOffset? CreatedFrom = null,
    DateTimeOffset? CreatedTo = null,
    int Limit = 100);

/// <summary>Summary of one workflow instance.</summary>
public sealed record WorkflowInstanceSummary(
    string InstanceId,
    string Name,
    WorkflowRuntimeStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt,
    DateTimeOffset? CompletedAt,
    string? CustomStatus,
    string? FailureMessage,
    string? ParentInstanceId);
