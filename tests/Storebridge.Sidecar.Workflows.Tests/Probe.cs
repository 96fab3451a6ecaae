using System.Collections.Concurrent;

namespace Storebridge.Sidecar.Workflows.Tests;

/// <summary>Shared between a test and the activities it runs (it survives an app restart): counts calls, holds gates.</summary>
internal sealed class Probe
{
    private readonly ConcurrentDictionary<string, int> _counts = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _signals = new();

    public int Increment(string key) => _counts.AddOrUpdate(key, 1, (_, n) => n + 1);

    /// <summary>Counts a caller in; returns how many are inside at once, and keeps the highest (see <see cref="Peak"/>).</summary>
    public int Enter(string key)
    {
        var inside = _counts.AddOrUpdate(key + ":inside", 1, (_, n) => n + 1);
        _counts.AddOrUpdate(key + ":peak", inside, (_, peak) => Math.Max(peak, inside));
        return inside;
    }

    public void Leave(string key) => _counts.AddOrUpdate(key + ":inside", 0, (_, n) => n - 1);

    public int Peak(string key) => _counts.GetValueOrDefault(key + ":peak");

    public int Count(string key) => _counts.GetValueOrDefault(key);

    /// <summary>Lets every caller waiting on <paramref name="key"/> (now or later) pass.</summary>
    public void Open(string key) => Gate(key).TrySetResult();

    public Task WaitAtGateAsync(string key) => Gate(key).Task;

    public void Signal(string key) => SignalSource(key).TrySetResult();

    public Task WhenSignalled(string key) => SignalSource(key).Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

    private TaskCompletionSource Gate(string key) => _gates.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private TaskCompletionSource SignalSource(string key) => _signals.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
