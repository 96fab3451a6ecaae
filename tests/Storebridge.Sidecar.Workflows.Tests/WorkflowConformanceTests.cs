using Dapr.DurableTask.Protobuf;
using Dapr.Workflow;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;

namespace Storebridge.Sidecar.Workflows.Tests;

/// <summary>Workflow behaviour through the unchanged Dapr.Workflow SDK (worker and DaprWorkflowClient) against the backend.</summary>
public sealed class WorkflowConformanceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Activity_chain_passes_each_result_to_the_next_step()
    {
        await using var env = await TestEnv.StartAsync();

        var id = await env.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), "chain-1", "start");
        var state = await env.CompletionAsync(id);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("start-a-b-c", state.ReadOutputAs<string>());
        Assert.Equal(3, env.Probe.Count("append"));

        // The SDK worker and client need nothing from the runtime but the workflow service.
        Assert.All(env.Runtime.RequestPaths, path => Assert.StartsWith("/TaskHubSidecarService/", path, StringComparison.Ordinal));
        Assert.Contains("/TaskHubSidecarService/GetWorkItems", env.Runtime.RequestPaths);
    }

    [Fact]
    public async Task Fan_out_of_100_activities_fans_in_every_result()
    {
        await using var env = await TestEnv.StartAsync();

        var id = await env.Client.ScheduleNewWorkflowAsync(nameof(FanOutWorkflow), "fan-100", 100);
        var state = await env.CompletionAsync(id);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal(Enumerable.Range(1, 100).Sum(i => (long)i * i), state.ReadOutputAs<long>());
        Assert.Equal(100, env.Probe.Count("square"));
        var history = await env.Client.GetInstanceHistoryAsync(id, Ct);
        Assert.Equal(100, history.Count(e => e.EventType == Dapr.Workflow.Client.WorkflowHistoryEventType.TaskCompleted));
    }

    [Fact]
    public async Task The_activity_concurrency_limit_of_the_dapr_configuration_holds_and_every_activity_still_runs()
    {
        await using var env = await TestEnv.StartAsync(configure: o => o.MaxConcurrentActivityInvocations = 2);

        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await env.Client.ScheduleNewWorkflowAsync(nameof(SlowFanOutWorkflow), $"slow-{i}", 8));
        }

        foreach (var id in ids)
        {
            var state = await env.CompletionAsync(id);
            Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
            Assert.Equal(8, state.ReadOutputAs<int>());
        }

        Assert.InRange(env.Probe.Peak("slow"), 1, 2);
    }

    [Fact]
    public async Task Failing_activity_surfaces_its_failure_details_and_the_workflow_compensates()
    {
        await using var env = await TestEnv.StartAsync();

        var id = await env.Client.ScheduleNewWorkflowAsync(nameof(CompensationWorkflow), "order-7", "order-7");
        var state = await env.CompletionAsync(id);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("compensated: System.InvalidOperationException: card declined for order-7", state.ReadOutputAs<string>());
        Assert.Equal(1, env.Probe.Count("reserve:order-7"));
        Assert.Equal(1, env.Probe.Count("release:order-7"));
    }

    [Fact]
    public async Task Retry_policy_reruns_a_failing_activity_until_it_succeeds()
    {
        await using var env = await TestEnv.StartAsync();

        var id = await env.Client.ScheduleNewWorkflowAsync(nameof(RetryWorkflow), "retry-1", "r1");
        var state = await env.CompletionAsync(id);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal(3, state.ReadOutputAs<int>());
        var history = await env.Runtime.Inspector.GetHistoryAsync(id, Ct);
        Assert.NotNull(history);
        Assert.Equal(2, history.Count(e => e.TaskFailed is not null));
        Assert.All(history.Where(e => e.TaskFailed is not null), e => Assert.Equal("System.TimeoutException", e.TaskFailed.FailureDetails.ErrorType));

        // Each attempt is a new scheduled task with its own execution id (the activity's idempotency key).
        var executionIds = history.Where(e => e.TaskScheduled is not null).Select(e => e.TaskScheduled.TaskExecutionId).ToList();
        Assert.Equal(3, executionIds.Distinct().Count());
    }

    [Fact]
    public async Task Durable_timer_fires_and_the_workflow_resumes_after_its_fire_time()
    {
        await using var env = await TestEnv.StartAsync();

        var id = await env.Client.ScheduleNewWorkflowAsync(nameof(TimerWorkflow), "timer-1", 300);
        var state = await env.CompletionAsync(id);

        Assert.Equal("timer-after-fire-time", state.ReadOutputAs<string>());
        var history = await env.Runtime.Inspector.GetHistoryAsync(id, Ct);
        Assert.NotNull(history);
        var created = Assert.Single(history, e => e.TimerCreated is not null);
        var fired = Assert.Single(history, e => e.TimerFired is not null);
        Assert.Equal(created.EventId, fired.TimerFired.TimerId);
    }

    [Fact]
    public async Task Hour_long_timer_fires_when_the_runtime_clock_reaches_it()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var env = await TestEnv.StartAsync(time: clock);

        var id = await env.Client.ScheduleNewWorkflowAsync(nameof(TimerWorkflow), "timer-hour", (int)TimeSpan.FromHours(1).TotalMilliseconds);
        await WaitForHistoryAsync(env, id, h => h.Any(e => e.TimerCreated is not null));
        clock.Advance(TimeSpan.FromMinutes(59));
        var early = await env.Client.GetWorkflowStateAsync(id, cancellation: Ct);
        clock.Advance(TimeSpan.FromMinutes(1));
        var state = await env.CompletionAsync(id);

        Assert.Equal(WorkflowRuntimeStatus.Running, early.RuntimeStatus);
        Assert.Equal("timer-after-fire-time", state.ReadOutputAs<string>());
        Assert.True(state.LastUpdatedAt > clock.Start.AddMinutes(59), "The workflow finished before the clock reached its timer.");
    }

    [Fact]
    public async Task External_event_raised_after_the_workflow_waits_is_delivered()
    {
        await using var env = await TestEnv.StartAsync();

        var id = await env.Client.ScheduleNewWorkflowAsync(nameof(ApprovalWorkflow), "approval-after", new ApprovalInput(null, 60_000));
        await WaitForHistoryAsync(env, id, h => h.Any(e => e.TimerCreated is not null));
        await env.Client.RaiseEventAsync(id, "approval", "alice", Ct);
        var state = await env.CompletionAsync(id);

        Assert.Equal("approved: alice", state.ReadOutputAs<string>());
    }

    [Fact]
    public async Task External_event_raised_before_the_workflow_waits_is_buffered()
    {
        await using var env = await TestEnv.StartAsync();

        var id = await env.Client.ScheduleNewWorkflowAsync(nameof(ApprovalWorkflow), "approval-before", new ApprovalInput("approval-before", 60_000));
        await env.Probe.WhenSignalled("started:approval-before");
        await env.Client.RaiseEventAsync(id, "approval", "bob", Ct);
        await WaitForHistoryAsync(env, id, h => h.Any(e => e.EventRaised is not null));
        env.Probe.Open("approval-before");
        var state = await env.CompletionAsync(id);

        Assert.Equal("approved: bob", state.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Wait_for_external_event_times_out_when_nothing_arrives()
    {
        await using var env = await TestEnv.StartAsync();

        var id = await env.Client.ScheduleNewWorkflowAsync(nameof(ApprovalWorkflow), "approval-timeout", new ApprovalInput(null, 200));
        var state = await env.CompletionAsync(id);

        Assert.Equal("timed out", state.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Child_workflow_result_returns_to_the_parent()
    {
        await using var env = await TestEnv.StartAsync();

        var id = await env.Client.ScheduleNewWorkflowAsync(nameof(ParentWorkflow), "parent-1", "p");
        var state = await env.CompletionAsync(id);

        Assert.Equal("p-child+parent", state.ReadOutputAs<string>());
        var children = await env.Runtime.Inspector.ListInstancesAsync(new WorkflowInstanceQuery(), Ct);
        var child = Assert.Single(children, c => c.ParentInstanceId == id);
        Assert.Equal(nameof(ChildWorkflow), child.Name);
        Assert.Equal(WorkflowRuntimeStatus.Completed, child.Status);
    }

    [Fact]
    public async Task Continue_as_new_restarts_with_new_input_and_keeps_custom_status()
    {
        await using var env = await TestEnv.StartAsync();

        var id = await env.Client.ScheduleNewWorkflowAsync(nameof(CounterWorkflow), "counter-1", 0);
        var state = await env.CompletionAsync(id);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal(3, state.ReadOutputAs<int>());
        Assert.Equal("gen-3", state.ReadCustomStatusAs<string>());
        Assert.Equal(4, env.Probe.Count("append"));

        // Only the last generation's history is kept.
        var history = await env.Runtime.Inspector.GetHistoryAsync(id, Ct);
        Assert.NotNull(history);
        Assert.Single(history, e => e.TaskScheduled is not null);
        Assert.Equal("3", Assert.Single(history, e => e.ExecutionStarted is not null).ExecutionStarted.Input);
    }

    [Fact]
    public async Task Suspended_workflow_holds_its_events_until_resumed()
    {
        await using var env = await TestEnv.StartAsync();

        var id = await env.Client.ScheduleNewWorkflowAsync(nameof(WaitForeverWorkflow), "suspend-1", "s");
        await env.Client.WaitForWorkflowStartAsync(id, cancellation: Ct);
        await env.Client.SuspendWorkflowAsync(id, "maintenance", Ct);
        await env.Client.RaiseEventAsync(id, "go", "later", Ct);

        var suspended = await env.Client.GetWorkflowStateAsync(id, cancellation: Ct);
        Assert.Equal(WorkflowRuntimeStatus.Suspended, suspended.RuntimeStatus);
        var history = await env.Runtime.Inspector.GetHistoryAsync(id, Ct);
        Assert.DoesNotContain(history!, e => e.EventRaised is not null);

        await env.Client.ResumeWorkflowAsync(id, "done", Ct);
        var state = await env.CompletionAsync(id);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("s-later", state.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Terminate_ends_the_workflow_and_its_running_child()
    {
        await using var env = await TestEnv.StartAsync();

        var id = await env.Client.ScheduleNewWorkflowAsync(nameof(ParentOfWaitingChildWorkflow), "terminate-1", "t");
        await WaitForStatusAsync(env, id + "-child", WorkflowRuntimeStatus.Running);
        await env.Client.TerminateWorkflowAsync(id, "operator said stop", Ct);
        var state = await env.CompletionAsync(id);

        Assert.Equal(WorkflowRuntimeStatus.Terminated, state.RuntimeStatus);
        Assert.Equal("operator said stop", state.ReadOutputAs<string>());
        var child = await env.Client.GetWorkflowStateAsync(id + "-child", cancellation: Ct);
        Assert.Equal(WorkflowRuntimeStatus.Terminated, child.RuntimeStatus);
    }

    [Fact]
    public async Task Purge_deletes_an_ended_instance_but_refuses_a_running_one()
    {
        await using var env = await TestEnv.StartAsync();

        var done = await env.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), "purge-done", "x");
        await env.CompletionAsync(done);
        var running = await env.Client.ScheduleNewWorkflowAsync(nameof(WaitForeverWorkflow), "purge-running", "y");
        await env.Client.WaitForWorkflowStartAsync(running, cancellation: Ct);

        Assert.True(await env.Client.PurgeInstanceAsync(done, Ct));
        var purged = await env.Client.GetWorkflowStateAsync(done, cancellation: Ct);
        Assert.False(purged.Exists);
        var refusal = await Assert.ThrowsAsync<RpcException>(() => env.Client.PurgeInstanceAsync(running, Ct));
        Assert.Equal(StatusCode.FailedPrecondition, refusal.StatusCode);
        var page = await env.Client.ListInstanceIdsAsync(cancellation: Ct);
        Assert.Equal(["purge-running"], page.InstanceIds);
    }

    [Fact]
    public async Task Starting_an_existing_instance_id_fails_with_AlreadyExists()
    {
        await using var env = await TestEnv.StartAsync();

        await env.Client.ScheduleNewWorkflowAsync(nameof(WaitForeverWorkflow), "store-1-order-42", "first");
        var duplicate = await Assert.ThrowsAsync<RpcException>(() => env.Client.ScheduleNewWorkflowAsync(nameof(WaitForeverWorkflow), "store-1-order-42", "second"));

        Assert.Equal(StatusCode.AlreadyExists, duplicate.StatusCode);
        var state = await env.Client.GetWorkflowStateAsync("store-1-order-42", cancellation: Ct);
        Assert.Equal("first", state.ReadInputAs<string>());
    }

    [Fact]
    public async Task Scheduled_start_keeps_the_instance_pending_until_its_start_time()
    {
        await using var env = await TestEnv.StartAsync();

        var startAt = DateTimeOffset.UtcNow.AddMilliseconds(600);
        var id = await env.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), "scheduled-1", "later", startAt, Ct);
        var pending = await env.Client.GetWorkflowStateAsync(id, cancellation: Ct);
        var state = await env.CompletionAsync(id);

        Assert.Equal(WorkflowRuntimeStatus.Pending, pending.RuntimeStatus);
        Assert.Equal("later-a-b-c", state.ReadOutputAs<string>());
        var history = await env.Runtime.Inspector.GetHistoryAsync(id, Ct);
        var firstTurn = history!.First(e => e.WorkflowStarted is not null);
        Assert.True(firstTurn.Timestamp.ToDateTimeOffset() >= startAt.AddMilliseconds(-1), "The workflow ran before its scheduled start.");
    }

    [Fact]
    public async Task Unhandled_activity_failure_fails_the_workflow_with_its_details()
    {
        await using var env = await TestEnv.StartAsync();

        var id = await env.Client.ScheduleNewWorkflowAsync(nameof(UnhandledFailureWorkflow), "unhandled-1", "order-9");
        var state = await env.CompletionAsync(id);

        Assert.Equal(WorkflowRuntimeStatus.Failed, state.RuntimeStatus);
        Assert.NotNull(state.FailureDetails);
        Assert.Contains("card declined for order-9", state.FailureDetails.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Child_workflow_retry_policy_reruns_a_failed_child_under_the_same_id()
    {
        await using var env = await TestEnv.StartAsync();

        // FlakyActivity fails on calls 1 and 2, so child attempt 1 and 2 fail and attempt 3 succeeds.
        var id = await env.Client.ScheduleNewWorkflowAsync(nameof(RetriedChildParentWorkflow), "child-retry", "child-retry");
        var state = await env.CompletionAsync(id);

        Assert.Equal("child ok on call 3", state.ReadOutputAs<string>());
        var child = await env.Client.GetWorkflowStateAsync("child-retry-child", cancellation: Ct);
        Assert.Equal(WorkflowRuntimeStatus.Completed, child.RuntimeStatus);
    }

    [Fact]
    public async Task Event_sent_by_one_workflow_reaches_another()
    {
        await using var env = await TestEnv.StartAsync();

        var receiver = await env.Client.ScheduleNewWorkflowAsync(nameof(WaitForeverWorkflow), "receiver-1", "r");
        await env.Client.WaitForWorkflowStartAsync(receiver, cancellation: Ct);
        var sender = await env.Client.ScheduleNewWorkflowAsync(nameof(SenderWorkflow), "sender-1", receiver);

        Assert.Equal("sent", (await env.CompletionAsync(sender)).ReadOutputAs<string>());
        Assert.Equal("r-from-sender", (await env.CompletionAsync(receiver)).ReadOutputAs<string>());
    }

    [Fact]
    public async Task Instances_are_listed_by_status_and_age()
    {
        await using var env = await TestEnv.StartAsync();

        var done = await env.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), "list-done", "x");
        await env.CompletionAsync(done);
        var waiting = await env.Client.ScheduleNewWorkflowAsync(nameof(WaitForeverWorkflow), "list-waiting", "y");
        await env.Client.WaitForWorkflowStartAsync(waiting, cancellation: Ct);

        var running = await env.Runtime.Inspector.ListInstancesAsync(new WorkflowInstanceQuery([WorkflowRuntimeStatus.Running]), Ct);
        var completed = await env.Runtime.Inspector.ListInstancesAsync(new WorkflowInstanceQuery([WorkflowRuntimeStatus.Completed]), Ct);
        var olderThanFuture = await env.Runtime.Inspector.ListInstancesAsync(new WorkflowInstanceQuery(CreatedTo: DateTimeOffset.UtcNow.AddMinutes(1)), Ct);
        var newerThanFuture = await env.Runtime.Inspector.ListInstancesAsync(new WorkflowInstanceQuery(CreatedFrom: DateTimeOffset.UtcNow.AddMinutes(1)), Ct);

        var firstPage = await env.Client.ListInstanceIdsAsync(pageSize: 1, cancellation: Ct);
        var secondPage = await env.Client.ListInstanceIdsAsync(firstPage.ContinuationToken, pageSize: 1, cancellation: Ct);
        Assert.Equal(["list-done"], firstPage.InstanceIds);
        Assert.Equal(["list-waiting"], secondPage.InstanceIds);
        Assert.Null(secondPage.ContinuationToken);
        Assert.Equal(["list-waiting"], running.Select(i => i.InstanceId));
        Assert.Equal(["list-done"], completed.Select(i => i.InstanceId));
        Assert.Equal(2, olderThanFuture.Count);
        Assert.Empty(newerThanFuture);
    }

    internal static async Task WaitForHistoryAsync(TestEnv env, string instanceId, Func<IReadOnlyList<HistoryEvent>, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var history = await env.Runtime.Inspector.GetHistoryAsync(instanceId, Ct);
            if (history is not null && condition(history))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"History of '{instanceId}' never met the condition.");
            await Task.Delay(20, Ct);
        }
    }

    internal static async Task WaitForStatusAsync(TestEnv env, string instanceId, WorkflowRuntimeStatus status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var state = await env.Client.GetWorkflowStateAsync(instanceId, getInputsAndOutputs: false, Ct);
            if (state.Exists && state.RuntimeStatus == status)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"'{instanceId}' never reached {status}.");
            await Task.Delay(20, Ct);
        }
    }
}
