using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Storebridge.Sandbox.Store;

/// <summary>What the fault knobs decided for one REST call.</summary>
internal enum FaultKind
{
    None,
    ServerError,
    Outage,
    Throttle,
}

/// <summary>Applies <see cref="FaultSettings"/>: decides per call whether to fail, throttle or delay it, and
/// per webhook delivery whether to drop or duplicate it. Dice come from a seeded generator.</summary>
internal sealed partial class FaultController(int seed, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Random _random = new(seed);
    private readonly Queue<DateTimeOffset> _recent = new();
    private FaultSettings _settings = new();
    private List<(DateTimeOffset Start, DateTimeOffset End)> _outages = [];
    private int _failNext;
    private int _throttleNext;

    public ConcurrentQueue<RequestRecord> Requests { get; } = new();

    public FaultSettings Current
    {
        get
        {
            lock (_gate)
            {
                var copy = StoreState.Clone(_settings);
                copy.FailNextRequests = _failNext;
                copy.ThrottleNextRequests = _throttleNext;
                return copy;
            }
        }
    }

    /// <summary>Replaces the fault settings; relative outage windows start now.</summary>
    public void Set(FaultSettings settings)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            _settings = StoreState.Clone(settings);
            _failNext = settings.FailNextRequests;
            _throttleNext = settings.ThrottleNextRequests;
            _outages = [.. settings.Outages.Select(o =>
            {
                var start = o.Start ?? now.AddSeconds(o.StartAfterSeconds ?? 0);
                var end = o.End ?? start.AddSeconds(o.DurationSeconds ?? 0);
                return (start, end);
            })];
        }
    }

    public (FaultKind Kind, TimeSpan Delay, int RetryAfterSeconds) Decide(string method, string route)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            var delay = SampleLatency();
            if (route.EndsWith("/batch", StringComparison.Ordinal) || route == "batch")
            {
                delay += TimeSpan.FromMilliseconds(_settings.SlowBatchMs);
            }

            if (_outages.Any(o => now >= o.Start && now < o.End))
            {
                return (FaultKind.Outage, delay, _settings.RetryAfterSeconds);
            }

            if (_throttleNext > 0)
            {
                _throttleNext--;
                return (FaultKind.Throttle, delay, _settings.RetryAfterSeconds);
            }

            if (_settings.MaxRequestsPerSecond > 0)
            {
                while (_recent.Count > 0 && _recent.Peek() <= now.AddSeconds(-1))
                {
                    _recent.Dequeue();
                }

                if (_recent.Count >= _settings.MaxRequestsPerSecond)
                {
                    return (FaultKind.Throttle, delay, _settings.RetryAfterSeconds);
                }

                _recent.Enqueue(now);
            }

            if (_settings.ThrottleRate > 0 && _random.NextDouble() < _settings.ThrottleRate)
            {
                return (FaultKind.Throttle, delay, _settings.RetryAfterSeconds);
            }

            if (_failNext > 0)
            {
                _failNext--;
                return (FaultKind.ServerError, delay, 0);
            }

            var rate = _settings.ErrorRate;
            // "GET_orders" is accepted too: a configuration key from the command line cannot easily hold a space.
            if (_settings.RouteErrorRates.TryGetValue($"{method} {route}", out var routeRate)
                || _settings.RouteErrorRates.TryGetValue($"{method}_{route}", out routeRate))
            {
                rate = Math.Max(rate, routeRate);
            }

            if (rate > 0 && _random.NextDouble() < rate)
            {
                return (FaultKind.ServerError, delay, 0);
            }

            return (FaultKind.None, delay, 0);
        }
    }

    public bool DropWebhook()
    {
        lock (_gate)
        {
            return _settings.WebhookDropRate > 0 && _random.NextDouble() < _settings.WebhookDropRate;
        }
    }

    public bool DuplicateWebhook()
    {
        lock (_gate)
        {
            return _settings.WebhookDuplicateRate > 0 && _random.NextDouble() < _settings.WebhookDuplicateRate;
        }
    }

    // Log-normal latency from a median and a 99th percentile: sigma = ln(p99/median) / 2.326.
    private TimeSpan SampleLatency()
    {
        var median = _settings.LatencyMedianMs;
        if (median <= 0)
        {
            return TimeSpan.Zero;
        }

        var p99 = Math.Max(median, _settings.LatencyP99Ms);
        var sigma = Math.Log(p99 / median) / 2.326;
        var u1 = 1.0 - _random.NextDouble();
        var u2 = _random.NextDouble();
        var normal = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
        return TimeSpan.FromMilliseconds(Math.Min(median * Math.Exp(sigma * normal), p99 * 3));
    }

    /// <summary>"orders/123/notes" -> "orders/{id}/notes".</summary>
    public static string RouteKey(string path) => NumericSegment().Replace(path.Trim('/'), "{id}");

    [GeneratedRegex(@"(?<=^|/)\d+(?=/|$)")]
    private static partial Regex NumericSegment();
}

/// <summary>One REST call as the store saw it.</summary>
/// <param name="Method">HTTP method.</param>
/// <param name="Route">Route key with ids as {id}.</param>
/// <param name="Status">Status answered.</param>
/// <param name="At">When.</param>
public sealed record RequestRecord(string Method, string Route, int Status, DateTimeOffset At);
