using Dapr.DurableTask.Protobuf;

namespace Storebridge.Sidecar.Workflows.Storage;

/// <summary>One row of the instances table: the queryable summary of a workflow instance.</summary>
internal sealed record InstanceRecord(
    string InstanceId,
    string ExecutionId,
    string Name,
    OrchestrationStatus Status,
    string? Input,
    string? Output,
    string? CustomStatus,
    TaskFailureDetails? Failure,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? CompletedAt,
    DateTimeOffset? ScheduledStart,
    string? ParentInstanceId,
    string? ParentExecutionId,
    int ParentTaskId)
{
    public bool IsTerminal => IsTerminalStatus(Status);

    public static bool IsTerminalStatus(OrchestrationStatus status) =>
        status is OrchestrationStatus.Completed or OrchestrationStatus.Failed or OrchestrationStatus.Terminated or OrchestrationStatus.Canceled;
}

/// <summary>An event waiting in an instance's inbox, not yet part of its history.</summary>
internal sealed record InboxEntry(long Id, string? ExecutionId, HistoryEvent Event);

/// <summary>What an orchestration work item was built from; needed again to commit its result.</summary>
internal sealed record OrchestrationDispatch(string InstanceId, string ExecutionId, IReadOnlyList<long> ConsumedInboxIds, IReadOnlyList<HistoryEvent> NewEvents);

/// <summary>Side effects of a committed store operation that the in-memory dispatcher must act on.</summary>
internal sealed class StoreEffects
{
    public List<long> NewActivities { get; } = [];

    /// <summary>Instances whose inbox received a row, with the time it becomes visible.</summary>
    public List<(string InstanceId, DateTimeOffset VisibleAt)> InboxWrites { get; } = [];

    /// <summary>Instances whose status or history changed (waiters are woken).</summary>
    public HashSet<string> Changed { get; } = new(StringComparer.Ordinal);

    /// <summary>Activities deleted because their instance ended; their leases are void.</summary>
    public List<long> CancelledActivities { get; } = [];

    public bool Accepted { get; set; }

    public bool MoreVisibleWork { get; set; }
}
