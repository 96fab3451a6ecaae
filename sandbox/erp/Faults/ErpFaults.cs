namespace Storebridge.Sandbox.Erp.Faults;

/// <summary>
/// Fault knobs of the ERP simulator, settable in configuration (<c>ErpSimulator:Faults</c>) and at run time
/// with <c>POST /__admin/faults</c> (same JSON shape). All knobs are off by default.
/// </summary>
public sealed class ErpFaults
{
    /// <summary>Added latency on every <c>/api</c> request.</summary>
    public LatencyFault? Latency { get; set; }

    /// <summary>Server errors injected on matching routes.</summary>
    public List<RouteErrorFault> Errors { get; set; } = [];

    /// <summary>Windows in which every <c>/api</c> request gets a 503 from the "proxy".</summary>
    public List<OutageWindow> Outages { get; set; } = [];

    /// <summary>429 Too Many Requests with Retry-After.</summary>
    public RateLimitFault? RateLimit { get; set; }

    /// <summary>List responses that get slower with the number of rows returned.</summary>
    public SlowBatchFault? SlowBatch { get; set; }
}

/// <summary>Latency: uniform between <see cref="MinMs"/> and <see cref="MaxMs"/>, with an occasional spike.</summary>
public sealed class LatencyFault
{
    /// <summary>Lower bound in milliseconds.</summary>
    public int MinMs { get; set; }

    /// <summary>Upper bound in milliseconds.</summary>
    public int MaxMs { get; set; }

    /// <summary>Probability (0..1) that a request takes <see cref="SpikeMs"/> instead.</summary>
    public double SpikeProbability { get; set; }

    /// <summary>Latency of a spike in milliseconds.</summary>
    public int SpikeMs { get; set; }
}

/// <summary>An error rate on the requests whose "METHOD /path" starts with <see cref="Route"/> ("*" for all).</summary>
public sealed class RouteErrorFault
{
    /// <summary>Prefix of "METHOD /decoded/path", e.g. "POST /api/resource/Sales Order", or "*".</summary>
    public string Route { get; set; } = "*";

    /// <summary>Probability (0..1) that a matching request fails.</summary>
    public double Rate { get; set; }

    /// <summary>HTTP status of the failure (500, 502, 503, 504).</summary>
    public int Status { get; set; } = 500;

    /// <summary>
    /// For writes: fail after the change was applied (the response is lost, not the write) — the case that
    /// makes blind retries of creates dangerous.
    /// </summary>
    public bool AfterCommit { get; set; }
}

/// <summary>A time window in which the ERP is down.</summary>
public sealed class OutageWindow
{
    /// <summary>Start of the outage.</summary>
    public DateTimeOffset Start { get; set; }

    /// <summary>End of the outage (exclusive).</summary>
    public DateTimeOffset End { get; set; }
}

/// <summary>Rate limiting as a proxy in front of ERPNext applies it.</summary>
public sealed class RateLimitFault
{
    /// <summary>Probability (0..1) that a request is refused regardless of load.</summary>
    public double Rate { get; set; }

    /// <summary>Requests allowed per second before refusing; 0 for no quota.</summary>
    public int RequestsPerSecond { get; set; }

    /// <summary>The Retry-After value in seconds.</summary>
    public int RetryAfterSeconds { get; set; } = 1;
}

/// <summary>Extra latency per row of a list response.</summary>
public sealed class SlowBatchFault
{
    /// <summary>Milliseconds added per returned row.</summary>
    public double MsPerRow { get; set; }

    /// <summary>Lists shorter than this are not slowed.</summary>
    public int MinRows { get; set; }
}
