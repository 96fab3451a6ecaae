using Dapr.Workflow;

namespace Storebridge.Sidecar.Workflows.Tests;

internal static class TestWorkflows
{
    public static void Register(WorkflowRuntimeOptions options)
    {
        options.RegisterWorkflow<ChainWorkflow>();
        options.RegisterWorkflow<FanOutWorkflow>();
        options.RegisterWorkflow<CompensationWorkflow>();
        options.RegisterWorkflow<RetryWorkflow>();
        options.RegisterWorkflow<TimerWorkflow>();
        options.RegisterWorkflow<ApprovalWorkflow>();
        options.RegisterWorkflow<ParentWorkflow>();
        options.RegisterWorkflow<ChildWorkflow>();
        options.RegisterWorkflow<CounterWorkflow>();
        options.RegisterWorkflow<WaitForeverWorkflow>();
        options.RegisterWorkflow<ParentOfWaitingChildWorkflow>();
        options.RegisterWorkflow<BlockingStepWorkflow>();
        options.RegisterWorkflow<UnhandledFailureWorkflow>();
        options.RegisterWorkflow<RetriedChildParentWorkflow>();
        options.RegisterWorkflow<FlakyChildWorkflow>();
        options.RegisterWorkflow<SenderWorkflow>();
        options.RegisterWorkflow<SlowFanOutWorkflow>();
        options.RegisterActivity<AppendActivity>();
        options.RegisterActivity<SquareActivity>();
        options.RegisterActivity<ReserveActivity>();
        options.RegisterActivity<ChargeActivity>();
        options.RegisterActivity<ReleaseActivity>();
        options.RegisterActivity<FlakyActivity>();
        options.RegisterActivity<BlockerActivity>();
        options.RegisterActivity<SlowActivity>();
    }
}

internal sealed record AppendInput(string Text, string Suffix);

internal sealed record ApprovalInput(string? GateKey, int TimeoutMs);

/// <summary>Three chained activities.</summary>
internal sealed class ChainWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        var text = await context.CallActivityAsync<string>(nameof(AppendActivity), new AppendInput(input, "a"));
        text = await context.CallActivityAsync<string>(nameof(AppendActivity), new AppendInput(text, "b"));
        return await context.CallActivityAsync<string>(nameof(AppendActivity), new AppendInput(text, "c"));
    }
}

/// <summary>Squares 1..n in parallel and sums the results.</summary>
internal sealed class FanOutWorkflow : Workflow<int, long>
{
    public override async Task<long> RunAsync(WorkflowContext context, int input)
    {
        var tasks = Enumerable.Range(1, input).Select(i => context.CallActivityAsync<long>(nameof(SquareActivity), i)).ToList();
        var results = await Task.WhenAll(tasks);
        return results.Sum();
    }
}

/// <summary>Like <see cref="FanOutWorkflow"/>, with activities that take a while, so concurrency can be observed.</summary>
internal sealed class SlowFanOutWorkflow : Workflow<int, int>
{
    public override async Task<int> RunAsync(WorkflowContext context, int input)
    {
        var results = await Task.WhenAll(Enumerable.Range(1, input).Select(i => context.CallActivityAsync<int>(nameof(SlowActivity), i)));
        return results.Length;
    }
}

internal sealed class SlowActivity(Probe probe) : WorkflowActivity<int, int>
{
    public override async Task<int> RunAsync(WorkflowActivityContext context, int input)
    {
        probe.Enter("slow");
        try
        {
            await Task.Delay(30);
            return input;
        }
        finally
        {
            probe.Leave("slow");
        }
    }
}

/// <summary>Reserve, charge (which fails), then compensate by releasing.</summary>
internal sealed class CompensationWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        await context.CallActivityAsync<bool>(nameof(ReserveActivity), input);
        try
        {
            await context.CallActivityAsync<bool>(nameof(ChargeActivity), input);
            return "charged";
        }
        catch (WorkflowTaskFailedException ex)
        {
            await context.CallActivityAsync<bool>(nameof(ReleaseActivity), input);
            return $"compensated: {ex.FailureDetails.ErrorType}: {ex.FailureDetails.ErrorMessage}";
        }
    }
}

/// <summary>Calls an activity that fails twice, under an SDK retry policy.</summary>
internal sealed class RetryWorkflow : Workflow<string, int>
{
    // Changing a retry policy affects running instances on replay.
    private static readonly WorkflowTaskOptions Retry = new(new WorkflowRetryPolicy(4, TimeSpan.FromMilliseconds(50)));

    public override Task<int> RunAsync(WorkflowContext context, string input) =>
        context.CallActivityAsync<int>(nameof(FlakyActivity), input, Retry);
}

/// <summary>Waits on a durable timer, then runs one activity.</summary>
internal sealed class TimerWorkflow : Workflow<int, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, int input)
    {
        var before = context.CurrentUtcDateTime;
        await context.CreateTimer(TimeSpan.FromMilliseconds(input));
        var waited = context.CurrentUtcDateTime - before;
        return await context.CallActivityAsync<string>(nameof(AppendActivity), new AppendInput("timer", waited >= TimeSpan.FromMilliseconds(input) ? "after-fire-time" : "too-early"));
    }
}

/// <summary>Optionally runs a blocking step first, then waits for "approval" with a timeout.</summary>
internal sealed class ApprovalWorkflow : Workflow<ApprovalInput, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, ApprovalInput input)
    {
        if (input.GateKey is not null)
        {
            await context.CallActivityAsync<int>(nameof(BlockerActivity), input.GateKey);
        }

        try
        {
            var value = await context.WaitForExternalEventAsync<string>("approval", TimeSpan.FromMilliseconds(input.TimeoutMs));
            return $"approved: {value}";
        }
        catch (TaskCanceledException)
        {
            return "timed out";
        }
    }
}

internal sealed class ParentWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        var child = await context.CallChildWorkflowAsync<string>(nameof(ChildWorkflow), input);
        return child + "+parent";
    }
}

internal sealed class ChildWorkflow : Workflow<string, string>
{
    public override Task<string> RunAsync(WorkflowContext context, string input) =>
        context.CallActivityAsync<string>(nameof(AppendActivity), new AppendInput(input, "child"));
}

/// <summary>Continues as new until the counter reaches 3, running one activity per generation.</summary>
internal sealed class CounterWorkflow : Workflow<int, int>
{
    public override async Task<int> RunAsync(WorkflowContext context, int input)
    {
        var step = await context.CallActivityAsync<string>(nameof(AppendActivity), new AppendInput("gen", input.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        context.SetCustomStatus(step);
        if (input < 3)
        {
            context.ContinueAsNew(input + 1);
            return 0;
        }

        return input;
    }
}

/// <summary>Waits for "go", then runs one activity.</summary>
internal sealed class WaitForeverWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        var value = await context.WaitForExternalEventAsync<string>("go");
        return await context.CallActivityAsync<string>(nameof(AppendActivity), new AppendInput(input, value));
    }
}

internal sealed class ParentOfWaitingChildWorkflow : Workflow<string, string>
{
    public override Task<string> RunAsync(WorkflowContext context, string input) =>
        context.CallChildWorkflowAsync<string>(nameof(WaitForeverWorkflow), input, new ChildWorkflowTaskOptions(InstanceId: context.InstanceId + "-child"));
}

/// <summary>One blocking activity, then a timer, then a plain activity: used for crash-restart tests.</summary>
internal sealed class BlockingStepWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        var call = await context.CallActivityAsync<int>(nameof(BlockerActivity), input);
        await context.CreateTimer(TimeSpan.FromMilliseconds(300));
        return await context.CallActivityAsync<string>(nameof(AppendActivity), new AppendInput($"blocker-result-{call}", "done"));
    }
}

/// <summary>Lets an activity failure escape, so the workflow itself fails.</summary>
internal sealed class UnhandledFailureWorkflow : Workflow<string, bool>
{
    public override Task<bool> RunAsync(WorkflowContext context, string input) =>
        context.CallActivityAsync<bool>(nameof(ChargeActivity), input);
}

/// <summary>Calls a child that fails on its first attempt, with a fixed child id and a retry policy.</summary>
internal sealed class RetriedChildParentWorkflow : Workflow<string, string>
{
    private static readonly WorkflowRetryPolicy Retry = new(3, TimeSpan.FromMilliseconds(50));

    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        try
        {
            return await context.CallChildWorkflowAsync<string>(nameof(FlakyChildWorkflow), input,
                new ChildWorkflowTaskOptions(InstanceId: context.InstanceId + "-child", RetryPolicy: Retry));
        }
        catch (WorkflowTaskFailedException ex)
        {
            return $"child failed: {ex.FailureDetails.ErrorMessage}";
        }
    }
}

/// <summary>Fails the first time it runs for a given input, succeeds afterwards.</summary>
internal sealed class FlakyChildWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        var attempt = await context.CallActivityAsync<int>(nameof(FlakyActivity), input);
        return $"child ok on call {attempt}";
    }
}

/// <summary>Sends "go" to another instance.</summary>
internal sealed class SenderWorkflow : Workflow<string, string>
{
    public override Task<string> RunAsync(WorkflowContext context, string input)
    {
        context.SendEvent(input, "go", "from-sender");
        return Task.FromResult("sent");
    }
}

internal sealed class AppendActivity(Probe probe) : WorkflowActivity<AppendInput, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, AppendInput input)
    {
        probe.Increment("append");
        return Task.FromResult($"{input.Text}-{input.Suffix}");
    }
}

internal sealed class SquareActivity(Probe probe) : WorkflowActivity<int, long>
{
    public override Task<long> RunAsync(WorkflowActivityContext context, int input)
    {
        probe.Increment("square");
        return Task.FromResult((long)input * input);
    }
}

internal sealed class ReserveActivity(Probe probe) : WorkflowActivity<string, bool>
{
    public override Task<bool> RunAsync(WorkflowActivityContext context, string input)
    {
        probe.Increment($"reserve:{input}");
        return Task.FromResult(true);
    }
}

internal sealed class ChargeActivity : WorkflowActivity<string, bool>
{
    public override Task<bool> RunAsync(WorkflowActivityContext context, string input) =>
        throw new InvalidOperationException($"card declined for {input}");
}

internal sealed class ReleaseActivity(Probe probe) : WorkflowActivity<string, bool>
{
    public override Task<bool> RunAsync(WorkflowActivityContext context, string input)
    {
        probe.Increment($"release:{input}");
        return Task.FromResult(true);
    }
}

internal sealed class FlakyActivity(Probe probe) : WorkflowActivity<string, int>
{
    public override Task<int> RunAsync(WorkflowActivityContext context, string input)
    {
        var attempt = probe.Increment($"flaky:{input}");
        return attempt < 3 ? throw new TimeoutException($"attempt {attempt} failed") : Task.FromResult(attempt);
    }
}

/// <summary>The first call signals "started:{key}" and waits at gate "{key}"; later calls return at once. Returns the call number.</summary>
internal sealed class BlockerActivity(Probe probe) : WorkflowActivity<string, int>
{
    public override async Task<int> RunAsync(WorkflowActivityContext context, string input)
    {
        var call = probe.Increment($"blocker:{input}");
        if (call == 1)
        {
            probe.Signal($"started:{input}");
            await probe.WaitAtGateAsync(input);
            probe.Signal($"returned:{input}");
        }

        return call;
    }
}
