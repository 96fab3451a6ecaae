using System.Text.Json.Nodes;

namespace Storebridge.Sandbox.Erp.Faults;

/// <summary>Applies the current <see cref="ErpFaults"/> to requests. Thread-safe; the faults object is replaced, never mutated.</summary>
internal sealed class FaultInjector(ErpFaults initial, int seed, TimeProvider time)
{
    private readonly Random _random = new(seed);
    private readonly Lock _sync = new();
    private ErpFaults _faults = initial;
    private long _windowSecond;
    private int _windowCount;

    public ErpFaults Current
    {
        get => _faults;
        set => _faults = value ?? new ErpFaults();
    }

    private double NextDouble()
    {
        lock (_sync)
        {
            return _random.NextDouble();
        }
    }

    /// <summary>What to do with a request before it runs.</summary>
    public async Task<FaultDecision> BeforeAsync(string method, string path, CancellationToken ct)
    {
        var faults = _faults;
        if (faults.Latency is { } latency)
        {
            var ms = NextDouble() < latency.SpikeProbability ? latency.SpikeMs : latency.MinMs + (NextDouble() * Math.Max(0, latency.MaxMs - latency.MinMs));
            if (ms > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(ms), time, ct);
            }
        }

        var now = time.GetUtcNow();
        if (faults.Outages.Any(o => now >= o.Start && now < o.End))
        {
            return FaultDecision.Outage;
        }

        if (faults.RateLimit is { } limit)
        {
            var refused = NextDouble() < limit.Rate;
            if (!refused && limit.RequestsPerSecond > 0)
            {
                lock (_sync)
                {
                    var second = now.ToUnixTimeSeconds();
                    if (second != _windowSecond)
                    {
                        _windowSecond = second;
                        _windowCount = 0;
                    }

                    refused = ++_windowCount > limit.RequestsPerSecond;
                }
            }

            if (refused)
            {
                return FaultDecision.RateLimited(limit.RetryAfterSeconds);
            }
        }

        var route = $"{method} {path}";
        foreach (var error in faults.Errors)
        {
            if ((error.Route == "*" || route.StartsWith(error.Route, StringComparison.OrdinalIgnoreCase)) && NextDouble() < error.Rate)
            {
                return error.AfterCommit && method != "GET" ? FaultDecision.FailAfter(error.Status) : FaultDecision.Fail(error.Status);
            }
        }

        return FaultDecision.None;
    }

    /// <summary>Delays a list response by its size when the slow-batch knob is on.</summary>
    public Task SlowBatchAsync(int rows, CancellationToken ct)
    {
        var slow = _faults.SlowBatch;
        return slow is null || rows < slow.MinRows || slow.MsPerRow <= 0
            ? Task.CompletedTask
            : Task.Delay(TimeSpan.FromMilliseconds(rows * slow.MsPerRow), time, ct);
    }

    /// <summary>The body of an injected server error: what Frappe answers when its database connection drops.</summary>
    public static JsonObject ServerErrorBody() => new()
    {
        ["exception"] = "pymysql.err.OperationalError: (2013, 'Lost connection to MySQL server during query')",
        ["exc_type"] = "OperationalError",
        ["exc"] = "[\"Traceback (most recent call last):\\npymysql.err.OperationalError: (2013, 'Lost connection to MySQL server during query')\\n\"]",
    };
}

/// <summary>The outcome of fault injection for one request.</summary>
internal sealed record FaultDecision(int Status, int RetryAfterSeconds, bool AfterCommit)
{
    public static readonly FaultDecision None = new(0, 0, false);

    public static readonly FaultDecision Outage = new(503, 0, false);

    public static FaultDecision RateLimited(int retryAfter) => new(429, retryAfter, false);

    public static FaultDecision Fail(int status) => new(status, 0, false);

    public static FaultDecision FailAfter(int status) => new(status, 0, true);
}
