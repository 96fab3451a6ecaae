using Dapr.Workflow;

namespace Storebridge.Sidecar.Workflows.Tests;

/// <summary>A runtime and an app for one test, on a fresh SQLite file.</summary>
internal sealed class TestEnv : IAsyncDisposable
{
    private readonly string _directory;
    private readonly TimeSpan? _activityLease;

    private TestEnv(string directory, TimeSpan? activityLease, RuntimeHost runtime, WorkerApp app)
    {
        _directory = directory;
        _activityLease = activityLease;
        Runtime = runtime;
        App = app;
    }

    public Probe Probe { get; } = new();

    public RuntimeHost Runtime { get; private set; }

    public WorkerApp App { get; private set; }

    public DaprWorkflowClient Client => App.Client;

    public string DatabasePath => Path.Combine(_directory, "workflows.db");

    public static async Task<TestEnv> StartAsync(TimeSpan? activityLease = null, TimeProvider? time = null, Action<WorkflowBackendOptions>? configure = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "sb-wf-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var runtime = await RuntimeHost.StartAsync(Path.Combine(directory, "workflows.db"), activityLease: activityLease, time: time, configure: configure);
        var env = new TestEnv(directory, activityLease, runtime, null!);
        env.App = await WorkerApp.StartAsync(runtime.Port, env.Probe);
        return env;
    }

    /// <summary>Stops the runtime (its in-memory state is gone) and starts a new one on the same file and port.</summary>
    public async Task RestartRuntimeAsync(Func<Task>? whileDown = null)
    {
        var port = Runtime.Port;
        await Runtime.DisposeAsync();
        if (whileDown is not null)
        {
            await whileDown();
        }

        Runtime = await RuntimeHost.StartAsync(DatabasePath, port, activityLease: _activityLease);
    }

    /// <summary>Stops the app (worker and client) and starts a new one against the same runtime.</summary>
    public async Task RestartAppAsync(Func<Task>? whileDown = null)
    {
        await App.DisposeAsync();
        if (whileDown is not null)
        {
            await whileDown();
        }

        App = await WorkerApp.StartAsync(Runtime.Port, Probe);
    }

    public async Task<WorkflowState> CompletionAsync(string instanceId)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        return await Client.WaitForWorkflowCompletionAsync(instanceId, cancellation: timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await Runtime.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
