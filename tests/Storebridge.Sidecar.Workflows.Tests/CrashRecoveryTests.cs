using Dapr.Workflow;

namespace Storebridge.Sidecar.Workflows.Tests;

/// <summary>
/// The runtime or the app goes away mid-workflow; everything committed must carry on and no activity result may be
/// applied twice. Restarting the runtime costs about five seconds: the SDK worker waits that long before reconnecting.
/// </summary>
public sealed class CrashRecoveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Runtime_restart_mid_activity_redispatches_it_and_applies_one_result()
    {
        await using var env = await TestEnv.StartAsync();

        var id = await env.Client.ScheduleNewWorkflowAsync(nameof(BlockingStepWorkflow), "crash-runtime-activity", "rt-act");
        await env.Probe.WhenSignalled("started:rt-act");

        // The first execution finishes while the runtime is down: its result has nowhere to go.
        await env.RestartRuntimeAsync(async () =>
        {
            env.Probe.Open("rt-act");
            await env.Probe.WhenSignalled("returned:rt-act");
        });
        var state = await env.CompletionAsync(id);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("blocker-result-2-done", state.ReadOutputAs<string>());
        Assert.Equal(2, env.Probe.Count("blocker:rt-act"));
        await AssertOneCompletionPerTaskAsync(env, id);
    }

    [Fact]
    public async Task Runtime_restart_while_a_timer_is_pending_still_fires_the_timer()
    {
        await using var env = await TestEnv.StartAsync();

        var id = await env.Client.ScheduleNewWorkflowAsync(nameof(TimerWorkflow), "crash-runtime-timer", 1_000);
        await WorkflowConformanceTests.WaitForHistoryAsync(env, id, h => h.Any(e => e.TimerCreated is not null));
        await env.RestartRuntimeAsync();
        var state = await env.CompletionAsync(id);

        Assert.Equal("timer-after-fire-time", state.ReadOutputAs<string>());
        var history = await env.Runtime.Inspector.GetHistoryAsync(id, Ct);
        Assert.Single(history!, e => e.TimerFired is not null);
    }

    [Fact]
    public async Task App_restart_mid_activity_redispatches_it_to_the_new_worker()
    {
        await using var env = await TestEnv.StartAsync();

        var id = await env.Client.ScheduleNewWorkflowAsync(nameof(BlockingStepWorkflow), "crash-app-activity", "app-act");
        await env.Probe.WhenSignalled("started:app-act");
        await env.RestartAppAsync();
        var state = await env.CompletionAsync(id);

        // The abandoned first execution reports only after the second one was applied; it must be ignored.
        env.Probe.Open("app-act");
        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("blocker-result-2-done", state.ReadOutputAs<string>());
        await AssertOneCompletionPerTaskAsync(env, id);
    }

    [Fact]
    public async Task App_restart_while_a_timer_is_pending_continues_after_the_timer()
    {
        await using var env = await TestEnv.StartAsync();

        var id = await env.Client.ScheduleNewWorkflowAsync(nameof(TimerWorkflow), "crash-app-timer", 500);
        await WorkflowConformanceTests.WaitForHistoryAsync(env, id, h => h.Any(e => e.TimerCreated is not null));
        await env.RestartAppAsync(() => Task.Delay(700, Ct));
        var state = await env.CompletionAsync(id);

        Assert.Equal("timer-after-fire-time", state.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Expired_activity_lease_redispatches_and_the_late_result_is_ignored()
    {
        await using var env = await TestEnv.StartAsync(activityLease: TimeSpan.FromMilliseconds(400));

        var id = await env.Client.ScheduleNewWorkflowAsync(nameof(BlockingStepWorkflow), "lease-expiry", "lease");
        await env.Probe.WhenSignalled("started:lease");
        var state = await env.CompletionAsync(id);
        env.Probe.Open("lease");
        await env.Probe.WhenSignalled("returned:lease");

        // Give the late result time to reach the runtime, so the history check below would see it if it were applied.
        await Task.Delay(300, Ct);

        Assert.Equal("blocker-result-2-done", state.ReadOutputAs<string>());
        await AssertOneCompletionPerTaskAsync(env, id);
    }

    [Fact]
    public async Task Two_runtimes_share_one_file_without_seeing_each_others_instances()
    {
        await using var env = await TestEnv.StartAsync();
        await using var other = await RuntimeHost.StartAsync(env.DatabasePath, appId: "returns");
        var otherProbe = new Probe();
        await using var otherApp = await WorkerApp.StartAsync(other.Port, otherProbe);

        var mine = await env.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), "same-id", "orders");
        var theirs = await otherApp.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), "same-id", "returns");
        var mineState = await env.CompletionAsync(mine);
        var theirState = await otherApp.Client.WaitForWorkflowCompletionAsync(theirs, cancellation: Ct);

        Assert.Equal("orders-a-b-c", mineState.ReadOutputAs<string>());
        Assert.Equal("returns-a-b-c", theirState.ReadOutputAs<string>());
        Assert.Equal(3, otherProbe.Count("append"));
        Assert.Single(await env.Runtime.Inspector.ListInstancesAsync(new WorkflowInstanceQuery(), Ct));
    }

    private static async Task AssertOneCompletionPerTaskAsync(TestEnv env, string instanceId)
    {
        var history = await env.Runtime.Inspector.GetHistoryAsync(instanceId, Ct);
        Assert.NotNull(history);
        var completions = history.Where(e => e.TaskCompleted is not null).Select(e => e.TaskCompleted.TaskScheduledId).ToList();
        Assert.Equal(completions.Distinct().Count(), completions.Count);
        Assert.Equal(history.Count(e => e.TaskScheduled is not null), completions.Count);
    }
}
