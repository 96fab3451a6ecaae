namespace Storebridge.Sidecar.Workflows;

/// <summary>Settings for the durable workflow backend served by the local runtime.</summary>
public sealed class WorkflowBackendOptions
{
    /// <summary>Path of the SQLite file that holds instances, history, inboxes and pending activities (opened in WAL mode).</summary>
    public string DatabasePath { get; set; } = string.Empty;

    /// <summary>App id of the runtime; every row is scoped by it so several runtimes can share one database file.</summary>
    public string AppId { get; set; } = string.Empty;

    /// <summary>Clock for timers, leases and timestamps.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>How long a worker may hold an activity before it is re-dispatched to another (or the same, reconnected) worker.</summary>
    public TimeSpan ActivityLeaseTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a worker may hold a workflow (orchestrator) work item before it is re-dispatched.</summary>
    public TimeSpan OrchestrationLeaseTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Workflow turns handed to workers at once (Dapr Configuration <c>spec.workflow.maxConcurrentWorkflowInvocations</c>);
    /// null is unlimited, as in Dapr. The rest wait, durably, until a turn completes.
    /// </summary>
    public int? MaxConcurrentWorkflowInvocations { get; set; }

    /// <summary>Activities handed to workers at once (<c>spec.workflow.maxConcurrentActivityInvocations</c>); null is unlimited.</summary>
    public int? MaxConcurrentActivityInvocations { get; set; }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(DatabasePath))
        {
            throw new InvalidOperationException($"{nameof(WorkflowBackendOptions)}.{nameof(DatabasePath)} must name a SQLite file.");
        }

        if (string.IsNullOrWhiteSpace(AppId))
        {
            throw new InvalidOperationException($"{nameof(WorkflowBackendOptions)}.{nameof(AppId)} must be set; rows are scoped by it.");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider);
        if (ActivityLeaseTimeout <= TimeSpan.Zero || OrchestrationLeaseTimeout <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("Lease timeouts must be positive.");
        }

        if (MaxConcurrentWorkflowInvocations is <= 0 || MaxConcurrentActivityInvocations is <= 0)
        {
            throw new InvalidOperationException("Workflow and activity concurrency limits must be positive when set.");
        }
    }
}
