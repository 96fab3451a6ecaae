using Storebridge.Sandbox.Seed;

namespace Storebridge.Sandbox.Store;

/// <summary>How the store simulator starts. Every value can be given on the command line
/// (<c>--seed 42 --size Small --consumer-key ck_x ...</c>) or as configuration (<c>Store:Seed</c>).</summary>
public sealed class StoreSimulatorOptions
{
    /// <summary>URL to listen on; port 0 picks a free port. Only 127.0.0.1 is allowed.</summary>
    public string Url { get; set; } = "http://127.0.0.1:0";

    /// <summary>Seed of the catalog, customers and the fault dice.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>Catalog size.</summary>
    public SandboxSize Size { get; set; } = SandboxSize.Small;

    /// <summary>Store id Storebridge uses for this store (reported by <c>/__admin/state</c>).</summary>
    public string StoreId { get; set; } = "sandbox";

    /// <summary>REST API consumer key.</summary>
    public string ConsumerKey { get; set; } = "ck_sandbox_0000000000000000000000000000000000000000";

    /// <summary>REST API consumer secret.</summary>
    public string ConsumerSecret { get; set; } = "cs_sandbox_0000000000000000000000000000000000000000";

    /// <summary>Default secret of webhooks created without one (WooCommerce would use the API user's secret).</summary>
    public string WebhookSecret { get; set; } = "sandbox-webhook-secret";

    /// <summary>Store currency.</summary>
    public string Currency { get; set; } = "USD";

    /// <summary>Batch limit (<c>woocommerce_rest_batch_items_limit</c>).</summary>
    public int BatchLimit { get; set; } = 100;

    /// <summary><c>woocommerce_max_webhook_delivery_failures</c>: a failed delivery while the webhook's failure count is
    /// already above this disables it. With the default 5 the count climbs to 6 and the 7th consecutive failure
    /// disables the webhook, as in WooCommerce's <c>WC_Webhook::failed_delivery</c>.</summary>
    public int MaxDeliveryFailures { get; set; } = 5;

    /// <summary>Timeout of one webhook delivery (WooCommerce: 60 s).</summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Deliveries sent at once.</summary>
    public int DeliveryConcurrency { get; set; } = 4;

    /// <summary>Time the payment step of a checkout takes, between the stock check and the stock reduction.
    /// Concurrent checkouts inside this window read stale stock and can oversell, as real stores do.</summary>
    public TimeSpan CheckoutPaymentDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Like a real store over plain HTTP: accept only OAuth 1.0a, not Basic or query-string keys.</summary>
    public bool StrictHttpAuth { get; set; }

    /// <summary>Flat shipping charge for checkouts.</summary>
    public decimal FlatShipping { get; set; } = 9.90m;

    /// <summary>Faults in force from the start.</summary>
    public FaultSettings Faults { get; set; } = new();

    /// <summary>Clock of the store (dates, OAuth timestamps, outage windows).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Catalog to sell; generated from <see cref="Seed"/> and <see cref="Size"/> when null.</summary>
    public SandboxData? Catalog { get; set; }
}

/// <summary>Fault knobs: set at start and at run time with <c>POST /__admin/faults</c>.</summary>
public sealed class FaultSettings
{
    /// <summary>Latency added to every REST call: log-normal with this median and 99th percentile (ms); 0 = none.</summary>
    public double LatencyMedianMs { get; set; }

    /// <summary>99th percentile of the added latency (ms).</summary>
    public double LatencyP99Ms { get; set; }

    /// <summary>Share of REST calls answered 500, on every route.</summary>
    public double ErrorRate { get; set; }

    /// <summary>Share of calls answered 500 per route, keyed "METHOD path" with ids as {id}
    /// (e.g. "POST orders/{id}/notes", "GET orders", "POST products/batch"; "GET_orders" also works, for the command line).</summary>
    public Dictionary<string, double> RouteErrorRates { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The next N REST calls answer 500 (deterministic, for tests).</summary>
    public int FailNextRequests { get; set; }

    /// <summary>Windows in which every REST call answers 503.</summary>
    public List<OutageWindow> Outages { get; set; } = [];

    /// <summary>Share of REST calls answered 429.</summary>
    public double ThrottleRate { get; set; }

    /// <summary>The next N REST calls answer 429 (deterministic, for tests).</summary>
    public int ThrottleNextRequests { get; set; }

    /// <summary>Server-side cap on REST calls per second; calls over it answer 429. 0 = none.</summary>
    public double MaxRequestsPerSecond { get; set; }

    /// <summary>Retry-After (seconds) sent with each 429.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Share of webhook deliveries sent twice (the field bug of order.created firing more than once).</summary>
    public double WebhookDuplicateRate { get; set; }

    /// <summary>Share of webhook deliveries lost (never sent, never retried, as when a queue action dies).</summary>
    public double WebhookDropRate { get; set; }

    /// <summary>Extra time every batch call takes (ms), like stores with many variations.</summary>
    public int SlowBatchMs { get; set; }
}

/// <summary>A time window in which the store is down.</summary>
public sealed class OutageWindow
{
    /// <summary>Start (absolute).</summary>
    public DateTimeOffset? Start { get; set; }

    /// <summary>End (absolute).</summary>
    public DateTimeOffset? End { get; set; }

    /// <summary>Start relative to when the faults were set (seconds).</summary>
    public double? StartAfterSeconds { get; set; }

    /// <summary>Length relative to the start (seconds).</summary>
    public double? DurationSeconds { get; set; }
}
