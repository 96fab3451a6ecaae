using Dapr.Workflow;

namespace Workflow.Bench;

/// <summary>Five activities, each waiting for the previous one.</summary>
internal sealed class Chain5Workflow : Workflow<int, int>
{
    public override async Task<int> RunAsync(WorkflowContext context, int input)
    {
        var value = input;
        for (var i = 0; i < 5; i++)
        {
            value = await context.CallActivityAsync<int>(nameof(IncrementActivity), value);
        }

        return value;
    }
}

/// <summary>Five activities in parallel, then the sum.</summary>
internal sealed class FanOut5Workflow : Workflow<int, int>
{
    public override async Task<int> RunAsync(WorkflowContext context, int input)
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => context.CallActivityAsync<int>(nameof(IncrementActivity), input + i)));
        return results.Sum();
    }
}

/// <summary>A trivial activity, so the figures measure the runtime and not the work.</summary>
internal sealed class IncrementActivity : WorkflowActivity<int, int>
{
    public override Task<int> RunAsync(WorkflowActivityContext context, int input) => Task.FromResult(input + 1);
}
