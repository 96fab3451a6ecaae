using Microsoft.Extensions.Options;

namespace Storebridge.Orders.Intake;

/// <summary>
/// Gives the webhook acknowledgement priority over starting workflows on the same replica (decision 0007).
/// The inbox and the hand-off make every accepted order durable before it is answered, so starting its workflow can
/// wait; answering WooCommerce cannot (slow or failed deliveries count towards the store disabling the webhook). While
/// many deliveries are being answered at once, the dispatcher holds back — each hand-off at most
/// <see cref="DispatchOptions.MaxYield"/>, so workflows still start during a long burst — and the broker keeps the rest.
/// </summary>
public sealed class DispatchPacer
{
    private readonly SemaphoreSlim _slots;
    private readonly Lock _gate = new();
    private readonly IOptionsMonitor<OrdersOptions> _options;
    private readonly IntakeMetrics _metrics;
    private readonly TimeProvider _time;
    private int _webhooksInFlight;
    private TaskCompletionSource _quiet = Completed();

    public DispatchPacer(IOptionsMonitor<OrdersOptions> options, IntakeMetrics metrics, TimeProvider time)
    {
        _options = options;
        _metrics = metrics;
        _time = time;
        // Read once: a semaphore cannot be resized safely while turns are held.
        _slots = new SemaphoreSlim(Math.Max(1, options.CurrentValue.Dispatch.MaxConcurrency));
    }

    /// <summary>Webhook deliveries being answered now.</summary>
    public int WebhooksInFlight
    {
        get
        {
            lock (_gate)
            {
                return _webhooksInFlight;
            }
        }
    }

    /// <summary>Marks a webhook delivery as being answered until the returned scope is disposed.</summary>
    public WebhookScope EnterWebhook()
    {
        lock (_gate)
        {
            if (++_webhooksInFlight >= BusyAt && _quiet.Task.IsCompleted)
            {
                _quiet = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        return new WebhookScope(this);
    }

    private void ExitWebhook()
    {
        TaskCompletionSource? calmed = null;
        lock (_gate)
        {
            if (--_webhooksInFlight < BusyAt)
            {
                calmed = _quiet;
            }
        }

        calmed?.TrySetResult();
    }

    /// <summary>
    /// Waits for a dispatch slot, then — while intake is busy — for intake to calm down, at most
    /// <see cref="DispatchOptions.MaxYield"/>. The slot is held until the returned turn is disposed.
    /// </summary>
    public async Task<DispatchTurn> WaitTurnAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        try
        {
            Task quiet;
            lock (_gate)
            {
                quiet = _webhooksInFlight >= BusyAt ? _quiet.Task : Task.CompletedTask;
            }

            if (!quiet.IsCompleted)
            {
                _metrics.DispatchYielded();
                try
                {
                    await quiet.WaitAsync(_options.CurrentValue.Dispatch.MaxYield, _time, cancellationToken);
                }
                catch (TimeoutException)
                {
                    // Still busy: go anyway, so a burst that never ends cannot stop workflows from starting.
                }
            }

            return new DispatchTurn(_slots);
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    private int BusyAt => Math.Max(1, _options.CurrentValue.Dispatch.YieldWhenWebhooksInFlight);

    private static TaskCompletionSource Completed()
    {
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.SetResult();
        return source;
    }

    /// <summary>One webhook delivery being answered.</summary>
    public readonly struct WebhookScope(DispatchPacer pacer) : IDisposable
    {
        public void Dispose() => pacer.ExitWebhook();
    }

    /// <summary>A held dispatch slot.</summary>
    public sealed class DispatchTurn(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
