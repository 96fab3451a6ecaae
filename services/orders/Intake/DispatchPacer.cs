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
    private readonly IOptionsMonitor<OrdersOptions> _options;
    private readonly IntakeMetrics _metrics;
    private readonly TimeProvider _time;
    private int _webhooksInFlight;
    private long _lastBusyAt = long.MinValue;

    // A waiting hand-off never re-checks more often than this, whatever CalmFor says.
    private static readonly TimeSpan MinRecheck = TimeSpan.FromMilliseconds(10);

    public DispatchPacer(IOptionsMonitor<OrdersOptions> options, IntakeMetrics metrics, TimeProvider time)
    {
        _options = options;
        _metrics = metrics;
        _time = time;
        // Read once: a semaphore cannot be resized safely while turns are held.
        _slots = new SemaphoreSlim(Math.Max(1, options.CurrentValue.Dispatch.MaxConcurrency));
    }

    /// <summary>Webhook deliveries being answered now.</summary>
    public int WebhooksInFlight => Volatile.Read(ref _webhooksInFlight);

    /// <summary>Marks a webhook delivery as being answered until the returned scope is disposed.</summary>
    public WebhookScope EnterWebhook()
    {
        if (Interlocked.Increment(ref _webhooksInFlight) >= BusyAt(Options))
        {
            Volatile.Write(ref _lastBusyAt, _time.GetTimestamp());
        }

        return new WebhookScope(this);
    }

    private void ExitWebhook()
    {
        // Calm is counted from when the count fell below the threshold, not from the last busy arrival: deliveries
        // that stay in flight for a long time (a replica short of CPU) keep intake busy until they are answered.
        if (Interlocked.Decrement(ref _webhooksInFlight) + 1 >= BusyAt(Options))
        {
            Volatile.Write(ref _lastBusyAt, _time.GetTimestamp());
        }
    }

    /// <summary>
    /// Waits for a dispatch slot, then — while intake is busy or was within <see cref="DispatchOptions.CalmFor"/> —
    /// for it to calm down, at most <see cref="DispatchOptions.MaxYield"/>. The slot is held until the returned turn
    /// is disposed.
    /// </summary>
    public async Task<DispatchTurn> WaitTurnAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        try
        {
            var options = Options;
            var since = _time.GetTimestamp();
            var yielded = false;
            while (BusyFor(options) is { } calmIn)
            {
                var left = options.MaxYield - _time.GetElapsedTime(since);
                if (left <= TimeSpan.Zero)
                {
                    // Still busy: go anyway, so a burst that never ends cannot stop workflows from starting.
                    break;
                }

                if (!yielded)
                {
                    yielded = true;
                    _metrics.DispatchYielded();
                }

                var wait = calmIn < left ? calmIn : left;
                await Task.Delay(wait < MinRecheck ? MinRecheck : wait, _time, cancellationToken);
            }

            return new DispatchTurn(_slots);
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    // Null when intake is calm; otherwise how long until it could be. A dip below the threshold between two
    // deliveries is not calm: that would let every waiting hand-off through in the middle of a burst.
    private TimeSpan? BusyFor(DispatchOptions options)
    {
        if (WebhooksInFlight >= BusyAt(options))
        {
            return options.CalmFor;
        }

        var lastBusy = Volatile.Read(ref _lastBusyAt);
        if (lastBusy == long.MinValue)
        {
            return null;
        }

        var calmIn = options.CalmFor - _time.GetElapsedTime(lastBusy);
        return calmIn > TimeSpan.Zero ? calmIn : null;
    }

    private DispatchOptions Options => _options.CurrentValue.Dispatch;

    private static int BusyAt(DispatchOptions options) => Math.Max(1, options.YieldWhenWebhooksInFlight);

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
