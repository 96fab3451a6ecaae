using System.Threading.Channels;
using Dapr.DurableTask.Protobuf;
using Dapr.Workflow;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Storebridge.Sidecar.Workflows.Storage;

namespace Storebridge.Sidecar.Workflows.Engine;

internal enum WaitCondition
{
    Started,
    Completed,
}

/// <summary>
/// The workflow engine: durable state lives in <see cref="WorkflowStore"/>; this class keeps only what can be rebuilt
/// from it at start — which instances and activities are ready, which are leased to which worker stream, and when
/// the next timer fires. One workflow work item per instance is outstanding at a time; each activity is leased to one
/// worker at a time and goes back to the queue when its stream closes or its lease expires.
/// </summary>
internal sealed class WorkflowEngine : IWorkflowInstanceInspector, IDisposable
{
    private static readonly TimeSpan MaxWaitSlice = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RetryPause = TimeSpan.FromSeconds(1);
    private const int MaxPreparingPerStream = 64;

    private readonly WorkflowBackendOptions _options;
    private readonly WorkflowStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Channel<WorkRef> _ready = Channel.CreateUnbounded<WorkRef>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
    private readonly HashSet<string> _queuedInstances = new(StringComparer.Ordinal);
    private readonly HashSet<string> _runningInstances = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirtyInstances = new(StringComparer.Ordinal);
    private readonly HashSet<long> _queuedActivities = [];
    private readonly Dictionary<long, string> _leasedActivities = [];
    private readonly Dictionary<string, Lease> _leases = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, DateTimeOffset> _wakeups = new();
    private readonly Dictionary<string, TaskCompletionSource> _changeWaiters = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    // Dapr's per-sidecar concurrency limits: a slot is taken before an item is prepared and given back when its lease
    // ends (completed, released, expired or cancelled). Null: unlimited.
    private readonly SemaphoreSlim? _workflowSlots;
    private readonly SemaphoreSlim? _activitySlots;
    private TaskCompletionSource _wakeupsChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _timerLoop = Task.CompletedTask;
    private Task _leaseLoop = Task.CompletedTask;
    private int _started;
    private int _disposed;

    public WorkflowEngine(WorkflowBackendOptions options, ILoggerFactory loggerFactory)
    {
        _workflowSlots = options.MaxConcurrentWorkflowInvocations is { } workflows ? new SemaphoreSlim(workflows, workflows) : null;
        _activitySlots = options.MaxConcurrentActivityInvocations is { } activities ? new SemaphoreSlim(activities, activities) : null;
        _options = options;
        _time = options.TimeProvider;
        _logger = loggerFactory.CreateLogger<WorkflowEngine>();
        _store = new WorkflowStore(options.DatabasePath, options.AppId, _time);
        Recover();
    }

    /// <summary>Starts the timer and lease-expiry loops.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 1)
        {
            return;
        }

        _timerLoop = Task.Run(() => RunLoopAsync(TimerLoopAsync));
        _leaseLoop = Task.Run(() => RunLoopAsync(LeaseLoopAsync));
    }

    /// <summary>Ends worker streams and background loops; durable state is already committed.</summary>
    public async Task StopAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync();
        }

        await Task.WhenAll(_timerLoop, _leaseLoop);
    }

    public void Dispose()
    {
        // DI disposes this object twice: it is registered as itself and as IWorkflowInstanceInspector.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (!_stopping.IsCancellationRequested)
        {
            _stopping.Cancel();
        }

        _store.Dispose();
        _stopping.Dispose();
    }

    // ---------------------------------------------------------------- client API

    public async Task<string> StartInstanceAsync(CreateInstanceRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "A workflow name is required."));
        }

        if (string.IsNullOrEmpty(request.InstanceId))
        {
            request.InstanceId = Guid.NewGuid().ToString("N");
        }

        var effects = new StoreEffects();
        if (!await _store.CreateInstanceAsync(request, effects))
        {
            // Same status durabletask-go returns, so callers (duplicate webhooks) can recognise it.
            throw new RpcException(new Status(StatusCode.AlreadyExists, $"A workflow instance with id '{request.InstanceId}' already exists."));
        }

        Apply(effects);
        return request.InstanceId;
    }

    public async Task<GetInstanceResponse> GetInstanceAsync(string instanceId, bool includeInputsAndOutputs, CancellationToken cancellationToken) =>
        ToResponse(await _store.GetInstanceAsync(instanceId), includeInputsAndOutputs);

    public async Task<GetInstanceResponse> WaitForInstanceAsync(string instanceId, bool includeInputsAndOutputs, WaitCondition condition, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        while (true)
        {
            var changed = ChangeSignal(instanceId);
            var instance = await _store.GetInstanceAsync(instanceId);
            if (instance is null)
            {
                return new GetInstanceResponse { Exists = false };
            }

            var satisfied = condition == WaitCondition.Started
                ? instance.Status != OrchestrationStatus.Pending
                : instance.IsTerminal;
            if (satisfied)
            {
                return ToResponse(instance, includeInputsAndOutputs);
            }

            try
            {
                // The slice bounds the wait should a change ever slip past the signal.
                await changed.WaitAsync(MaxWaitSlice, _time, linked.Token);
            }
            catch (TimeoutException)
            {
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "The workflow backend is shutting down."));
            }
        }
    }

    public async Task RaiseEventAsync(string instanceId, string name, string? input, CancellationToken cancellationToken)
    {
        var effects = new StoreEffects();
        switch (await _store.RaiseEventAsync(instanceId, name, input, effects))
        {
            case null:
                throw NotFound(instanceId);
            case false:
                Log.EventForEndedInstance(_logger, name, instanceId);
                break;
        }

        Apply(effects);
    }

    public async Task TerminateAsync(string instanceId, string? output, bool recursive, CancellationToken cancellationToken)
    {
        var effects = new StoreEffects();
        if (!await _store.TerminateAsync(instanceId, output, recursive, effects))
        {
            throw NotFound(instanceId);
        }

        Apply(effects);
    }

    public Task SuspendAsync(string instanceId, string? reason, CancellationToken cancellationToken) => SetSuspended(instanceId, true, reason);

    public Task ResumeAsync(string instanceId, string? reason, CancellationToken cancellationToken) => SetSuspended(instanceId, false, reason);

    public async Task<PurgeInstancesResponse> PurgeAsync(PurgeInstancesRequest request, CancellationToken cancellationToken)
    {
        var force = request.HasForce && request.Force;
        try
        {
            var count = request.RequestCase switch
            {
                PurgeInstancesRequest.RequestOneofCase.InstanceId => await _store.PurgeAsync(request.InstanceId, request.Recursive, force),
                PurgeInstancesRequest.RequestOneofCase.PurgeInstanceFilter => await _store.PurgeWhereAsync(
                    request.PurgeInstanceFilter.CreatedTimeFrom?.ToDateTimeOffset(),
                    request.PurgeInstanceFilter.CreatedTimeTo?.ToDateTimeOffset(),
                    request.PurgeInstanceFilter.RuntimeStatus.Count > 0
                        ? request.PurgeInstanceFilter.RuntimeStatus.ToList()
                        : [OrchestrationStatus.Completed, OrchestrationStatus.Failed, OrchestrationStatus.Terminated, OrchestrationStatus.Canceled],
                    request.Recursive,
                    force),
                _ => throw new RpcException(new Status(StatusCode.InvalidArgument, "Either an instance id or a purge filter is required.")),
            };
            return new PurgeInstancesResponse { DeletedInstanceCount = count, IsComplete = true };
        }
        catch (InvalidOperationException ex)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, ex.Message));
        }
    }

    public async Task<ListInstanceIDsResponse> ListInstanceIdsAsync(string? continuationToken, int? pageSize, CancellationToken cancellationToken)
    {
        var (ids, next) = await _store.ListInstanceIdsAsync(continuationToken, pageSize);
        var response = new ListInstanceIDsResponse();
        response.InstanceIds.AddRange(ids);
        if (next is not null)
        {
            response.ContinuationToken = next;
        }

        return response;
    }

    public async Task<IReadOnlyList<HistoryEvent>?> GetHistoryAsync(string instanceId, CancellationToken cancellationToken = default) =>
        await _store.GetHistoryAsync(instanceId);

    public async Task<IReadOnlyList<WorkflowInstanceSummary>> ListInstancesAsync(WorkflowInstanceQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.Limit);
        var statuses = (query.Statuses ?? []).Select(s => (OrchestrationStatus)(int)s).ToList();
        var rows = await _store.ListInstancesAsync(statuses, query.CreatedFrom, query.CreatedTo, query.Limit);
        return rows
            .Select(r => new WorkflowInstanceSummary(r.InstanceId, r.Name, (WorkflowRuntimeStatus)(int)r.Status, r.CreatedAt, r.UpdatedAt,
                r.CompletedAt, r.CustomStatus, r.Failure?.ErrorMessage, r.ParentInstanceId))
            .ToList();
    }

    // ---------------------------------------------------------------- worker API

    /// <summary>Serves one <c>GetWorkItems</c> stream until the worker goes away; its unfinished work is re-queued.</summary>
    public async Task RunWorkerStreamAsync(IServerStreamWriter<WorkItem> stream, string peer, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        using var writeGate = new SemaphoreSlim(1, 1);
        using var slots = new SemaphoreSlim(MaxPreparingPerStream, MaxPreparingPerStream);
        var session = new WorkerSession(peer);
        var dispatches = new List<Task>();
        Log.WorkerConnected(_logger, peer);
        try
        {
            // Preparing an item waits for the store; several are prepared at once so the stream is never idle
            // behind one database round trip. Writes to the stream stay one at a time.
            while (!linked.IsCancellationRequested)
            {
                await slots.WaitAsync(linked.Token);
                WorkRef next;
                try
                {
                    next = await _ready.Reader.ReadAsync(linked.Token);
                }
                catch
                {
                    slots.Release();
                    throw;
                }

                var limit = SlotsFor(next.ActivityId);
                if (limit is not null)
                {
                    try
                    {
                        await limit.WaitAsync(linked.Token);
                    }
                    catch
                    {
                        Requeue(next);
                        slots.Release();
                        throw;
                    }
                }

                dispatches.Add(DispatchAsync(next, session, stream, writeGate, slots, linked));
                if (dispatches.Count > MaxPreparingPerStream * 2)
                {
                    dispatches.RemoveAll(t => t.IsCompleted);
                }
            }
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
        }
        finally
        {
            await Task.WhenAll(dispatches);
            List<string> tokens;
            lock (_gate)
            {
                tokens = [.. session.Tokens];
            }

            foreach (var token in tokens)
            {
                ReleaseLease(token);
            }

            Log.WorkerDisconnected(_logger, peer, tokens.Count);
        }
    }

    private async Task DispatchAsync(
        WorkRef next, WorkerSession session, IServerStreamWriter<WorkItem> stream, SemaphoreSlim writeGate, SemaphoreSlim slots,
        CancellationTokenSource streamCancellation)
    {
        // The concurrency slot taken for this work before dispatch; a lease holds it from here on.
        var limit = SlotsFor(next.ActivityId);
        try
        {
            WorkItem? item;
            try
            {
                item = next.ActivityId is { } activityId
                    ? await PrepareActivityAsync(activityId, session)
                    : await PrepareOrchestrationAsync(next.InstanceId!, session);
            }
            catch (Exception ex)
            {
                Log.PrepareFailed(_logger, ex, next.InstanceId ?? next.ActivityId.ToString()!);
                limit?.Release();
                Requeue(next);
                return;
            }

            if (item is null)
            {
                // Nothing to hand out after all: no lease holds the slot.
                limit?.Release();
                return;
            }

            try
            {
                await writeGate.WaitAsync(streamCancellation.Token);
                try
                {
                    await stream.WriteAsync(item, streamCancellation.Token);
                }
                finally
                {
                    writeGate.Release();
                }
            }
            catch (Exception)
            {
                // The stream is gone: this item goes back to the queue and the stream loop ends.
                ReleaseLease(item.CompletionToken);
                if (!streamCancellation.IsCancellationRequested)
                {
                    await streamCancellation.CancelAsync();
                }
            }
        }
        finally
        {
            slots.Release();
        }
    }

    public async Task CompleteActivityAsync(ActivityResponse response, CancellationToken cancellationToken)
    {
        Lease? lease;
        lock (_gate)
        {
            if (TryEndLease(response.CompletionToken, out lease) && lease.ActivityId is { } activityId)
            {
                lease.Session.Tokens.Remove(lease.Token);
                _leasedActivities.Remove(activityId);
            }
            else
            {
                lease = null;
            }
        }

        if (lease is null)
        {
            Log.StaleCompletion(_logger, "activity", response.InstanceId);
            return;
        }

        var effects = new StoreEffects();
        try
        {
            await _store.CompleteActivityAsync(lease.ActivityId!.Value, response, effects);
        }
        catch
        {
            // Nothing was recorded: the activity is still pending, so it runs again (at least once).
            EnqueueActivity(lease.ActivityId!.Value);
            throw;
        }

        Apply(effects);
    }

    public async Task CompleteOrchestrationAsync(WorkflowResponse response, CancellationToken cancellationToken)
    {
        Lease? lease;
        lock (_gate)
        {
            if (TryEndLease(response.CompletionToken, out lease) && lease.Dispatch is not null)
            {
                lease.Session.Tokens.Remove(lease.Token);
            }
            else
            {
                lease = null;
            }
        }

        if (lease is null)
        {
            Log.StaleCompletion(_logger, "workflow", response.InstanceId);
            throw new RpcException(new Status(StatusCode.NotFound, "Unknown or expired completion token; the work item was re-dispatched."));
        }

        var effects = new StoreEffects();
        try
        {
            await _store.CompleteOrchestrationAsync(lease.Dispatch!, response, _options.AppId, effects);
        }
        catch
        {
            FinishOrchestration(lease.Dispatch!.InstanceId, requeue: true);
            throw;
        }

        Apply(effects);
        FinishOrchestration(lease.Dispatch!.InstanceId, effects.MoreVisibleWork);
    }

    // ---------------------------------------------------------------- dispatch internals

    private async Task<WorkItem?> PrepareOrchestrationAsync(string instanceId, WorkerSession session)
    {
        lock (_gate)
        {
            _queuedInstances.Remove(instanceId);
            if (!_runningInstances.Add(instanceId))
            {
                _dirtyInstances.Add(instanceId);
                return null;
            }
        }

        var (instance, history, inbox) = await _store.LoadOrchestrationAsync(instanceId);
        if (instance is null || inbox.Count == 0 || instance.IsTerminal || instance.Status == OrchestrationStatus.Suspended)
        {
            if (instance is { IsTerminal: true } && inbox.Count > 0)
            {
                await _store.DeleteInboxAsync(inbox.Select(i => i.Id).ToList());
            }

            FinishOrchestration(instanceId, requeue: false);
            return null;
        }

        // Rows of an earlier execution (before continue-as-new) can never be delivered.
        var deliverable = inbox.Where(i => i.ExecutionId is null || i.ExecutionId == instance.ExecutionId).ToList();
        if (deliverable.Count == 0)
        {
            await _store.DeleteInboxAsync(inbox.Select(i => i.Id).ToList());
            FinishOrchestration(instanceId, requeue: false);
            return null;
        }

        var now = _time.GetUtcNow();
        var newEvents = new List<HistoryEvent>(deliverable.Count + 1)
        {
            // Marks the turn and gives the workflow its deterministic "current time".
            new() { EventId = -1, Timestamp = Timestamp.FromDateTimeOffset(now), WorkflowStarted = new WorkflowStartedEvent() },
        };
        newEvents.AddRange(deliverable.Where(i => i.Event.ExecutionStarted is not null).Select(i => i.Event));
        newEvents.AddRange(deliverable.Where(i => i.Event.ExecutionStarted is null).Select(i => i.Event));

        var dispatch = new OrchestrationDispatch(instanceId, instance.ExecutionId, inbox.Select(i => i.Id).ToList(), newEvents);
        var token = Guid.NewGuid().ToString("N");
        var request = new WorkflowRequest { InstanceId = instanceId, ExecutionId = instance.ExecutionId };
        request.PastEvents.AddRange(history);
        request.NewEvents.AddRange(newEvents);
        lock (_gate)
        {
            var lease = new Lease(token, session, now + _options.OrchestrationLeaseTimeout, null, dispatch);
            _leases.Add(token, lease);
            session.Tokens.Add(token);
        }

        return new WorkItem { WorkflowRequest = request, CompletionToken = token };
    }

    private async Task<WorkItem?> PrepareActivityAsync(long activityId, WorkerSession session)
    {
        lock (_gate)
        {
            _queuedActivities.Remove(activityId);
            if (_leasedActivities.ContainsKey(activityId))
            {
                return null;
            }

            // Reserve before the read so a concurrent duplicate reference cannot lease the same activity.
            _leasedActivities[activityId] = string.Empty;
        }

        var request = await _store.LoadActivityAsync(activityId);
        if (request is null)
        {
            lock (_gate)
            {
                _leasedActivities.Remove(activityId);
            }

            return null;
        }

        // Every dispatch gets a fresh completion token; a result that arrives with an older token (a worker that was
        // given up on) is ignored, so a result is applied at most once.
        var token = Guid.NewGuid().ToString("N");
        lock (_gate)
        {
            var lease = new Lease(token, session, _time.GetUtcNow() + _options.ActivityLeaseTimeout, activityId, null);
            _leases.Add(token, lease);
            _leasedActivities[activityId] = token;
            session.Tokens.Add(token);
        }

        return new WorkItem { ActivityRequest = request, CompletionToken = token };
    }

    private void ReleaseLease(string token)
    {
        Lease? lease;
        lock (_gate)
        {
            if (!TryEndLease(token, out lease))
            {
                return;
            }

            lease.Session.Tokens.Remove(token);
            if (lease.ActivityId is { } activityId)
            {
                _leasedActivities.Remove(activityId);
            }
        }

        if (lease.ActivityId is { } id)
        {
            EnqueueActivity(id);
        }
        else
        {
            FinishOrchestration(lease.Dispatch!.InstanceId, requeue: true);
        }
    }

    private void FinishOrchestration(string instanceId, bool requeue)
    {
        lock (_gate)
        {
            _runningInstances.Remove(instanceId);
            requeue |= _dirtyInstances.Remove(instanceId);
        }

        if (requeue)
        {
            SignalInstance(instanceId);
        }
    }

    private void SignalInstance(string instanceId)
    {
        lock (_gate)
        {
            if (_runningInstances.Contains(instanceId))
            {
                _dirtyInstances.Add(instanceId);
                return;
            }

            if (!_queuedInstances.Add(instanceId))
            {
                return;
            }
        }

        _ready.Writer.TryWrite(new WorkRef(instanceId, null));
    }

    private void EnqueueActivity(long activityId)
    {
        lock (_gate)
        {
            if (_leasedActivities.ContainsKey(activityId) || !_queuedActivities.Add(activityId))
            {
                return;
            }
        }

        _ready.Writer.TryWrite(new WorkRef(null, activityId));
    }

    /// <summary>Retries a work item whose preparation failed (e.g. the database was busy) after a pause, not in a hot loop.</summary>
    private void Requeue(WorkRef item)
    {
        if (item.ActivityId is { } activityId)
        {
            lock (_gate)
            {
                if (_leasedActivities.TryGetValue(activityId, out var token) && token.Length == 0)
                {
                    _leasedActivities.Remove(activityId);
                }
            }

            _ = Task.Delay(RetryPause, _time, _stopping.Token).ContinueWith(_ => EnqueueActivity(activityId), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }
        else
        {
            FinishOrchestration(item.InstanceId!, requeue: false);
            ScheduleWakeup(item.InstanceId!, _time.GetUtcNow() + RetryPause);
        }
    }

    private async Task SetSuspended(string instanceId, bool suspend, string? reason)
    {
        var effects = new StoreEffects();
        if (await _store.SetSuspendedAsync(instanceId, suspend, reason, effects) is null)
        {
            throw NotFound(instanceId);
        }

        Apply(effects);
    }

    /// <summary>Acts on what a committed transaction changed: new activities, inbox rows (now or later), waiters.</summary>
    private void Apply(StoreEffects effects)
    {
        if (effects.CancelledActivities.Count > 0)
        {
            lock (_gate)
            {
                foreach (var id in effects.CancelledActivities)
                {
                    // A worker still running it will report to a token that no longer exists.
                    if (_leasedActivities.Remove(id, out var token) && token.Length > 0 && TryEndLease(token, out var lease))
                    {
                        lease.Session.Tokens.Remove(token);
                    }
                }
            }
        }

        foreach (var id in effects.NewActivities)
        {
            EnqueueActivity(id);
        }

        var now = _time.GetUtcNow();
        foreach (var (instanceId, visibleAt) in effects.InboxWrites)
        {
            if (visibleAt <= now)
            {
                SignalInstance(instanceId);
            }
            else
            {
                ScheduleWakeup(instanceId, visibleAt);
            }
        }

        foreach (var instanceId in effects.Changed)
        {
            TaskCompletionSource? waiter;
            lock (_gate)
            {
                _changeWaiters.Remove(instanceId, out waiter);
            }

            waiter?.TrySetResult();
        }
    }

    private Task ChangeSignal(string instanceId)
    {
        lock (_gate)
        {
            if (!_changeWaiters.TryGetValue(instanceId, out var tcs))
            {
                tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _changeWaiters.Add(instanceId, tcs);
            }

            return tcs.Task;
        }
    }

    private void ScheduleWakeup(string instanceId, DateTimeOffset at)
    {
        TaskCompletionSource? wake = null;
        lock (_gate)
        {
            var earliest = _wakeups.TryPeek(out _, out var first) ? first : DateTimeOffset.MaxValue;
            _wakeups.Enqueue(instanceId, at);
            if (at < earliest)
            {
                wake = _wakeupsChanged;
                _wakeupsChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        wake?.TrySetResult();
    }

    private async Task TimerLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var due = new List<string>();
            TimeSpan wait;
            Task changed;
            lock (_gate)
            {
                var now = _time.GetUtcNow();
                while (_wakeups.TryPeek(out var id, out var at) && at <= now)
                {
                    _wakeups.Dequeue();
                    due.Add(id);
                }

                wait = _wakeups.TryPeek(out _, out var next) ? next - now : TimeSpan.FromMinutes(1);
                changed = _wakeupsChanged.Task;
            }

            foreach (var id in due)
            {
                SignalInstance(id);
            }

            if (due.Count > 0)
            {
                continue;
            }

            // Task.Delay cannot wait more than ~49 days; far-away timers are simply re-checked.
            wait = TimeSpan.FromTicks(Math.Clamp(wait.Ticks, TimeSpan.FromMilliseconds(1).Ticks, TimeSpan.FromMinutes(1).Ticks));
            await Task.WhenAny(Task.Delay(wait, _time, cancellationToken), changed).WaitAsync(cancellationToken);
        }
    }

    private async Task LeaseLoopAsync(CancellationToken cancellationToken)
    {
        var shortest = _options.ActivityLeaseTimeout < _options.OrchestrationLeaseTimeout ? _options.ActivityLeaseTimeout : _options.OrchestrationLeaseTimeout;
        var period = TimeSpan.FromTicks(Math.Clamp(shortest.Ticks / 4, TimeSpan.FromMilliseconds(20).Ticks, TimeSpan.FromSeconds(1).Ticks));
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(period, _time, cancellationToken);
            List<Lease> expired;
            lock (_gate)
            {
                var now = _time.GetUtcNow();
                expired = _leases.Values.Where(l => l.Deadline <= now).ToList();
            }

            foreach (var lease in expired)
            {
                Log.LeaseExpired(_logger, lease.ActivityId is null ? "workflow" : "activity", lease.Dispatch?.InstanceId ?? $"activity {lease.ActivityId}");
                ReleaseLease(lease.Token);
            }
        }
    }

    private async Task RunLoopAsync(Func<CancellationToken, Task> loop)
    {
        try
        {
            await loop(_stopping.Token);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Log.LoopFailed(_logger, ex);
        }
    }

    private void Recover()
    {
        // Runs once in the constructor, before any request; the store thread does the work.
        var activities = _store.ListPendingActivitiesAsync().GetAwaiter().GetResult();
        foreach (var id in activities)
        {
            EnqueueActivity(id);
        }

        var wakeups = _store.ListInboxWakeupsAsync().GetAwaiter().GetResult();
        var effects = new StoreEffects();
        effects.InboxWrites.AddRange(wakeups);
        Apply(effects);
        Log.Recovered(_logger, _options.AppId, _options.DatabasePath, activities.Count, wakeups.Select(w => w.InstanceId).Distinct(StringComparer.Ordinal).Count());
    }

    private static GetInstanceResponse ToResponse(InstanceRecord? instance, bool includeInputsAndOutputs)
    {
        if (instance is null)
        {
            return new GetInstanceResponse { Exists = false };
        }

        var state = new Dapr.DurableTask.Protobuf.WorkflowState
        {
            InstanceId = instance.InstanceId,
            Name = instance.Name,
            WorkflowStatus = instance.Status,
            CreatedTimestamp = Timestamp.FromDateTimeOffset(instance.CreatedAt),
            LastUpdatedTimestamp = Timestamp.FromDateTimeOffset(instance.UpdatedAt),
            CustomStatus = instance.CustomStatus,
            FailureDetails = instance.Failure,
            ExecutionId = instance.ExecutionId,
            ParentInstanceId = instance.ParentInstanceId,
        };
        if (instance.CompletedAt is { } completed)
        {
            state.CompletedTimestamp = Timestamp.FromDateTimeOffset(completed);
        }

        if (instance.ScheduledStart is { } scheduled)
        {
            state.ScheduledStartTimestamp = Timestamp.FromDateTimeOffset(scheduled);
        }

        if (includeInputsAndOutputs)
        {
            state.Input = instance.Input;
            state.Output = instance.Output;
        }

        return new GetInstanceResponse { Exists = true, WorkflowState = state };
    }

    private static RpcException NotFound(string instanceId) =>
        new(new Status(StatusCode.NotFound, $"Workflow instance '{instanceId}' does not exist."));

    private sealed record WorkRef(string? InstanceId, long? ActivityId);

    private sealed class WorkerSession(string peer)
    {
        public string Peer { get; } = peer;

        public HashSet<string> Tokens { get; } = new(StringComparer.Ordinal);
    }

    private sealed record Lease(string Token, WorkerSession Session, DateTimeOffset Deadline, long? ActivityId, OrchestrationDispatch? Dispatch);

    /// <summary>Ends a lease (caller holds <see cref="_gate"/>) and gives its concurrency slot back.</summary>
    private bool TryEndLease(string token, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Lease? lease)
    {
        if (!_leases.Remove(token, out lease))
        {
            return false;
        }

        SlotsFor(lease.ActivityId)?.Release();
        return true;
    }

    // Workflow turns and activities are limited separately (Dapr's maxConcurrentWorkflow/ActivityInvocations).
    private SemaphoreSlim? SlotsFor(long? activityId) => activityId is null ? _workflowSlots : _activitySlots;
}
