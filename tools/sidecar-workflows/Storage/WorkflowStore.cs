using Dapr.DurableTask.Protobuf;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Storebridge.Sidecar.Workflows.Storage;

/// <summary>
/// SQLite persistence of workflow instances, their history, their inboxes (events not yet seen by the workflow,
/// including durable timers as rows that become visible later) and pending activities. Every operation is one
/// transaction, so a crash leaves either all of a step or none of it. All rows are scoped by app id.
/// </summary>
internal sealed class WorkflowStore : IDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS wf_instances (
            app_id TEXT NOT NULL,
            instance_id TEXT NOT NULL,
            execution_id TEXT NOT NULL,
            name TEXT NOT NULL,
            status INTEGER NOT NULL,
            input TEXT NULL,
            output TEXT NULL,
            custom_status TEXT NULL,
            failure BLOB NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            completed_at INTEGER NULL,
            scheduled_start INTEGER NULL,
            parent_instance_id TEXT NULL,
            parent_execution_id TEXT NULL,
            parent_task_id INTEGER NOT NULL DEFAULT -1,
            PRIMARY KEY (app_id, instance_id));
        CREATE INDEX IF NOT EXISTS ix_wf_instances_status ON wf_instances(app_id, status, created_at);
        CREATE INDEX IF NOT EXISTS ix_wf_instances_parent ON wf_instances(app_id, parent_instance_id);
        CREATE TABLE IF NOT EXISTS wf_history (
            app_id TEXT NOT NULL,
            instance_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            event BLOB NOT NULL,
            PRIMARY KEY (app_id, instance_id, seq));
        CREATE TABLE IF NOT EXISTS wf_inbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            app_id TEXT NOT NULL,
            instance_id TEXT NOT NULL,
            execution_id TEXT NULL,
            visible_at INTEGER NOT NULL, -- UTC ticks
            event BLOB NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_wf_inbox_instance ON wf_inbox(app_id, instance_id, visible_at);
        CREATE TABLE IF NOT EXISTS wf_activities (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            app_id TEXT NOT NULL,
            instance_id TEXT NOT NULL,
            execution_id TEXT NOT NULL,
            task_id INTEGER NOT NULL,
            request BLOB NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_wf_activities_instance ON wf_activities(app_id, instance_id);
        """;

    private const int MaxCachedCommands = 200;

    private const string InstanceColumns =
        "instance_id, execution_id, name, status, input, output, custom_status, failure, created_at, updated_at, completed_at, scheduled_start, parent_instance_id, parent_execution_id, parent_task_id";

    private const int MaxBatch = 128;
    private readonly Channel<IStoreOp> _queue = Channel.CreateUnbounded<IStoreOp>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private readonly SqliteConnection _connection;
    private readonly string _appId;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private SqliteTransaction? _tx;
    private int _disposed;

    public WorkflowStore(string databasePath, string appId, TimeProvider time)
    {
        _appId = appId;
        _time = time;
        var directory = Path.GetDirectoryName(Path.GetFullPath(databasePath));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        };
        _connection = new SqliteConnection(builder.ConnectionString);
        _connection.Open();

        // WAL lets several runtimes share the file; synchronous=NORMAL survives a killed process (the WAL is in the
        // OS page cache) and only risks the last commits on power loss, which a local runtime accepts.
        Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF;");
        Execute(Schema);

        // One writer loop owns the connection (SQLite connections are not for concurrent use) and callers await it.
        // It waits asynchronously: a blocking queue's wait spun a tenth of the machine's CPU between batches.
        _writer = Task.Run(WriterLoopAsync);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _queue.Writer.TryComplete();
        _writer.GetAwaiter().GetResult();
        foreach (var cmd in _commands.Values)
        {
            cmd.Dispose();
        }

        _commands.Clear();
        _connection.Dispose();
    }

    /// <summary>Queues work for the store thread; it runs inside the next batch transaction.</summary>
    private Task<T> Run<T>(Func<T> work)
    {
        var op = new StoreOp<T>(work);
        if (!_queue.Writer.TryWrite(op))
        {
            throw new ObjectDisposedException(nameof(WorkflowStore));
        }

        return op.Task;
    }

    private Task Run(Action work) => Run(() =>
    {
        work();
        return true;
    });

    /// <summary>
    /// The writer loop. Operations that queue up while a transaction commits go into the next one together (group
    /// commit): one commit per batch instead of one per operation. Each operation runs under its own savepoint, so a
    /// failing one is undone alone; none is acknowledged before its batch has committed.
    /// </summary>
    private async Task WriterLoopAsync()
    {
        var batch = new List<IStoreOp>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            try
            {
                _tx = _connection.BeginTransaction();
                foreach (var op in batch)
                {
                    _tx.Save("op");
                    if (op.Execute())
                    {
                        _tx.Release("op");
                    }
                    else
                    {
                        _tx.Rollback("op");
                        _tx.Release("op");
                    }
                }

                _tx.Commit();
                foreach (var op in batch)
                {
                    op.Complete(null);
                }
            }
            catch (Exception ex)
            {
                foreach (var op in batch)
                {
                    op.Complete(ex);
                }
            }
            finally
            {
                _tx?.Dispose();
                _tx = null;
            }
        }
    }

    private interface IStoreOp
    {
        /// <summary>Runs the work; false when it threw (its exception is kept for <see cref="Complete"/>).</summary>
        bool Execute();

        /// <summary>Reports the outcome once the batch has committed, or <paramref name="batchFailure"/> when it did not.</summary>
        void Complete(Exception? batchFailure);
    }

    private sealed class StoreOp<T>(Func<T> work) : IStoreOp
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;
        private Exception? _error;

        public Task<T> Task => _completion.Task;

        public bool Execute()
        {
            try
            {
                _result = work();
                return true;
            }
            catch (Exception ex)
            {
                _error = ex;
                return false;
            }
        }

        public void Complete(Exception? batchFailure)
        {
            if (_error is not null)
            {
                _completion.TrySetException(_error);
            }
            else if (batchFailure is not null)
            {
                _completion.TrySetException(batchFailure);
            }
            else
            {
                _completion.TrySetResult(_result!);
            }
        }
    }

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Inbox visibility is kept in ticks, so a timer is due exactly at its fire time, not a rounded one.</summary>
    private long NowTicks => _time.GetUtcNow().UtcTicks;

    // ---------------------------------------------------------------- client operations

    /// <summary>Creates an instance and queues its start event. Returns false when the id is already taken.</summary>
    public Task<bool> CreateInstanceAsync(CreateInstanceRequest request, StoreEffects effects) => Run<bool>(() =>
    {
        var now = Now;
        var executionId = string.IsNullOrEmpty(request.ExecutionId) ? Guid.NewGuid().ToString("N") : request.ExecutionId;
        long? scheduled = request.ScheduledStartTimestamp is { } ts ? ts.ToDateTimeOffset().ToUnixTimeMilliseconds() : null;
        var inserted = Execute(
            """
            INSERT OR IGNORE INTO wf_instances (app_id, instance_id, execution_id, name, status, input, created_at, updated_at, scheduled_start)
            VALUES ($app, $id, $exec, $name, $status, $input, $now, $now, $scheduled)
            """,
            ("$id", request.InstanceId), ("$exec", executionId), ("$name", request.Name),
            ("$status", (int)OrchestrationStatus.Pending), ("$input", request.Input), ("$now", now), ("$scheduled", scheduled));
        if (inserted == 0)
        {
            return false;
        }

        var started = new ExecutionStartedEvent
        {
            Name = request.Name,
            Version = request.Version,
            Input = request.Input,
            WorkflowInstance = new WorkflowInstance { InstanceId = request.InstanceId, ExecutionId = executionId },
            ScheduledStartTimestamp = request.ScheduledStartTimestamp,
            ParentTraceContext = request.ParentTraceContext,
        };
        started.Tags.Add(request.Tags);
        var visibleAt = Math.Max(request.ScheduledStartTimestamp?.ToDateTimeOffset().UtcTicks ?? 0, NowTicks);
        InsertInbox(request.InstanceId, executionId, visibleAt, NewEvent(e => e.ExecutionStarted = started), effects);
        effects.Changed.Add(request.InstanceId);
        return true;
    });

    public Task<InstanceRecord?> GetInstanceAsync(string instanceId) => Run<InstanceRecord?>(() => LoadInstance(instanceId));

    /// <summary>Queues an external event. Returns null when the instance does not exist, false when it has ended.</summary>
    public Task<bool?> RaiseEventAsync(string instanceId, string name, string? input, StoreEffects effects) => Run<bool?>(() =>
    {
        var instance = LoadInstance(instanceId);
        if (instance is null)
        {
            return null;
        }

        if (instance.IsTerminal)
        {
            return false;
        }

        var raised = new EventRaisedEvent { Name = name, Input = input };
        InsertInbox(instanceId, null, NowTicks, NewEvent(e => e.EventRaised = raised), effects);
        return true;
    });

    /// <summary>Suspends or resumes an instance. Returns null when it does not exist, false when nothing changed.</summary>
    public Task<bool?> SetSuspendedAsync(string instanceId, bool suspend, string? reason, StoreEffects effects) => Run<bool?>(() =>
    {
        var instance = LoadInstance(instanceId);
        if (instance is null)
        {
            return null;
        }

        if (instance.IsTerminal || (instance.Status == OrchestrationStatus.Suspended) == suspend)
        {
            return false;
        }

        var now = Now;
        var historyEvent = suspend
            ? NewEvent(e => e.ExecutionSuspended = new ExecutionSuspendedEvent { Input = reason })
            : NewEvent(e => e.ExecutionResumed = new ExecutionResumedEvent { Input = reason });
        var nextSeq = NextHistorySeq(instanceId);
        AppendHistory(instanceId, ref nextSeq, historyEvent);
        var status = suspend ? OrchestrationStatus.Suspended
            : HasStarted(instanceId) ? OrchestrationStatus.Running : OrchestrationStatus.Pending;
        Execute("UPDATE wf_instances SET status = $status, updated_at = $now WHERE app_id = $app AND instance_id = $id",
            ("$status", (int)status), ("$now", now), ("$id", instanceId));
        effects.Changed.Add(instanceId);
        if (!suspend && HasVisibleInbox(instanceId))
        {
            effects.InboxWrites.Add((instanceId, _time.GetUtcNow()));
        }

        return true;
    });

    /// <summary>Terminates an instance (and, when asked, its running children). Returns false when it does not exist.</summary>
    public Task<bool> TerminateAsync(string instanceId, string? output, bool recursive, StoreEffects effects) => Run<bool>(() =>
    {
        var instance = LoadInstance(instanceId);
        if (instance is null)
        {
            return false;
        }

        TerminateCore(instance, output, recursive, effects);
        return true;
    });

    /// <summary>Deletes an ended instance with its history. Returns the number of instances deleted.</summary>
    public Task<int> PurgeAsync(string instanceId, bool recursive, bool force) => Run<int>(() =>
    {
        var count = PurgeCore(instanceId, recursive, force);
        return count;
    });

    public Task<int> PurgeWhereAsync(DateTimeOffset? createdFrom, DateTimeOffset? createdTo, IReadOnlyCollection<OrchestrationStatus> statuses, bool recursive, bool force) => Run<int>(() =>
    {
        var ids = QueryInstances(statuses, createdFrom, createdTo, int.MaxValue).Select(i => i.InstanceId).ToList();
        var count = 0;
        foreach (var id in ids)
        {
            var instance = LoadInstance(id);
            if (instance is not null && (force || instance.IsTerminal))
            {
                count += PurgeCore(id, recursive, force);
            }
        }

        return count;
    });

    public Task<(List<string> Ids, string? ContinuationToken)> ListInstanceIdsAsync(string? after, int? pageSize) => Run<(List<string> Ids, string? ContinuationToken)>(() =>
    {
        var limit = pageSize is > 0 ? pageSize.Value : int.MaxValue;
        var cmd = Command(
            "SELECT instance_id FROM wf_instances WHERE app_id = $app AND instance_id > $after ORDER BY instance_id LIMIT $limit",
            ("$after", after ?? string.Empty), ("$limit", limit == int.MaxValue ? -1 : limit + 1L));
        using var reader = cmd.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        if (ids.Count > limit)
        {
            ids.RemoveAt(ids.Count - 1);
            return (ids, ids[^1]);
        }

        return (ids, null);
    });

    public Task<List<InstanceRecord>> ListInstancesAsync(IReadOnlyCollection<OrchestrationStatus> statuses, DateTimeOffset? createdFrom, DateTimeOffset? createdTo, int limit) =>
        Run<List<InstanceRecord>>(() => QueryInstances(statuses, createdFrom, createdTo, limit));

    public Task<List<HistoryEvent>?> GetHistoryAsync(string instanceId) =>
        Run<List<HistoryEvent>?>(() => LoadInstance(instanceId) is null ? null : LoadHistory(instanceId));

    // ---------------------------------------------------------------- work items

    /// <summary>Reads what a workflow work item needs: the instance, its history and the visible inbox rows.</summary>
    public Task<(InstanceRecord? Instance, List<HistoryEvent> History, List<InboxEntry> Inbox)> LoadOrchestrationAsync(string instanceId) => Run<(InstanceRecord? Instance, List<HistoryEvent> History, List<InboxEntry> Inbox)>(() =>
    {
        var instance = LoadInstance(instanceId);
        if (instance is null)
        {
            return (null, [], []);
        }

        var inbox = new List<InboxEntry>();
        using (var reader = Command(
            "SELECT id, execution_id, event FROM wf_inbox WHERE app_id = $app AND instance_id = $id AND visible_at <= $now ORDER BY id",
            ("$id", instanceId), ("$now", NowTicks)).ExecuteReader())
        {
            while (reader.Read())
            {
                inbox.Add(new InboxEntry(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1), HistoryEvent.Parser.ParseFrom(reader.GetFieldValue<byte[]>(2))));
            }
        }

        return (instance, inbox.Count == 0 ? [] : LoadHistory(instanceId), inbox);
    });

    /// <summary>Drops inbox rows that can never be delivered (their instance ended or moved on to a new execution).</summary>
    public Task DeleteInboxAsync(IEnumerable<long> ids) => Run(() =>
    {
        foreach (var id in ids)
        {
            Execute("DELETE FROM wf_inbox WHERE id = $rowid AND app_id = $app", ("$rowid", id));
        }

    });

    public Task<ActivityRequest?> LoadActivityAsync(long activityId) => Run<ActivityRequest?>(() =>
    {
        var cmd = Command("SELECT request FROM wf_activities WHERE app_id = $app AND id = $rowid", ("$rowid", activityId));
        return cmd.ExecuteScalar() is byte[] bytes ? ActivityRequest.Parser.ParseFrom(bytes) : null;
    });

    /// <summary>
    /// Applies an activity result exactly once: the pending-activity row is deleted and the completion event queued in
    /// the same transaction, so a second result for the same activity finds no row and is ignored.
    /// </summary>
    public Task<string?> CompleteActivityAsync(long activityId, ActivityResponse response, StoreEffects effects) => Run<string?>(() =>
    {
        string instanceId;
        string executionId;
        int taskId;
        ActivityRequest request;
        using (var reader = Command("SELECT instance_id, execution_id, task_id, request FROM wf_activities WHERE app_id = $app AND id = $rowid", ("$rowid", activityId)).ExecuteReader())
        {
            if (!reader.Read())
            {
                return null;
            }

            instanceId = reader.GetString(0);
            executionId = reader.GetString(1);
            taskId = reader.GetInt32(2);
            request = ActivityRequest.Parser.ParseFrom(reader.GetFieldValue<byte[]>(3));
        }

        Execute("DELETE FROM wf_activities WHERE app_id = $app AND id = $rowid", ("$rowid", activityId));
        var instance = LoadInstance(instanceId);
        if (instance is null || instance.IsTerminal || instance.ExecutionId != executionId)
        {
            return null;
        }

        var completion = response.FailureDetails is { } failure
            ? NewEvent(e => e.TaskFailed = new TaskFailedEvent { TaskScheduledId = taskId, FailureDetails = failure, TaskExecutionId = request.TaskExecutionId })
            : NewEvent(e => e.TaskCompleted = new TaskCompletedEvent { TaskScheduledId = taskId, Result = response.Result, TaskExecutionId = request.TaskExecutionId });
        InsertInbox(instanceId, executionId, NowTicks, completion, effects);
        return instanceId;
    });

    /// <summary>
    /// Commits one workflow step: the events the worker saw join the history, the consumed inbox rows go, and every
    /// action (activities, timers, child workflows, events, completion, continue-as-new) is recorded — all in one
    /// transaction, before any resulting work is dispatched.
    /// </summary>
    public Task CompleteOrchestrationAsync(OrchestrationDispatch dispatch, WorkflowResponse response, string appId, StoreEffects effects) => Run(() =>
    {
        var now = Now;
        var instance = LoadInstance(dispatch.InstanceId);
        if (instance is null || instance.IsTerminal || instance.ExecutionId != dispatch.ExecutionId)
        {
            foreach (var id in dispatch.ConsumedInboxIds)
            {
                Execute("DELETE FROM wf_inbox WHERE id = $rowid AND app_id = $app", ("$rowid", id));
            }

            return;
        }

        effects.Accepted = true;
        effects.Changed.Add(instance.InstanceId);
        var seq = NextHistorySeq(instance.InstanceId);
        foreach (var e in dispatch.NewEvents)
        {
            AppendHistory(instance.InstanceId, ref seq, e);
        }

        foreach (var id in dispatch.ConsumedInboxIds)
        {
            Execute("DELETE FROM wf_inbox WHERE id = $rowid AND app_id = $app", ("$rowid", id));
        }

        var status = instance.Status == OrchestrationStatus.Suspended ? OrchestrationStatus.Suspended : OrchestrationStatus.Running;
        var input = instance.Input;
        string? output = null;
        TaskFailureDetails? failure = null;
        long? completedAt = null;
        CompleteWorkflowAction? continueAsNew = null;
        var router = new TaskRouter { SourceAppID = appId };

        foreach (var action in response.Actions)
        {
            switch (action.WorkflowActionTypeCase)
            {
                case WorkflowAction.WorkflowActionTypeOneofCase.ScheduleTask:
                    ScheduleActivity(instance, action, router, ref seq, effects);
                    break;

                case WorkflowAction.WorkflowActionTypeOneofCase.CreateTimer:
                    CreateTimer(instance, action, router, ref seq, effects);
                    break;

                case WorkflowAction.WorkflowActionTypeOneofCase.CreateChildWorkflow:
                    CreateChild(instance, action, router, ref seq, effects);
                    break;

                case WorkflowAction.WorkflowActionTypeOneofCase.SendEvent:
                    var send = action.SendEvent;
                    AppendHistory(instance.InstanceId, ref seq, NewEvent(e =>
                    {
                        e.EventId = action.Id;
                        e.EventSent = new EventSentEvent { InstanceId = send.Instance?.InstanceId ?? string.Empty, Name = send.Name, Input = send.Data };
                        e.Router = router;
                    }));
                    if (send.Instance is { InstanceId: { Length: > 0 } target } && LoadInstance(target) is { IsTerminal: false } targetInstance)
                    {
                        InsertInbox(targetInstance.InstanceId, null, NowTicks, NewEvent(e => e.EventRaised = new EventRaisedEvent { Name = send.Name, Input = send.Data }), effects);
                    }

                    break;

                case WorkflowAction.WorkflowActionTypeOneofCase.TerminateWorkflow:
                    if (LoadInstance(action.TerminateWorkflow.InstanceId) is { } toTerminate && toTerminate.InstanceId != instance.InstanceId)
                    {
                        TerminateCore(toTerminate, action.TerminateWorkflow.Reason, action.TerminateWorkflow.Recurse, effects);
                    }

                    break;

                case WorkflowAction.WorkflowActionTypeOneofCase.CompleteWorkflow when completedAt is null && continueAsNew is null:
                    var complete = action.CompleteWorkflow;
                    if (complete.WorkflowStatus == OrchestrationStatus.ContinuedAsNew)
                    {
                        continueAsNew = complete;
                        break;
                    }

                    AppendHistory(instance.InstanceId, ref seq, NewEvent(e =>
                    {
                        e.EventId = action.Id;
                        e.ExecutionCompleted = new ExecutionCompletedEvent { WorkflowStatus = complete.WorkflowStatus, Result = complete.Result, FailureDetails = complete.FailureDetails };
                        e.Router = router;
                    }));
                    status = complete.WorkflowStatus;
                    output = complete.Result;
                    failure = complete.FailureDetails;
                    completedAt = now;
                    NotifyParent(instance, complete.WorkflowStatus, complete.Result, complete.FailureDetails, effects);
                    break;
            }
        }

        if (continueAsNew is not null)
        {
            // A new execution starts with an empty history; results and timers of the old one must never reach it,
            // because the SDK matches completions by task id and ids restart at zero.
            var newExecutionId = Guid.NewGuid().ToString("N");
            Execute("DELETE FROM wf_history WHERE app_id = $app AND instance_id = $id", ("$id", instance.InstanceId));
            DeleteActivities(instance.InstanceId, effects);
            effects.NewActivities.Clear();
            Execute("DELETE FROM wf_inbox WHERE app_id = $app AND instance_id = $id AND execution_id IS NOT NULL", ("$id", instance.InstanceId));
            var restarted = new ExecutionStartedEvent
            {
                Name = instance.Name,
                Input = continueAsNew.Result,
                WorkflowInstance = new WorkflowInstance { InstanceId = instance.InstanceId, ExecutionId = newExecutionId },
                ParentInstance = ParentInfo(instance),
            };
            InsertInbox(instance.InstanceId, newExecutionId, NowTicks, NewEvent(e => { e.ExecutionStarted = restarted; e.Router = router; }), effects);
            foreach (var carried in continueAsNew.CarryoverEvents)
            {
                InsertInbox(instance.InstanceId, null, NowTicks, carried, effects);
            }

            Execute(
                """
                UPDATE wf_instances SET execution_id = $exec, input = $input, output = NULL, failure = NULL, custom_status = $custom,
                    status = $status, updated_at = $now WHERE app_id = $app AND instance_id = $id
                """,
                ("$exec", newExecutionId), ("$input", continueAsNew.Result), ("$custom", response.CustomStatus),
                ("$status", (int)(status == OrchestrationStatus.Suspended ? status : OrchestrationStatus.Running)), ("$now", now), ("$id", instance.InstanceId));
            effects.MoreVisibleWork = true;
            return;
        }

        if (completedAt is not null)
        {
            DeleteActivities(instance.InstanceId, effects);
            Execute("DELETE FROM wf_inbox WHERE app_id = $app AND instance_id = $id", ("$id", instance.InstanceId));
            effects.NewActivities.Clear();
        }

        Execute(
            """
            UPDATE wf_instances SET status = $status, input = $input, output = $output, failure = $failure, custom_status = $custom,
                updated_at = $now, completed_at = $completed WHERE app_id = $app AND instance_id = $id
            """,
            ("$status", (int)status), ("$input", input), ("$output", output), ("$failure", failure?.ToByteArray()),
            ("$custom", response.CustomStatus), ("$now", now), ("$completed", completedAt), ("$id", instance.InstanceId));
        effects.MoreVisibleWork = completedAt is null && HasVisibleInbox(instance.InstanceId);
    });

    // ---------------------------------------------------------------- recovery

    public Task<List<long>> ListPendingActivitiesAsync() => Run<List<long>>(() =>
    {
        var cmd = Command("SELECT id FROM wf_activities WHERE app_id = $app ORDER BY id");
        using var reader = cmd.ExecuteReader();
        var ids = new List<long>();
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    });

    public Task<List<(string InstanceId, DateTimeOffset VisibleAt)>> ListInboxWakeupsAsync() => Run<List<(string InstanceId, DateTimeOffset VisibleAt)>>(() =>
    {
        // Every distinct time, not just the earliest: an instance may hold several pending timers.
        var cmd = Command("SELECT DISTINCT instance_id, visible_at FROM wf_inbox WHERE app_id = $app");
        using var reader = cmd.ExecuteReader();
        var result = new List<(string, DateTimeOffset)>();
        while (reader.Read())
        {
            result.Add((reader.GetString(0), new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero)));
        }

        return result;
    });

    // ---------------------------------------------------------------- helpers (caller holds _sync)

    private void ScheduleActivity(InstanceRecord instance, WorkflowAction action, TaskRouter router, ref int seq, StoreEffects effects)
    {
        var schedule = action.ScheduleTask;
        AppendHistory(instance.InstanceId, ref seq, NewEvent(e =>
        {
            e.EventId = action.Id;
            e.TaskScheduled = new TaskScheduledEvent { Name = schedule.Name, Version = schedule.Version, Input = schedule.Input, TaskExecutionId = schedule.TaskExecutionId };
            e.Router = router;
        }));
        var request = new ActivityRequest
        {
            Name = schedule.Name,
            Version = schedule.Version,
            Input = schedule.Input,
            WorkflowInstance = new WorkflowInstance { InstanceId = instance.InstanceId, ExecutionId = instance.ExecutionId },
            TaskId = action.Id,
            TaskExecutionId = schedule.TaskExecutionId,
        };
        Execute(
            "INSERT INTO wf_activities (app_id, instance_id, execution_id, task_id, request) VALUES ($app, $id, $exec, $task, $request)",
            ("$id", instance.InstanceId), ("$exec", instance.ExecutionId), ("$task", action.Id), ("$request", request.ToByteArray()));
        effects.NewActivities.Add(LastInsertRowId());
    }

    private void CreateTimer(InstanceRecord instance, WorkflowAction action, TaskRouter router, ref int seq, StoreEffects effects)
    {
        var timer = action.CreateTimer;
        var created = new TimerCreatedEvent { FireAt = timer.FireAt };
        if (timer.HasName)
        {
            created.Name = timer.Name;
        }

        switch (timer.OriginCase)
        {
            case CreateTimerAction.OriginOneofCase.CreateTimer: created.CreateTimer = timer.CreateTimer; break;
            case CreateTimerAction.OriginOneofCase.ExternalEvent: created.ExternalEvent = timer.ExternalEvent; break;
            case CreateTimerAction.OriginOneofCase.ActivityRetry: created.ActivityRetry = timer.ActivityRetry; break;
            case CreateTimerAction.OriginOneofCase.ChildWorkflowRetry: created.ChildWorkflowRetry = timer.ChildWorkflowRetry; break;
        }

        AppendHistory(instance.InstanceId, ref seq, NewEvent(e => { e.EventId = action.Id; e.TimerCreated = created; e.Router = router; }));
        var fireAt = timer.FireAt?.ToDateTimeOffset() ?? _time.GetUtcNow();
        var fired = NewEvent(e => e.TimerFired = new TimerFiredEvent { TimerId = action.Id, FireAt = timer.FireAt });
        InsertInbox(instance.InstanceId, instance.ExecutionId, fireAt.UtcTicks, fired, effects);
    }

    private void CreateChild(InstanceRecord parent, WorkflowAction action, TaskRouter router, ref int seq, StoreEffects effects)
    {
        var create = action.CreateChildWorkflow;
        var childId = string.IsNullOrEmpty(create.InstanceId) ? $"{parent.InstanceId}:{action.Id:D4}" : create.InstanceId;
        AppendHistory(parent.InstanceId, ref seq, NewEvent(e =>
        {
            e.EventId = action.Id;
            e.ChildWorkflowInstanceCreated = new ChildWorkflowInstanceCreatedEvent { InstanceId = childId, Name = create.Name, Version = create.Version, Input = create.Input };
            e.Router = router;
        }));

        var now = Now;
        var executionId = Guid.NewGuid().ToString("N");

        // A child id that names an ended instance is reused: the SDK keeps a caller-chosen child id across retry-policy
        // attempts, so the next attempt must replace the failed one. A running instance with that id is a conflict.
        if (LoadInstance(childId) is { IsTerminal: true })
        {
            PurgeCore(childId, recursive: true, force: true);
        }

        var inserted = Execute(
            """
            INSERT OR IGNORE INTO wf_instances (app_id, instance_id, execution_id, name, status, input, created_at, updated_at, parent_instance_id, parent_execution_id, parent_task_id)
            VALUES ($app, $id, $exec, $name, $status, $input, $now, $now, $parent, $parentExec, $task)
            """,
            ("$id", childId), ("$exec", executionId), ("$name", create.Name), ("$status", (int)OrchestrationStatus.Pending), ("$input", create.Input),
            ("$now", now), ("$parent", parent.InstanceId), ("$parentExec", parent.ExecutionId), ("$task", action.Id));
        if (inserted == 0)
        {
            var failure = new TaskFailureDetails
            {
                ErrorType = "InstanceAlreadyExists",
                ErrorMessage = $"A workflow instance with id '{childId}' already exists.",
                IsNonRetriable = true,
            };
            InsertInbox(parent.InstanceId, parent.ExecutionId, NowTicks,
                NewEvent(e => e.ChildWorkflowInstanceFailed = new ChildWorkflowInstanceFailedEvent { TaskScheduledId = action.Id, FailureDetails = failure }), effects);
            return;
        }

        var started = new ExecutionStartedEvent
        {
            Name = create.Name,
            Version = create.Version,
            Input = create.Input,
            WorkflowInstance = new WorkflowInstance { InstanceId = childId, ExecutionId = executionId },
            ParentInstance = new ParentInstanceInfo
            {
                TaskScheduledId = action.Id,
                Name = parent.Name,
                WorkflowInstance = new WorkflowInstance { InstanceId = parent.InstanceId, ExecutionId = parent.ExecutionId },
            },
        };
        InsertInbox(childId, executionId, NowTicks, NewEvent(e => { e.ExecutionStarted = started; e.Router = router; }), effects);
        effects.Changed.Add(childId);
    }

    private static ParentInstanceInfo? ParentInfo(InstanceRecord instance) =>
        instance.ParentInstanceId is null
            ? null
            : new ParentInstanceInfo
            {
                TaskScheduledId = instance.ParentTaskId,
                WorkflowInstance = new WorkflowInstance { InstanceId = instance.ParentInstanceId, ExecutionId = instance.ParentExecutionId },
            };

    private void NotifyParent(InstanceRecord child, OrchestrationStatus status, string? result, TaskFailureDetails? failure, StoreEffects effects)
    {
        if (child.ParentInstanceId is null || LoadInstance(child.ParentInstanceId) is not { IsTerminal: false } parent || parent.ExecutionId != child.ParentExecutionId)
        {
            return;
        }

        var taskId = child.ParentTaskId;
        var completion = status == OrchestrationStatus.Completed
            ? NewEvent(e => e.ChildWorkflowInstanceCompleted = new ChildWorkflowInstanceCompletedEvent { TaskScheduledId = taskId, Result = result })
            : NewEvent(e => e.ChildWorkflowInstanceFailed = new ChildWorkflowInstanceFailedEvent
            {
                TaskScheduledId = taskId,
                FailureDetails = failure ?? new TaskFailureDetails
                {
                    ErrorType = status.ToString(),
                    ErrorMessage = $"Child workflow '{child.InstanceId}' ended with status {status}.",
                },
            });
        InsertInbox(parent.InstanceId, parent.ExecutionId, NowTicks, completion, effects);
    }

    private void TerminateCore(InstanceRecord instance, string? output, bool recursive, StoreEffects effects)
    {
        if (instance.IsTerminal)
        {
            return;
        }

        var now = Now;
        var seq = NextHistorySeq(instance.InstanceId);
        AppendHistory(instance.InstanceId, ref seq, NewEvent(e => e.ExecutionTerminated = new ExecutionTerminatedEvent { Input = output, Recurse = recursive }));
        AppendHistory(instance.InstanceId, ref seq, NewEvent(e => e.ExecutionCompleted = new ExecutionCompletedEvent { WorkflowStatus = OrchestrationStatus.Terminated, Result = output }));
        Execute(
            "UPDATE wf_instances SET status = $status, output = $output, updated_at = $now, completed_at = $now WHERE app_id = $app AND instance_id = $id",
            ("$status", (int)OrchestrationStatus.Terminated), ("$output", output), ("$now", now), ("$id", instance.InstanceId));
        DeleteActivities(instance.InstanceId, effects);
        Execute("DELETE FROM wf_inbox WHERE app_id = $app AND instance_id = $id", ("$id", instance.InstanceId));
        effects.Changed.Add(instance.InstanceId);
        NotifyParent(instance, OrchestrationStatus.Terminated, output, null, effects);

        if (recursive)
        {
            foreach (var child in RunningChildren(instance.InstanceId))
            {
                TerminateCore(child, output, recursive, effects);
            }
        }
    }

    private List<InstanceRecord> RunningChildren(string instanceId)
    {
        var ids = new List<string>();
        using (var reader = Command("SELECT instance_id FROM wf_instances WHERE app_id = $app AND parent_instance_id = $id", ("$id", instanceId)).ExecuteReader())
        {
            while (reader.Read())
            {
                ids.Add(reader.GetString(0));
            }
        }

        return ids.Select(LoadInstance).OfType<InstanceRecord>().Where(i => !i.IsTerminal).ToList();
    }

    private int PurgeCore(string instanceId, bool recursive, bool force)
    {
        var instance = LoadInstance(instanceId);
        if (instance is null)
        {
            return 0;
        }

        if (!instance.IsTerminal && !force)
        {
            throw new InvalidOperationException($"Workflow instance '{instanceId}' is {instance.Status}; only ended instances can be purged.");
        }

        var count = 0;
        if (recursive)
        {
            var children = new List<string>();
            using (var reader = Command("SELECT instance_id FROM wf_instances WHERE app_id = $app AND parent_instance_id = $id", ("$id", instanceId)).ExecuteReader())
            {
                while (reader.Read())
                {
                    children.Add(reader.GetString(0));
                }
            }

            foreach (var child in children)
            {
                count += PurgeCore(child, recursive, force: true);
            }
        }

        Execute("DELETE FROM wf_history WHERE app_id = $app AND instance_id = $id", ("$id", instanceId));
        Execute("DELETE FROM wf_inbox WHERE app_id = $app AND instance_id = $id", ("$id", instanceId));
        Execute("DELETE FROM wf_activities WHERE app_id = $app AND instance_id = $id", ("$id", instanceId));
        Execute("DELETE FROM wf_instances WHERE app_id = $app AND instance_id = $id", ("$id", instanceId));
        return count + 1;
    }

    private void DeleteActivities(string instanceId, StoreEffects effects)
    {
        using (var reader = Command("SELECT id FROM wf_activities WHERE app_id = $app AND instance_id = $id", ("$id", instanceId)).ExecuteReader())
        {
            while (reader.Read())
            {
                effects.CancelledActivities.Add(reader.GetInt64(0));
            }
        }

        Execute("DELETE FROM wf_activities WHERE app_id = $app AND instance_id = $id", ("$id", instanceId));
    }

    private List<InstanceRecord> QueryInstances(IReadOnlyCollection<OrchestrationStatus> statuses, DateTimeOffset? createdFrom, DateTimeOffset? createdTo, int limit)
    {
        var sql = $"SELECT {InstanceColumns} FROM wf_instances WHERE app_id = $app AND created_at >= $from AND created_at < $to";
        if (statuses.Count > 0)
        {
            sql += $" AND status IN ({string.Join(",", statuses.Select(s => (int)s))})";
        }

        sql += " ORDER BY created_at, instance_id LIMIT $limit";
        var cmd = Command(sql,
            ("$from", createdFrom?.ToUnixTimeMilliseconds() ?? long.MinValue),
            ("$to", createdTo?.ToUnixTimeMilliseconds() ?? long.MaxValue),
            ("$limit", limit == int.MaxValue ? -1L : limit));
        using var reader = cmd.ExecuteReader();
        var result = new List<InstanceRecord>();
        while (reader.Read())
        {
            result.Add(ReadInstance(reader));
        }

        return result;
    }

    private InstanceRecord? LoadInstance(string instanceId)
    {
        var cmd = Command($"SELECT {InstanceColumns} FROM wf_instances WHERE app_id = $app AND instance_id = $id", ("$id", instanceId));
        using var reader = cmd.ExecuteReader();
        return reader.Read() ? ReadInstance(reader) : null;
    }

    private static InstanceRecord ReadInstance(SqliteDataReader r) => new(
        r.GetString(0),
        r.GetString(1),
        r.GetString(2),
        (OrchestrationStatus)r.GetInt32(3),
        r.IsDBNull(4) ? null : r.GetString(4),
        r.IsDBNull(5) ? null : r.GetString(5),
        r.IsDBNull(6) ? null : r.GetString(6),
        r.IsDBNull(7) ? null : TaskFailureDetails.Parser.ParseFrom(r.GetFieldValue<byte[]>(7)),
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(8)),
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(9)),
        r.IsDBNull(10) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(10)),
        r.IsDBNull(11) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(11)),
        r.IsDBNull(12) ? null : r.GetString(12),
        r.IsDBNull(13) ? null : r.GetString(13),
        r.GetInt32(14));

    private List<HistoryEvent> LoadHistory(string instanceId)
    {
        var cmd = Command("SELECT event FROM wf_history WHERE app_id = $app AND instance_id = $id ORDER BY seq", ("$id", instanceId));
        using var reader = cmd.ExecuteReader();
        var events = new List<HistoryEvent>();
        while (reader.Read())
        {
            events.Add(HistoryEvent.Parser.ParseFrom(reader.GetFieldValue<byte[]>(0)));
        }

        return events;
    }

    private bool HasStarted(string instanceId)
    {
        foreach (var e in LoadHistory(instanceId))
        {
            if (e.ExecutionStarted is not null)
            {
                return true;
            }
        }

        return false;
    }

    private bool HasVisibleInbox(string instanceId)
    {
        var cmd = Command("SELECT 1 FROM wf_inbox WHERE app_id = $app AND instance_id = $id AND visible_at <= $now LIMIT 1", ("$id", instanceId), ("$now", NowTicks));
        return cmd.ExecuteScalar() is not null;
    }

    private int NextHistorySeq(string instanceId)
    {
        var cmd = Command("SELECT COALESCE(MAX(seq), 0) + 1 FROM wf_history WHERE app_id = $app AND instance_id = $id", ("$id", instanceId));
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private void AppendHistory(string instanceId, ref int seq, HistoryEvent historyEvent)
    {
        Execute("INSERT INTO wf_history (app_id, instance_id, seq, event) VALUES ($app, $id, $seq, $event)",
            ("$id", instanceId), ("$seq", seq), ("$event", historyEvent.ToByteArray()));
        seq++;
    }

    private void InsertInbox(string instanceId, string? executionId, long visibleAt, HistoryEvent historyEvent, StoreEffects effects)
    {
        Execute("INSERT INTO wf_inbox (app_id, instance_id, execution_id, visible_at, event) VALUES ($app, $id, $exec, $visible, $event)",
            ("$id", instanceId), ("$exec", executionId), ("$visible", visibleAt), ("$event", historyEvent.ToByteArray()));
        effects.InboxWrites.Add((instanceId, new DateTimeOffset(visibleAt, TimeSpan.Zero)));
    }

    private HistoryEvent NewEvent(Action<HistoryEvent> fill)
    {
        var e = new HistoryEvent { EventId = -1, Timestamp = Timestamp.FromDateTimeOffset(_time.GetUtcNow()) };
        fill(e);
        return e;
    }

    private long LastInsertRowId()
    {
        var cmd = Command("SELECT last_insert_rowid()");
        return (long)cmd.ExecuteScalar()!;
    }

    private int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = Command(sql, parameters);
        return cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// A prepared command for <paramref name="sql"/>, reused across calls (re-preparing every statement cost more than
    /// the statements themselves). Callers dispose readers, never the command.
    /// </summary>
    private SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        if (!_commands.TryGetValue(sql, out var cmd))
        {
            cmd = _connection.CreateCommand();
            cmd.CommandText = sql;
            if (sql.Contains("$app", StringComparison.Ordinal))
            {
                cmd.Parameters.AddWithValue("$app", _appId);
            }

            foreach (var (name, _) in parameters)
            {
                cmd.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            if (_commands.Count < MaxCachedCommands)
            {
                _commands.Add(sql, cmd);
            }
        }

        cmd.Transaction = _tx;
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters[name].Value = value ?? DBNull.Value;
        }

        return cmd;
    }
}
