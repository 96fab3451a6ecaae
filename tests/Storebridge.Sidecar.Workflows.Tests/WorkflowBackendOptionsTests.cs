using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Storebridge.Sidecar.Workflows.Tests;

public sealed class WorkflowBackendOptionsTests
{
    [Fact]
    public void Missing_database_path_is_rejected_with_a_clear_error()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddWorkflowBackend(o => o.AppId = "orders"));

        Assert.Contains(nameof(WorkflowBackendOptions.DatabasePath), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_app_id_is_rejected_with_a_clear_error()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddWorkflowBackend(o => o.DatabasePath = "wf.db"));

        Assert.Contains(nameof(WorkflowBackendOptions.AppId), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Raising_an_event_for_an_unknown_instance_is_NotFound()
    {
        await using var env = await TestEnv.StartAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => env.Client.RaiseEventAsync("no-such-instance", "approval", "x", TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }
}
