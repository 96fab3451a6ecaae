using System.Collections.Concurrent;
using Storebridge.Sidecar.Config;

namespace Storebridge.Sidecar.Resilience;

/// <summary>A call rejected by an open (or saturated half-open) circuit breaker. daprd does not retry these.</summary>
internal sealed class CircuitOpenException(string breaker, DateTimeOffset halfOpensAt) : Exception($"circuit breaker '{breaker}' is open")
{
    /// <summary>When the breaker lets calls through again (half-open).</summary>
    public DateTimeOffset HalfOpensAt { get; } = halfOpensAt;
}

/// <summary>A call cut by the target's resiliency timeout (daprd reports it as <c>context deadline exceeded</c>).</summary>
internal sealed class PolicyTimeoutException(TimeSpan timeout) : TimeoutException($"context deadline exceeded (resiliency timeout {timeout.TotalMilliseconds:0} ms)");

/// <summary>
/// The timeout and circuit breaker of one resiliency target, applied to one attempt the way daprd nests them: the
/// breaker admits the attempt, the timeout cuts it, the result feeds the breaker. Retries stay with the caller.
/// </summary>
internal sealed class TargetPolicy(TimeSpan? timeout, CircuitBreaker? breaker, TimeProvider time)
{
    public TimeSpan? Timeout => timeout;

    /// <summary>
    /// Runs one attempt. <paramref name="failed"/> says whether a returned result counts as a failure (e.g. HTTP 5xx);
    /// <paramref name="failedWith"/> whether an exception does (by default every one but the caller's cancellation).
    /// Throws <see cref="CircuitOpenException"/> without running the attempt, <see cref="PolicyTimeoutException"/> when cut.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> attempt, Func<T, bool>? failed, Func<Exception, bool>? failedWith, CancellationToken ct)
    {
        long generation = 0;
        if (breaker is not null && !breaker.TryEnter(out generation, out var halfOpensAt))
        {
            throw new CircuitOpenException(breaker.Name, halfOpensAt);
        }

        using var deadline = timeout is { } t ? new CancellationTokenSource(t, time) : null;
        using var linked = deadline is null ? null : CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        try
        {
            // An attempt that does not watch its token (a write waiting for SQLite's lock) is abandoned, not awaited.
            var token = linked?.Token ?? ct;
            var result = await (linked is null ? attempt(token) : attempt(token).WaitAsync(token)).ConfigureAwait(false);
            breaker?.Complete(generation, success: failed is null || !failed(result));
            return result;
        }
        // However the attempt reports being cut (TaskCanceledException, RpcException Cancelled), it is the timeout.
        catch (Exception) when (deadline is { IsCancellationRequested: true } && !ct.IsCancellationRequested)
        {
            breaker?.Complete(generation, success: false);
            throw new PolicyTimeoutException(timeout!.Value);
        }
        catch (Exception ex)
        {
            var counts = failedWith?.Invoke(ex) ?? !(ex is OperationCanceledException && ct.IsCancellationRequested);
            breaker?.Complete(generation, success: !counts);
            throw;
        }
    }

    /// <summary>Runs an attempt without a result.</summary>
    public Task RunAsync(Func<CancellationToken, Task> attempt, Func<Exception, bool>? failedWith, CancellationToken ct) =>
        RunAsync<bool>(async token =>
        {
            await attempt(token).ConfigureAwait(false);
            return true;
        }, null, failedWith, ct);
}

/// <summary>
/// The timeouts and circuit breakers of one runtime's <c>Resiliency</c> targets. One breaker per target, kept for the
/// runtime's life. A target with neither a timeout nor a breaker has no policy (null): callers take their plain path.
/// </summary>
internal sealed class ResiliencyPolicies(ResiliencySpec spec, TimeProvider time)
{
    private readonly ConcurrentDictionary<(char Kind, string Name), TargetPolicy?> _targets = new();

    /// <summary>Service invocation of <paramref name="appId"/> (<c>targets.apps.&lt;id&gt;</c>).</summary>
    public TargetPolicy? ForApp(string appId) => spec.Apps.Count == 0 ? null : Get('a', appId, spec.Apps);

    /// <summary>Messages of <paramref name="pubsub"/> delivered to the app (<c>targets.components.&lt;name&gt;.inbound</c>).</summary>
    public TargetPolicy? ForInbound(string pubsub) => spec.ComponentInbound.Count == 0 ? null : Get('i', pubsub, spec.ComponentInbound);

    /// <summary>Calls into a state store or pub/sub (<c>targets.components.&lt;name&gt;.outbound</c>).</summary>
    public TargetPolicy? ForOutbound(string component) => spec.ComponentOutbound.Count == 0 ? null : Get('o', component, spec.ComponentOutbound);

    private TargetPolicy? Get(char kind, string name, Dictionary<string, TargetPolicyNames> targets) =>
        _targets.GetOrAdd((kind, name), _ =>
        {
            var names = targets.GetValueOrDefault(name);
            var timeout = spec.Timeout(names);
            var breaker = spec.CircuitBreaker(names);
            return timeout is null && breaker is null ? null : new TargetPolicy(timeout, breaker is null ? null : new CircuitBreaker(breaker, time), time);
        });
}
