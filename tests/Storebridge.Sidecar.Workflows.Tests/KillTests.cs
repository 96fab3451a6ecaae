using Dapr.Workflow;
using Dapr.Workflow.Client;

namespace Storebridge.Sidecar.Workflows.Tests;

/// <summary>The runtime runs as its own process and is killed without warning (SIGKILL) mid-workflow.</summary>
public sealed class KillTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Killed_runtime_process_resumes_every_instance_from_its_last_committed_step()
    {
        var directory = Path.Combine(Path.GetTempPath(), "sb-wf-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var databasePath = Path.Combine(directory, "workflows.db");
        var probe = new Probe();
        RuntimeProcess? restarted = null;
        var runtime = await RuntimeProcess.StartAsync(databasePath);
        try
        {
            await using var app = await WorkerApp.StartAsync(runtime.Port, probe);
            var finished = await app.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), "kill-finished", "done");
            await app.Client.WaitForWorkflowCompletionAsync(finished, cancellation: Ct);
            var blocked = Enumerable.Range(0, 5).Select(i => $"kill-activity-{i}").ToList();
            var timers = Enumerable.Range(0, 5).Select(i => $"kill-timer-{i}").ToList();
            foreach (var id in blocked)
            {
                await app.Client.ScheduleNewWorkflowAsync(nameof(BlockingStepWorkflow), id, id);
            }

            foreach (var id in timers)
            {
                await app.Client.ScheduleNewWorkflowAsync(nameof(TimerWorkflow), id, 1_500);
            }

            foreach (var id in blocked)
            {
                await probe.WhenSignalled($"started:{id}");
            }

            foreach (var id in timers)
            {
                await WaitForEventAsync(app, id, WorkflowHistoryEventType.TimerCreated);
            }

            runtime.Kill();
            foreach (var id in blocked)
            {
                probe.Open(id);
                await probe.WhenSignalled($"returned:{id}");
            }

            restarted = await RuntimeProcess.StartAsync(databasePath, runtime.Port);

            foreach (var id in blocked)
            {
                var state = await WaitAsync(app, id);
                Assert.Equal("blocker-result-2-done", state.ReadOutputAs<string>());
                await AssertEveryTaskCompletedOnceAsync(app, id);
            }

            foreach (var id in timers)
            {
                var state = await WaitAsync(app, id);
                Assert.Equal("timer-after-fire-time", state.ReadOutputAs<string>());
                await AssertEveryTaskCompletedOnceAsync(app, id);
            }

            var before = await app.Client.GetWorkflowStateAsync(finished, cancellation: Ct);
            Assert.Equal("done-a-b-c", before.ReadOutputAs<string>());
            Assert.Equal(3 + 5 + 5, probe.Count("append"));
        }
        finally
        {
            runtime.Dispose();
            restarted?.Dispose();
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<WorkflowState> WaitAsync(WorkerApp app, string id)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var state = await app.Client.WaitForWorkflowCompletionAsync(id, cancellation: timeout.Token);
        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        return state;
    }

    private static async Task AssertEveryTaskCompletedOnceAsync(WorkerApp app, string id)
    {
        var history = await app.Client.GetInstanceHistoryAsync(id, Ct);
        Assert.Equal(history.Count(e => e.EventType == WorkflowHistoryEventType.TaskScheduled), history.Count(e => e.EventType == WorkflowHistoryEventType.TaskCompleted));
    }

    private static async Task WaitForEventAsync(WorkerApp app, string id, WorkflowHistoryEventType type)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await app.Client.GetInstanceHistoryAsync(id, Ct)).Any(e => e.EventType == type))
        {
            Assert.True(DateTime.UtcNow < deadline, $"'{id}' never recorded {type}.");
            await Task.Delay(20, Ct);
        }
    }
}
