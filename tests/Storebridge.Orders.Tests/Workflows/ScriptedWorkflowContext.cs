using Dapr.Workflow;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Storebridge.Orders.Tests.Workflows;

/// <summary>
/// A <see cref="WorkflowContext"/> for unit tests of workflow logic: activities answer from scripted handlers (and are
/// recorded in call order); external events arrive one at a time in the scripted order, each when the workflow next
/// starts a wait (as the runtime resumes the workflow after each event); once the script is exhausted every open
/// wait times out, as it would if nothing more ever arrived.
/// </summary>
internal sealed class ScriptedWorkflowContext(string instanceId, DateTime start) : WorkflowContext
{
    private readonly Dictionary<string, Func<object?, object?>> _activities = new(StringComparer.Ordinal);
    private readonly List<(string Name, object Payload)> _events = [];
    private readonly List<(string Name, Action<object> Deliver, Action Cancel)> _waiters = [];

    public List<(string Name, object? Input)> Calls { get; } = [];

    public override string Name => "test";

    public override string InstanceId { get; } = instanceId;

    public override DateTime CurrentUtcDateTime => start;

    public override bool IsReplaying => false;

    /// <summary>Answers activity <paramref name="name"/>; throwing <see cref="WorkflowTaskFailedException"/> fails it.</summary>
    public ScriptedWorkflowContext OnActivity(string name, Func<object?, object?> handler)
    {
        _activities[name] = handler;
        return this;
    }

    /// <summary>Queues an external event; events reach the workflow in the order they were raised.</summary>
    public ScriptedWorkflowContext Raise(string name, object payload)
    {
        _events.Add((name, payload));
        return this;
    }

    public IEnumerable<T> Inputs<T>(string activity) => Calls.Where(c => c.Name == activity).Select(c => (T)c.Input!);

    public override Task<T> CallActivityAsync<T>(string name, object? input = null, WorkflowTaskOptions? options = null)
    {
        Calls.Add((name, input));
        if (!_activities.TryGetValue(name, out var handler))
        {
            throw new InvalidOperationException($"The test did not script activity {name}.");
        }

        try
        {
            return Task.FromResult((T)handler(input)!);
        }
        catch (WorkflowTaskFailedException ex)
        {
            return Task.FromException<T>(ex);
        }
    }

    public override Task CallActivityAsync(string name, object? input = null, WorkflowTaskOptions? options = null) =>
        CallActivityAsync<object>(name, input, options);

    public override Task<T> WaitForExternalEventAsync<T>(string eventName, TimeSpan timeout) =>
        WaitForExternalEventAsync<T>(eventName, CancellationToken.None);

    public override Task<T> WaitForExternalEventAsync<T>(string eventName, CancellationToken cancellationToken)
    {
        // Asynchronous continuations: delivering an event must not re-enter the workflow inside Pump.
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiters.Add((eventName, payload => completion.TrySetResult((T)payload), () => completion.TrySetCanceled()));
        Pump();
        return completion.Task;
    }

    private void Pump()
    {
        if (_events.Count > 0)
        {
            var next = _events[0];
            var waiter = _waiters.FindIndex(w => w.Name == next.Name);
            if (waiter >= 0)
            {
                _events.RemoveAt(0);
                var deliver = _waiters[waiter].Deliver;
                _waiters.RemoveAt(waiter);
                deliver(next.Payload);
            }

            return;
        }

        foreach (var open in _waiters)
        {
            open.Cancel();
        }

        _waiters.Clear();
    }

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken) => Task.CompletedTask;

    public override void SendEvent(string instanceId, string eventName, object payload) => throw new NotSupportedException();

    public override void SetCustomStatus(object? customStatus)
    {
    }

    public override Task<TResult> CallChildWorkflowAsync<TResult>(string workflowName, object? input = null, ChildWorkflowTaskOptions? options = null) =>
        throw new NotSupportedException();

    public override ILogger CreateReplaySafeLogger(string categoryName) => NullLogger.Instance;

    public override ILogger CreateReplaySafeLogger(Type type) => NullLogger.Instance;

    public override ILogger<T> CreateReplaySafeLogger<T>() => NullLogger<T>.Instance;

    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true) => throw new NotSupportedException();

    public override Guid NewGuid() => Guid.NewGuid();

    public override bool IsPatched(string patchName) => true;

    public override PropagatedHistory GetPropagatedHistory() => throw new NotSupportedException();
}
